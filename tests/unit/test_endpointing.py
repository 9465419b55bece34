"""The frame-counted segmenter, driven by scripted speech/non-speech decisions."""

from __future__ import annotations

import numpy as np

from app.audio import FRAME_SAMPLES
from app.config import EndpointSettings
from app.endpointing import Discard, EndOfTurn, Pause, Phase, Resume, Segmenter, SpeechStart

SETTINGS = EndpointSettings(start_ms=60, preroll_ms=100, speculate_ms=160, incomplete_ms=900, resume_ms=60,
                            min_utterance_ms=200)
FRAME = np.zeros(FRAME_SAMPLES, dtype=np.int16)


def run(seg: Segmenter, script: str) -> list[tuple[int, object]]:
    """Feed one frame per character: 'x' speech, '.' silence. Returns (frame index, event)."""
    out = []
    for i, ch in enumerate(script):
        out += [(i, e) for e in seg.push(FRAME, ch == "x")]
    return out


def kinds(events: list[tuple[int, object]]) -> list[tuple[int, str]]:
    return [(i, type(e).__name__) for i, e in events]


def test_start_needs_consecutive_voiced_frames() -> None:
    seg = Segmenter(SETTINGS)
    assert run(seg, "x.x.x.xx.") == []
    events = run(seg, "xxx")
    assert kinds(events) == [(2, "SpeechStart")]


def test_speech_start_includes_preroll() -> None:
    seg = Segmenter(SETTINGS)
    events = run(seg, "......xxx")
    start = events[0][1]
    assert isinstance(start, SpeechStart)
    # 100 ms pre-roll = 5 frames ending at frame 9 -> utterance starts at frame 4.
    assert start.start == 4 * FRAME_SAMPLES


def test_pause_then_default_end_when_transcript_unknown() -> None:
    seg = Segmenter(SETTINGS)
    events = run(seg, "x" * 15 + "." * 60)
    assert kinds(events) == [(2, "SpeechStart"), (22, "Pause"), (59, "EndOfTurn")]
    pause, end = events[1][1], events[2][1]
    assert isinstance(pause, Pause) and isinstance(end, EndOfTurn)
    assert pause.voiced_end == 15 * FRAME_SAMPLES
    assert end.at - end.voiced_end == 45 * FRAME_SAMPLES  # 900 ms of silence
    assert not end.too_long


def test_short_end_silence_set_from_outside_ends_turn_at_once() -> None:
    seg = Segmenter(SETTINGS)
    run(seg, "x" * 15 + "." * 10)  # 200 ms of silence so far
    events = seg.set_end_silence(200)
    assert [type(e) for e in events] == [EndOfTurn]
    assert seg.phase is Phase.IDLE  # reset after the end


def test_short_end_silence_waits_for_remaining_frames() -> None:
    seg = Segmenter(SETTINGS)
    run(seg, "x" * 15 + "." * 8)
    assert seg.set_end_silence(240) == []
    events = run(seg, "....")
    assert kinds(events) == [(3, "EndOfTurn")]


def test_resume_during_pause_continues_the_utterance() -> None:
    seg = Segmenter(SETTINGS)
    events = run(seg, "x" * 15 + "." * 10 + "xxx" + "x" * 10 + "." * 8)
    assert kinds(events) == [(2, "SpeechStart"), (22, "Pause"), (27, "Resume"), (45, "Pause")]
    second_pause = events[-1][1]
    assert isinstance(second_pause, Pause)
    assert second_pause.audio.shape[0] == 46 * FRAME_SAMPLES  # every frame from the first voiced one


def test_single_voiced_blip_in_pause_does_not_resume() -> None:
    seg = Segmenter(SETTINGS)
    events = run(seg, "x" * 15 + "." * 10 + "x." * 5)
    assert [type(e) for _, e in events] == [SpeechStart, Pause]


def test_too_short_utterance_is_discarded() -> None:
    seg = Segmenter(SETTINGS)
    events = run(seg, "xxxx" + "." * 10)
    assert [type(e) for _, e in events] == [SpeechStart, Discard]


def test_fixed_silence_makes_pause_and_end_coincide() -> None:
    seg = Segmenter(SETTINGS, fixed_silence_ms=700)
    events = run(seg, "x" * 15 + "." * 40)
    assert kinds(events) == [(2, "SpeechStart"), (49, "Pause"), (49, "EndOfTurn")]


def test_max_utterance_forces_end() -> None:
    seg = Segmenter(EndpointSettings(max_utterance_ms=1000, preroll_ms=0))
    events = run(seg, "x" * 60)
    ends = [e for _, e in events if isinstance(e, EndOfTurn)]
    assert ends and ends[0].too_long
    assert ends[0].audio.shape[0] <= 1000 * 16


def test_force_end_when_idle_is_a_no_op() -> None:
    assert Segmenter(SETTINGS).force_end() == []


def test_resume_event_type() -> None:
    seg = Segmenter(SETTINGS)
    events = run(seg, "x" * 15 + "." * 9 + "xxx")
    assert isinstance(events[-1][1], Resume)
