"""Frame-counted endpointing: when a user's utterance starts, pauses, resumes and ends.

The segmenter never reads a clock. It is fed one 20 ms frame at a time with the VAD's verdict
and counts frames, so a test can script exact speech/silence patterns. How long a pause must
last before the turn ends is *set from outside* (from the transcript's look, see turn_policy):
short after a finished sentence, long after "and ..." or a comma.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

import numpy as np

from app.audio import FRAME_MS, FRAME_SAMPLES
from app.config import EndpointSettings


class Phase(enum.Enum):
    IDLE = "idle"
    SPEECH = "speech"
    TRAILING = "trailing"
    """Silence after speech: the turn may be ending."""


@dataclass(frozen=True, slots=True)
class SpeechStart:
    """Speech began at sample ``start`` of the stream (pre-roll included)."""

    start: int


@dataclass(frozen=True, slots=True)
class Pause:
    """Speech has been followed by enough silence to start a speculative turn."""

    audio: np.ndarray
    """The utterance so far, int16 at 16 kHz, pre-roll included."""
    voiced_end: int
    """Stream sample where the last voiced frame ended."""


@dataclass(frozen=True, slots=True)
class Resume:
    """The user spoke again during the pause: the utterance goes on."""


@dataclass(frozen=True, slots=True)
class EndOfTurn:
    """The utterance is over."""

    audio: np.ndarray
    voiced_end: int
    at: int
    """Stream sample at which the end was decided (``at - voiced_end`` is the endpoint wait)."""
    too_long: bool = False
    """True when the maximum utterance length, not the user, ended it."""


@dataclass(frozen=True, slots=True)
class Discard:
    """What looked like speech was too short to be an utterance."""


SegmentEvent = SpeechStart | Pause | Resume | EndOfTurn | Discard


def _frames(ms: int) -> int:
    return max(1, round(ms / FRAME_MS))


class Segmenter:
    """Turns per-frame VAD decisions into utterance events. Feed exactly 20 ms frames."""

    def __init__(self, settings: EndpointSettings, *, fixed_silence_ms: int | None = None) -> None:
        """``fixed_silence_ms`` disables adaptivity: pause and end coincide at that silence (naive mode)."""
        self._start_frames = _frames(settings.start_ms)
        self._resume_frames = _frames(settings.resume_ms)
        self._min_frames = _frames(settings.min_utterance_ms)
        self._max_samples = settings.max_utterance_ms * FRAME_SAMPLES // FRAME_MS
        if fixed_silence_ms is None:
            self._speculate_frames = _frames(settings.speculate_ms)
            self._default_end_frames = _frames(settings.incomplete_ms)
        else:
            self._speculate_frames = self._default_end_frames = _frames(fixed_silence_ms)
        self._preroll: deque[np.ndarray] = deque(maxlen=_frames(settings.preroll_ms))
        self.phase = Phase.IDLE
        self.position = 0
        """Samples received so far in this stream."""
        self._chunks: list[np.ndarray] = []
        self._utterance_samples = 0
        self._voiced_frames = 0
        self._run = 0
        """Consecutive voiced frames (IDLE, TRAILING) or silent frames (SPEECH, TRAILING)."""
        self._silence = 0
        self._voiced_end = 0
        self._end_frames = self._default_end_frames


    def carry_over(self, old: Segmenter) -> None:
        """Continue ``old``'s stream (an idle segmenter replaced by one on new settings): its
        position, which is the session's clock, and its pre-roll, so speech that starts at once
        keeps its first syllable (the newest frames, as many as this pre-roll holds)."""
        self.position = old.position
        self._preroll.extend(old._preroll)

    @property
    def idle(self) -> bool:
        """Between utterances: no speech, and no pause that speech may still resume."""
        return self.phase is Phase.IDLE

    def skip(self, samples: int) -> None:
        """Move the stream clock on by ``samples`` the client dropped unsent; only between utterances."""
        if self.idle:
            self.position += samples

    def set_end_silence(self, ms: int) -> list[SegmentEvent]:
        """Set how much silence ends the current utterance; may end it at once."""
        self._end_frames = _frames(ms)
        if self.phase is Phase.TRAILING and self._silence >= self._end_frames:
            return [self._end(too_long=False)]
        return []

    def force_end(self) -> list[SegmentEvent]:
        """End the utterance now (push-to-talk release). No-op when idle."""
        if self.phase is Phase.IDLE:
            return []
        return [self._end(too_long=False)]

    def push(self, frame: np.ndarray, is_speech: bool) -> list[SegmentEvent]:
        """Feed one 20 ms frame of int16 samples and the VAD's verdict on it."""
        if frame.shape[0] != FRAME_SAMPLES:
            raise ValueError(f"segmenter needs {FRAME_SAMPLES}-sample frames, got {frame.shape[0]}")
        self.position += FRAME_SAMPLES
        if self.phase is Phase.IDLE:
            return self._idle(frame, is_speech)
        self._chunks.append(frame)
        self._utterance_samples += FRAME_SAMPLES
        events: list[SegmentEvent] = []
        if self.phase is Phase.SPEECH:
            if is_speech:
                self._voiced_frames += 1
                self._silence = 0
                self._voiced_end = self.position
            else:
                self._silence += 1
                if self._silence >= self._speculate_frames:
                    if self._voiced_frames < self._min_frames:
                        # Too short for an utterance, but maybe the soft start of one: its audio
                        # stays in the pre-roll, so speech that follows keeps its first syllables.
                        chunks = self._chunks
                        self._reset()
                        self._preroll.extend(chunks)
                        return [Discard()]
                    self.phase = Phase.TRAILING
                    self._run = 0
                    self._end_frames = self._default_end_frames
                    events.append(Pause(self._audio(), self._voiced_end))
        elif self.phase is Phase.TRAILING:
            if is_speech:
                self._run += 1
                if self._run >= self._resume_frames:
                    self.phase = Phase.SPEECH
                    self._voiced_frames += self._run
                    self._silence = 0
                    self._voiced_end = self.position
                    events.append(Resume())
            else:
                self._run = 0
                self._silence += 1
        if self.phase is Phase.TRAILING and self._silence >= self._end_frames:
            events.append(self._end(too_long=False))
        elif self.phase is not Phase.IDLE and self._utterance_samples >= self._max_samples:
            events.append(self._end(too_long=True))
        return events

    def _idle(self, frame: np.ndarray, is_speech: bool) -> list[SegmentEvent]:
        self._preroll.append(frame)
        self._run = self._run + 1 if is_speech else 0
        if self._run < self._start_frames:
            return []
        self.phase = Phase.SPEECH
        self._chunks = list(self._preroll)
        self._preroll.clear()
        self._utterance_samples = len(self._chunks) * FRAME_SAMPLES
        self._voiced_frames = self._run
        self._silence = 0
        self._voiced_end = self.position
        self._run = 0
        return [SpeechStart(self.position - self._utterance_samples)]

    def _audio(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)

    def _end(self, *, too_long: bool) -> EndOfTurn:
        event = EndOfTurn(self._audio(), self._voiced_end, self.position, too_long)
        self._reset()
        return event

    def _reset(self) -> None:
        self.phase = Phase.IDLE
        self._chunks = []
        self._utterance_samples = 0
        self._voiced_frames = 0
        self._run = 0
        self._silence = 0
        self._end_frames = self._default_end_frames
