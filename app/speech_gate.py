"""A second opinion on webrtcvad: speech must stand out of this microphone's own noise.

webrtcvad flags steady noise as speech for seconds after a level change, and short blips of it
at -35 to -30 dBFS (measured here on white, pink and hum noise), which opens "ghost" turns. A
frame counts as voiced here only if webrtcvad says so *and* it stands out of the noise, with
hysteresis: speech *starts* only on a frame ``gate_onset_db`` above the noise floor, and once
started it goes on while frames stay ``gate_hold_db`` above it (soft consonants are quieter than
vowels), also across a dip of up to ``_DIP_FRAMES`` (a stop's closure) that fails the test.

"Above the noise" is measured against how the noise varies, not only its floor: the floor is a
low percentile of the recent frames that were *not* speech, and both thresholds are at least
``_OVER_CEILING_DB`` above a high percentile of them (the noise's "ceiling"). Steady noise (white,
hum) has its ceiling within a dB or two of its floor, so a low hold keeps the consonants of speech
at 10 dB SNR; typing swings by 10 dB, and its loud moments no longer open turns. (Babble is speech
to webrtcvad and as loud as a voice at times: its loudest moments still open ghost turns, which
the turn logic drops, and can carry the end of the user's speech on.)

A percentile over all recent audio bounds the floor from below, so it follows a floor that
steps up (a fan switched on), which webrtcvad alone takes for speech. A long utterance cannot
raise the floor (only non-speech frames count). Trailing frames that only webrtcvad's hangover
calls voiced fail the test too, so an utterance ends close to where its sound ends.

Pure and frame-counted: feed every 20 ms frame in order.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from app.config import EndpointSettings

_SILENT_DBFS = -100.0
_OVERALL_PERCENTILE = 20.0
"""Percentile of all recent frames under which the floor never falls (see the module docstring)."""
_OVERALL_FRAMES = 1_000
"""Frames (20 s) of all audio whose percentile bounds the floor from below: even continuous
speech has more than a fifth of its frames in gaps and closures near the floor."""
_OVERALL_MIN_FRAMES = 250
"""Audio (frames, 5 s) heard before the all-audio percentile bounds the floor."""
_FLOOR_EVERY = 5
"""Frames between two floor estimates (a percentile of a few hundred values)."""
_CEILING_PERCENTILE = 90.0
"""Percentile of the recent non-speech frames that is the noise's ceiling."""
_OVER_CEILING_DB = 1.0
"""Both thresholds are at least this far above the noise's ceiling (dB)."""
_DIP_FRAMES = 5
"""Failing frames (100 ms) inside speech after which the onset threshold applies again."""



def frame_dbfs(frame: np.ndarray) -> float:
    """RMS level of int16 samples, in dBFS (digital silence is -100)."""
    power = float(np.mean(np.square(frame, dtype=np.float64))) if frame.size else 0.0
    return 10.0 * np.log10(power / (32768.0**2)) if power > 0 else _SILENT_DBFS


class SpeechGate:
    """Tracks the noise floor and tells speech from noise that webrtcvad let through."""

    def __init__(self, endpoint: EndpointSettings) -> None:
        self._onset_db = endpoint.gate_onset_db
        self._hold_db = endpoint.gate_hold_db
        self._dip = _DIP_FRAMES
        """Consecutive frames that were not speech (capped): inside speech the hold threshold applies."""
        self._ceiling = _SILENT_DBFS
        """A high percentile of the recent non-speech levels, in dBFS."""
        self._percentile = endpoint.gate_floor_percentile
        self._levels: deque[float] = deque(maxlen=max(1, endpoint.gate_window_ms // 20))
        """Levels of recent non-speech frames, in dBFS."""
        self._all_levels: deque[float] = deque(maxlen=_OVERALL_FRAMES)
        """Levels of every recent frame: the floor's lower bound when noise steps up."""
        self._min_frames = max(1, endpoint.gate_warmup_ms // 20)
        """Non-speech frames needed before their percentile is trusted."""
        self._since_estimate = 0
        self.floor_dbfs: float | None = None
        """Current noise-floor estimate, in dBFS; None until enough audio was heard (then
        webrtcvad alone decides)."""

    def passes(self, frame: np.ndarray, vad_voiced: bool) -> bool:
        """Whether this 20 ms frame is speech, given webrtcvad's verdict on it."""
        level = frame_dbfs(frame)
        self._all_levels.append(level)
        floor = self.floor_dbfs
        if floor is None:
            speech = vad_voiced
        else:
            margin = self._hold_db if self._dip < _DIP_FRAMES else self._onset_db
            threshold = max(floor + margin, self._ceiling + _OVER_CEILING_DB)
            speech = vad_voiced and level >= threshold
        self._dip = 0 if speech else min(self._dip + 1, _DIP_FRAMES)
        if not speech:
            self._levels.append(level)
        self._since_estimate += 1
        if self._since_estimate >= _FLOOR_EVERY:
            self._since_estimate = 0
            self.floor_dbfs = self._estimate()
        return speech

    def _estimate(self) -> float | None:
        quiet = None
        if len(self._levels) >= self._min_frames:
            levels = np.fromiter(self._levels, float)
            quiet, self._ceiling = (float(v) for v in np.percentile(levels, [self._percentile, _CEILING_PERCENTILE]))
        if len(self._all_levels) < _OVERALL_MIN_FRAMES:
            return quiet
        overall = float(np.percentile(np.fromiter(self._all_levels, float), _OVERALL_PERCENTILE))
        if quiet is None:
            return overall
        # A floor that stepped up raises the ceiling with it.
        self._ceiling = max(self._ceiling, overall)
        return max(quiet, overall)
