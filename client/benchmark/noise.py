"""Background noise for a benchmark session: white, pink, babble, hum and keyboard, at a set level.

Every kind is a deterministic (seeded) loop of ``LOOP_S`` seconds of 16 kHz int16 samples that
repeats without a seam (pink and the fan's broadband are shaped by FFT, so they are circular; the
hum has a whole number of cycles in the loop; babble talkers and key clicks wrap around its end).
A session plays it as one continuous stream: it is the filler between utterances and, with
``--noise``, it is also added sample by sample under the clip's speech (then clipped to int16),
as a real microphone's noise would be.

The level is the RMS of the noise signal in dBFS, 20*log10(rms / 32767) (a full-scale sine is
-3 dBFS here). The meaningful range is -55 (a quiet room) to -30 (loud; speech peaks at about -15).

- ``white``: Gaussian white noise (the benchmark's floor without ``--noise``).
- ``pink``: 1/f power spectrum (-10 dB per decade), shaped in the frequency domain.
- ``babble``: 5 talkers, each the speech of the given clips time-reversed (so no word is
  intelligible) and started at a random offset, overlapping and summed.
- ``hum``: a fan or mains hum: 50 Hz and 60 Hz fundamentals with decaying harmonics, plus a
  little low-passed broadband (about 10 dB under the tones).
- ``keyboard``: typing: bursts of key clicks (5-15 ms decaying noise bursts, 80-250 ms apart),
  with pauses between bursts, over a white floor 30 dB under the clicks' level.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SAMPLE_RATE = 16_000
LOOP_S = 30.0
"""Length of the noise loop, in seconds."""
KINDS = ("white", "pink", "babble", "hum", "keyboard")
DEFAULT_DBFS = -60.0
"""Default level (the benchmark's historical white floor)."""
BABBLE_TALKERS = 5
FULL_SCALE = 32767.0


def dbfs(samples: np.ndarray) -> float:
    """RMS level of ``samples`` (int16 scale) in dBFS; -inf for silence."""
    rms = float(np.sqrt(np.mean(np.asarray(samples, dtype=np.float64) ** 2)))
    return 20.0 * np.log10(rms / FULL_SCALE) if rms > 0 else float("-inf")


def _scaled(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    """``x`` scaled to ``level_dbfs`` RMS, as int16 (clipped)."""
    rms = float(np.sqrt(np.mean(x**2)))
    if rms == 0:
        return np.zeros(x.shape[0], dtype=np.int16)
    y = x * (FULL_SCALE * 10.0 ** (level_dbfs / 20.0) / rms)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def _shaped(rng: np.random.Generator, n: int, gain) -> np.ndarray:
    """Circular noise of ``n`` samples with amplitude spectrum ``gain(freqs_hz)`` (FFT shaping)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    return np.fft.irfft(spectrum * gain(freqs), n)


def white(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(n)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """1/f power (amplitude 1/sqrt(f)) from 20 Hz up; nothing below 20 Hz (no DC drift)."""
    return _shaped(rng, n, lambda f: np.where(f >= 20.0, 1.0 / np.sqrt(np.maximum(f, 20.0)), 0.0))


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    """50 and 60 Hz with harmonics (amplitude 1/k, random phases), plus broadband under 1 kHz."""
    t = np.arange(n) / SAMPLE_RATE
    x = np.zeros(n)
    for base in (50.0, 60.0):
        for k in range(1, 6):
            x += np.sin(2 * np.pi * base * k * t + rng.uniform(0, 2 * np.pi)) / k
    tones = float(np.sqrt(np.mean(x**2)))
    air = _shaped(rng, n, lambda f: 1.0 / (1.0 + (f / 1000.0) ** 2))
    return x + air * (0.3 * tones / float(np.sqrt(np.mean(air**2))))


def keyboard(n: int, rng: np.random.Generator) -> np.ndarray:
    """Bursts of typing: clicks of 5-15 ms every 80-250 ms, 1-4 s of typing, 0.5-2 s pauses."""
    x = np.zeros(n)
    pos = int(rng.uniform(0.0, 0.5) * SAMPLE_RATE)
    while pos < n:
        burst_end = pos + int(rng.uniform(1.0, 4.0) * SAMPLE_RATE)
        while pos < min(burst_end, n):
            length = int(rng.uniform(0.005, 0.015) * SAMPLE_RATE)
            click = rng.standard_normal(length) * np.exp(-np.arange(length) / (length / 2.5))
            click *= rng.uniform(0.5, 1.0)
            idx = (pos + np.arange(length)) % n  # wrap around: the loop has no seam
            x[idx] += click
            pos += int(rng.uniform(0.080, 0.250) * SAMPLE_RATE)
        pos = burst_end + int(rng.uniform(0.5, 2.0) * SAMPLE_RATE)
    clicks = float(np.sqrt(np.mean(x**2)))
    return x + rng.standard_normal(n) * clicks * 10.0 ** (-30.0 / 20.0)


def babble(n: int, rng: np.random.Generator, speech: Sequence[np.ndarray], talkers: int = BABBLE_TALKERS) -> np.ndarray:
    """``talkers`` overlapping time-reversed copies of ``speech`` (concatenated), each at its own
    random offset and equal level."""
    pieces = [np.asarray(s, dtype=np.float64) for s in speech if len(s)]
    if not pieces:
        raise ValueError("babble needs some speech to build talkers from")
    voice = np.concatenate(pieces)[::-1]
    voice = np.resize(voice, max(n, voice.shape[0]))  # repeated to fill the loop when short
    out = np.zeros(n)
    for _ in range(talkers):
        start = int(rng.integers(0, voice.shape[0]))
        talker = np.roll(voice, -start)[:n]
        rms = float(np.sqrt(np.mean(talker**2)))
        if rms > 0:
            out += talker / rms
    return out


def make_noise(kind: str, level_dbfs: float = DEFAULT_DBFS, *, seed: int = 0, seconds: float = LOOP_S,
               speech: Sequence[np.ndarray] = ()) -> np.ndarray:
    """``seconds`` of ``kind`` noise at ``level_dbfs`` RMS, int16; ``speech`` (16 kHz int16 clips)
    is what babble is made of. Deterministic for a given seed."""
    n = int(seconds * SAMPLE_RATE)
    rng = np.random.default_rng([seed, KINDS.index(kind) if kind in KINDS else -1])
    if kind == "babble":
        x = babble(n, rng, speech)
    elif kind in ("white", "pink", "hum", "keyboard"):
        x = {"white": white, "pink": pink, "hum": hum, "keyboard": keyboard}[kind](n, rng)
    else:
        raise ValueError(f"unknown noise kind {kind!r} (one of {', '.join(KINDS)})")
    return _scaled(x, level_dbfs)


class NoiseStream:
    """An endless stream of samples cycling through a loop (one per session)."""

    def __init__(self, loop: np.ndarray) -> None:
        if loop.shape[0] == 0:
            raise ValueError("empty noise loop")
        self._loop = np.asarray(loop, dtype=np.int16)
        self._pos = 0

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` samples."""
        idx = (self._pos + np.arange(n)) % self._loop.shape[0]
        self._pos = (self._pos + n) % self._loop.shape[0]
        return self._loop[idx]


def mix(clean: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """``clean + noise`` sample by sample, clipped to int16."""
    return np.clip(clean.astype(np.int32) + noise.astype(np.int32), -32768, 32767).astype(np.int16)
