"""End of speech in a clip, decided from the audio itself: acoustically, and with webrtcvad.

Acoustic end (the latency clock's start): the clip's clean samples are cut into 10 ms windows
(160 samples, the last partial one included) and each window's RMS is taken; the acoustic end is
the end of the last window whose RMS is within 35 dB of the loudest window's (``ACOUSTIC_RANGE_DB``).
This is where sound stops, whatever a VAD calls voiced: a trailing fricative ("...cakes") that
webrtcvad already calls unvoiced still counts, and no VAD hangover is added. It is computed on the
clip as loaded, before the benchmark mixes any noise under it. Symmetrically, the acoustic start
is the start of the first such window. A clip whose own background is within 35 dB of its speech
(a hissy recording) ends acoustically where that background ends.

webrtcvad end: webrtcvad runs in mode 2 (aggressiveness 0..3), the same mode as the server's VAD
(``EndpointSettings.vad_aggressiveness``), so client and server agree on what counts as voiced.
webrtcvad keeps flagging frames as voiced for about 40-120 ms after the sound stops (its hangover);
the end of speech here includes that, as the server's does.
"""

from __future__ import annotations

import numpy as np
import webrtcvad

SAMPLE_RATE = 16_000
"""Clip sample rate, in Hz."""
FRAME_SAMPLES = 320
"""One 20 ms frame at 16 kHz, in samples: the unit the client sends and the VAD judges."""
VAD_MODE = 2
"""webrtcvad aggressiveness used for end-of-speech detection."""
ACOUSTIC_WINDOW = 160
"""Window of the acoustic end, in samples (10 ms at 16 kHz)."""
ACOUSTIC_RANGE_DB = 35.0
"""A window counts as sound when its RMS is within this many dB of the clip's loudest window."""
MIN_RUN = 3
"""Voiced frames in a row (60 ms) that count as speech; shorter runs after the last one are blips."""


def voiced_flags(samples: np.ndarray, mode: int = VAD_MODE) -> list[bool]:
    """webrtcvad's verdict for each 20 ms frame of int16 16 kHz ``samples`` (last partial frame zero-padded)."""
    vad = webrtcvad.Vad(mode)
    pcm = np.asarray(samples, dtype="<i2")
    n_frames = -(-pcm.shape[0] // FRAME_SAMPLES)
    padded = np.zeros(n_frames * FRAME_SAMPLES, dtype="<i2")
    padded[: pcm.shape[0]] = pcm
    return [vad.is_speech(padded[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES].tobytes(), SAMPLE_RATE)
            for i in range(n_frames)]


def last_voiced_frame(flags: list[bool], min_run: int = MIN_RUN) -> int | None:
    """Index of the last frame of the last run of >= ``min_run`` voiced frames.

    Smoothing: isolated voiced frames (runs shorter than ``min_run``) after that run are ignored,
    because a click or a hiss burst in the trailing silence is not the user still talking. With no
    run that long, the last voiced frame of any length is used; None when nothing is voiced.
    This drops the one- and two-frame flickers webrtcvad gives on hiss; it does not drop a real
    click, which webrtcvad's own hangover already stretches to 4-5 voiced frames.
    """
    last_any: int | None = None
    run = 0
    last_long: int | None = None
    for i, voiced in enumerate(flags):
        if voiced:
            run += 1
            last_any = i
            if run >= min_run:
                last_long = i
        else:
            run = 0
    return last_long if last_long is not None else last_any


def speech_end_frame(samples: np.ndarray) -> int | None:
    """Index of the 20 ms frame holding the clip's last voiced sample (None: no speech found)."""
    return last_voiced_frame(voiced_flags(samples))


def window_rms(samples: np.ndarray, window: int = ACOUSTIC_WINDOW) -> np.ndarray:
    """RMS of each ``window``-sample window of ``samples`` (the last partial window included)."""
    x = np.asarray(samples, dtype=np.float64)
    n = -(-x.shape[0] // window)
    padded = np.zeros(n * window)
    padded[: x.shape[0]] = x
    sums = (padded.reshape(n, window) ** 2).sum(axis=1)
    counts = np.full(n, float(window))
    if n and x.shape[0] % window:
        counts[-1] = x.shape[0] % window
    return np.sqrt(sums / counts)


def acoustic_span(samples: np.ndarray, range_db: float = ACOUSTIC_RANGE_DB,
                  window: int = ACOUSTIC_WINDOW) -> tuple[int, int] | None:
    """(start, end) sample indices of the sound in ``samples``: the start of the first and the end
    of the last ``window`` whose RMS is within ``range_db`` of the loudest window's (end exclusive,
    clamped to the clip). None for digital silence."""
    rms = window_rms(samples, window)
    if rms.size == 0 or not rms.max() > 0:
        return None
    loud = np.flatnonzero(rms >= rms.max() * 10.0 ** (-range_db / 20.0))
    return int(loud[0]) * window, min(int(samples.shape[0]), (int(loud[-1]) + 1) * window)


def acoustic_end_sample(samples: np.ndarray, range_db: float = ACOUSTIC_RANGE_DB) -> int | None:
    """Where the clip's sound ends, in samples from its start (see the module docstring)."""
    span = acoustic_span(samples, range_db)
    return span[1] if span is not None else None
