"""Local barge-in detection on the echo-suppressed mic: minimum voiced time, gaps, pause/cancel."""

from __future__ import annotations

import numpy as np
import pytest

from client.audio_files import read_mono
from client.bargein import (
    BargeIn,
    BargeInCancelled,
    BargeInDetector,
    BargeInPending,
    BargeInSettings,
)
from tests.conftest import SHARED_AUDIO

RATE = 16_000
FRAME = 320


@pytest.fixture(scope="module")
def voice() -> np.ndarray:
    """hotwords.mp3 from its first voiced 20 ms frame (webrtcvad mode 3 finds speech at 160 ms)."""
    x = read_mono(SHARED_AUDIO / "hotwords.mp3", RATE).astype(np.float32) / 32768.0
    return x[int(0.16 * RATE) :]


def feed(detector: BargeInDetector, frames: list[np.ndarray], *, user: bool = True, armed: bool = True) -> list:
    events = []
    for frame in frames:
        event = detector.update(frame, user=user, armed=armed)
        if event is not None:
            events.append(event)
    return events


def frames_of(x: np.ndarray) -> list[np.ndarray]:
    return [x[i : i + FRAME] for i in range(0, x.shape[0] - FRAME + 1, FRAME)]


SILENCE = [np.zeros(FRAME, dtype=np.float32)] * 10


def test_speech_over_the_reply_pauses_then_interrupts_after_the_minimum(voice: np.ndarray) -> None:
    detector = BargeInDetector(BargeInSettings(min_voiced_ms=200))
    events = feed(detector, SILENCE + frames_of(voice[: RATE // 2]))
    assert [type(e) for e in events] == [BargeInPending, BargeIn]
    pending, hit = events
    onset = len(SILENCE) * FRAME
    assert pending.onset == hit.onset == onset
    assert hit.voiced_ms >= 200
    assert 200 <= hit.reaction_ms <= 240, hit.reaction_ms  # 200 ms voiced, a frame or two of gaps at most
    assert detector.count == 1


def test_it_fires_once_per_interruption(voice: np.ndarray) -> None:
    detector = BargeInDetector()
    events = feed(detector, frames_of(voice[: 2 * RATE]))
    assert sum(isinstance(e, BargeIn) for e in events) == 1


def test_a_short_mhmm_only_pauses_and_is_cancelled(voice: np.ndarray) -> None:
    detector = BargeInDetector(BargeInSettings(min_voiced_ms=200))
    mhmm = frames_of(voice[: int(0.14 * RATE)])  # 140 ms
    events = feed(detector, SILENCE + mhmm + SILENCE)
    assert [type(e) for e in events] == [BargeInPending, BargeInCancelled]
    assert events[1].voiced_ms < 200


def test_echo_is_never_counted_however_speech_like(voice: np.ndarray) -> None:
    detector = BargeInDetector()
    assert feed(detector, frames_of(voice[:RATE]), user=False) == []


def test_nothing_is_interrupted_when_nothing_plays(voice: np.ndarray) -> None:
    detector = BargeInDetector()
    assert feed(detector, frames_of(voice[:RATE]), armed=False) == []


def test_the_minimum_is_configurable(voice: np.ndarray) -> None:
    fast = feed(BargeInDetector(BargeInSettings(min_voiced_ms=100, pause_voiced_ms=60)), frames_of(voice[:RATE]))
    slow = feed(BargeInDetector(BargeInSettings(min_voiced_ms=400)), frames_of(voice[:RATE]))
    fast_hit = next(e for e in fast if isinstance(e, BargeIn))
    slow_hit = next(e for e in slow if isinstance(e, BargeIn))
    assert fast_hit.detected < slow_hit.detected
    assert fast_hit.voiced_ms >= 100 and slow_hit.voiced_ms >= 400


def test_gaps_longer_than_allowed_restart_the_count() -> None:
    tone = (0.3 * np.sin(2 * np.pi * 200 * np.arange(FRAME) / RATE)).astype(np.float32)
    detector = BargeInDetector(BargeInSettings(min_voiced_ms=200, max_gap_ms=60))
    # webrtcvad needs a voice-like signal; fake its decision with user=True/False per frame instead.
    events = []
    pattern = [True] * 6 + [False] * 4 + [True] * 6  # 120 ms, an 80 ms gap, 120 ms
    for voiced in pattern:
        event = detector.update(tone if voiced else np.zeros(FRAME, np.float32), user=voiced, armed=True)
        if event is not None:
            events.append(event)
    assert not any(isinstance(e, BargeIn) for e in events)
