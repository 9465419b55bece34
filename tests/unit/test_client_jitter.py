"""The playback jitter buffer: prebuffer, underruns (counted, faded), flush, pause, per-turn counts."""

from __future__ import annotations

import numpy as np
import pytest

from client.jitter import JitterBuffer

RATE = 16_000


def tone(n: int, amp: float = 0.5, freq: float = 440.0, start: int = 0) -> np.ndarray:
    t = np.arange(start, start + n) / RATE
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def pull_all(jb: JitterBuffer, blocks: int, n: int = 160) -> np.ndarray:
    return np.concatenate([jb.pull(n) for _ in range(blocks)])


def max_step(x: np.ndarray) -> float:
    return float(np.max(np.abs(np.diff(x)))) if x.shape[0] > 1 else 0.0


def test_playback_waits_for_the_prebuffer() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=100)
    jb.push(1, tone(800))  # 50 ms: not enough
    assert not np.any(jb.pull(160)), "played before the prebuffer filled"
    assert jb.played_samples(1) == 0
    jb.push(1, tone(800, start=800))  # now 100 ms
    out = jb.pull(160)
    assert np.any(out)
    assert jb.played_samples(1) == 160
    assert [e.kind for e in jb.events] == ["started"]


def test_a_short_reply_that_has_ended_plays_without_the_prebuffer() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=100)
    jb.push(3, tone(480))
    jb.end_turn(3)
    out = pull_all(jb, 4)
    assert jb.played_samples(3) == 480
    assert np.any(out[:480])
    assert [e.kind for e in jb.events] == ["started", "finished"]
    assert jb.underruns == 0  # running out at the end of a turn is not an underrun


def test_int16_input_is_scaled() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=1)
    jb.push(1, np.full(160, 16384, dtype=np.int16))
    jb.end_turn(1)
    out = jb.pull(160)
    assert out[80] == pytest.approx(0.5)


def test_underrun_is_counted_faded_and_rebuffered() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=20, fade_ms=5)
    signal = np.full(1000, 0.5, dtype=np.float32)  # a DC level: any cut would be a click
    jb.push(7, signal)
    out = pull_all(jb, 10)  # 1600 samples requested, 1000 available
    assert jb.underruns == 1
    assert [e.kind for e in jb.events] == ["started", "underrun"]
    # No click: the level ramps down instead of jumping to zero.
    assert max_step(out) < 0.5 / 40, f"step of {max_step(out):.3f} at the underrun"
    assert np.all(out[1100:] == 0)
    # Resuming needs the (now doubled) prebuffer, then fades in.
    jb.push(7, np.full(400, 0.5, dtype=np.float32))
    assert not np.any(jb.pull(160)), "resumed before re-buffering"
    jb.push(7, np.full(400, 0.5, dtype=np.float32))
    resumed = jb.pull(160)
    assert resumed[0] < 0.1 and resumed[-1] == pytest.approx(0.5)
    assert jb.underruns == 1


def test_each_underrun_episode_counts_once_and_grows_the_rebuffer() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=10)  # 160 samples
    for _ in range(3):
        jb.push(1, tone(700))
        pull_all(jb, 8)  # 1280 samples: runs dry each time
    assert jb.underruns == 3
    # After underruns the buffer waits for more (up to 4x the prebuffer) before resuming.
    jb.push(1, tone(600))
    assert not np.any(jb.pull(160)), "a stream that keeps running dry should buffer more"
    jb.push(1, tone(100))
    assert np.any(jb.pull(160))


def test_flush_drops_the_queue_with_a_short_fade_and_stops_counting() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=10, fade_ms=5)
    jb.push(2, np.full(RATE, 0.5, dtype=np.float32))  # 1 s queued
    pull_all(jb, 10)  # 100 ms played
    assert jb.played_samples(2) == 1600
    dropped = jb.flush(2)
    assert dropped == RATE - 1600 - 80  # all but the 5 ms fade-out
    out = pull_all(jb, 3)
    assert max_step(out) < 0.5 / 40, "the flush clicked"
    assert np.all(out[80:] == 0)
    assert jb.played_samples(2) == 1600 + 80
    assert not jb.busy


def test_played_samples_are_counted_per_turn() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=10)
    jb.push(1, tone(500))
    jb.end_turn(1)
    jb.push(2, tone(700))
    jb.end_turn(2)
    pull_all(jb, 12)
    assert jb.played_samples(1) == 500
    assert jb.played_samples(2) == 700
    assert jb.played_ms(2) == pytest.approx(700 / 16)
    kinds = [(e.kind, e.turn_id) for e in jb.events]
    assert kinds == [("started", 1), ("finished", 1), ("started", 2), ("finished", 2)]


def test_flushing_one_turn_keeps_the_next() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=10)
    jb.push(1, tone(1600))
    jb.push(2, tone(1600))
    jb.pull(160)
    jb.flush(1)
    assert jb.active_turn == 2
    pull_all(jb, 20)
    assert jb.played_samples(2) == 1600


def test_pause_holds_the_queue_and_resume_continues_where_it_stopped() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=10, fade_ms=5)
    jb.push(4, np.full(3200, 0.5, dtype=np.float32))
    pull_all(jb, 2)
    jb.pause()
    held = pull_all(jb, 5)
    assert np.all(held[80:] == 0), "audio played while paused"
    assert max_step(held) < 0.5 / 40
    at_pause = jb.played_samples(4)
    assert at_pause == 320 + 80
    assert jb.busy, "a paused reply is still pending"
    jb.resume()
    rest = pull_all(jb, 30)
    assert jb.played_samples(4) == 3200
    assert max_step(rest) < 0.5 / 40, "the resume clicked"


def test_flush_after_pause_does_not_play_the_held_audio() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=10)
    jb.push(5, tone(3200))
    jb.pull(160)
    jb.pause()
    jb.flush(5)
    assert not jb.paused
    assert not np.any(pull_all(jb, 10)[80:])
    assert jb.played_samples(5) <= 160 + 80
