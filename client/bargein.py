"""Local barge-in detection: the user starts talking over the reply.

Runs webrtcvad on the echo-suppressed 16 kHz mic signal, counting only frames the echo suppressor
judged to be the user (not the assistant's own voice). A barge-in needs ``min_voiced_ms`` of such
speech, with gaps of at most ``max_gap_ms`` between voiced frames, so a short "mhmm" or a cough does
not cut the reply off. Positions are mic stream samples at 16 kHz, so timing is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import webrtcvad

RATE = 16_000
FRAME = 320
FRAME_MS = 20


@dataclass(frozen=True)
class BargeInSettings:
    """When speech over the reply counts as an interruption."""

    min_voiced_ms: int = 200
    """Voiced audio (judged to be the user) needed before the reply is stopped."""
    pause_voiced_ms: int | None = None
    """Voiced audio after which playback is held while the barge-in is confirmed (resumed if the
    sound stops short of ``min_voiced_ms``). None: half of ``min_voiced_ms``."""
    max_gap_ms: int = 100
    """Unvoiced time allowed between voiced frames within one onset."""
    vad_mode: int = 3
    """webrtcvad aggressiveness, 0..3 (3 rejects the most non-speech)."""
    min_level_dbfs: float = -50.0
    """Frames quieter than this never count (webrtcvad keeps saying "speech" for a while after it
    ends, which would stretch a short "mhmm" past the minimum)."""


@dataclass(frozen=True, slots=True)
class BargeInPending:
    """Speech over the reply, not yet long enough to interrupt: hold playback."""

    onset: int


@dataclass(frozen=True, slots=True)
class BargeInCancelled:
    """The held speech stopped short (a "mhmm"): resume playback."""

    onset: int
    voiced_ms: int


@dataclass(frozen=True, slots=True)
class BargeIn:
    """The user interrupted: where the speech began and where it was confirmed (mic samples)."""

    onset: int
    detected: int
    voiced_ms: int

    @property
    def reaction_ms(self) -> float:
        """Stream time from the speech onset to the end of the frame that confirmed it."""
        return 1000.0 * (self.detected - self.onset) / RATE


def to_pcm16(frame: np.ndarray) -> np.ndarray:
    """float in [-1, 1] -> int16 (clipped)."""
    if frame.dtype == np.int16:
        return frame
    return (np.clip(frame, -1.0, 1.0) * 32767.0).astype(np.int16)


class BargeInDetector:
    """Feed one 20 ms frame at a time; returns a :class:`BargeIn` once per interruption."""

    def __init__(self, settings: BargeInSettings | None = None) -> None:
        self.settings = settings or BargeInSettings()
        self._vad = webrtcvad.Vad(self.settings.vad_mode)
        self.pos = 0
        self._onset: int | None = None
        self._voiced_ms = 0
        self._gap_ms = 0
        self._fired = False
        self._pending = False
        self.count = 0
        s = self.settings
        self._pause_ms = s.pause_voiced_ms if s.pause_voiced_ms is not None else s.min_voiced_ms // 2
        self._min_power = (32768.0 * 10 ** (s.min_level_dbfs / 20)) ** 2

    def reset(self) -> None:
        self._onset = None
        self._voiced_ms = 0
        self._gap_ms = 0
        self._fired = False
        self._pending = False

    def update(
        self, frame: np.ndarray, *, user: bool, armed: bool
    ) -> BargeIn | BargeInPending | BargeInCancelled | None:
        """``frame``: echo-suppressed samples; ``user``: the suppressor attributes it to the user;
        ``armed``: a reply is playing (only then can it be interrupted)."""
        pos = self.pos
        self.pos += FRAME
        if not armed:
            self.reset()
            return None
        pcm = to_pcm16(frame)
        loud = float(np.mean(pcm.astype(np.float64) ** 2)) > self._min_power
        voiced = user and loud and self._vad.is_speech(pcm.tobytes(), RATE)
        if voiced:
            if self._onset is None:
                self._onset = pos
            self._voiced_ms += FRAME_MS
            self._gap_ms = 0
        elif self._onset is not None:
            self._gap_ms += FRAME_MS
            if self._gap_ms > self.settings.max_gap_ms:
                onset, voiced_ms, pending = self._onset, self._voiced_ms, self._pending and not self._fired
                self.reset()
                if pending:
                    return BargeInCancelled(onset, voiced_ms)
        if self._onset is None or self._fired:
            return None
        if self._voiced_ms >= self.settings.min_voiced_ms:
            self._fired = True
            self.count += 1
            return BargeIn(onset=self._onset, detected=pos + FRAME, voiced_ms=self._voiced_ms)
        if not self._pending and self._voiced_ms >= self._pause_ms:
            self._pending = True
            return BargeInPending(self._onset)
        return None
