"""The answer-quality report, the timer matching, the session's extra messages and one scripted run."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import numpy as np
import pytest

from app import protocol as p
from client.benchmark.accounting import attribute
from client.benchmark.clips import make_clip
from client.benchmark.runner import make_record
from client.benchmark.session import PlayedClip
from client.connection import AudioIn
from client.quality import runner as quality_runner
from client.quality import session as quality_session
from client.quality.main import Options
from client.quality.main import run as run_main
from client.quality.questions import Item
from client.quality.report import accuracy, document, item_table, summary, summary_text, timer_score
from client.quality.rules import Rule
from client.quality.runner import ItemResult, Settings, played_result, result_of, run_session, tool_of
from client.quality.session import Fired, QualitySession, TimerAsk, match_fired

NOW = datetime(2026, 12, 1, 20, 5, tzinfo=UTC)


def res(category: str, right: bool, *, mode: str = "fresh", half: str = "tune", e2e: float | None = 500.0,
        scored: bool = True, timer: str | None = None, error: str | None = None) -> ItemResult:
    return ItemResult(id=f"{category}-{right}", category=category, half=half, mode=mode, session=0, voice="piper",
                      question="q?", dialogue="", scored=scored, right=right, reasons=[], rule="", transcript="q",
                      reply="a", end_to_end_ms=e2e, timer_check=timer, error=error)


def test_accuracy_by_category_mode_and_half() -> None:
    results = [res("facts", True), res("facts", False), res("facts", True, mode="continuing", half="holdout"),
               res("arithmetic", False, e2e=None, error="timed out"), res("small_talk", True, scored=False)]
    doc = summary(results)
    assert doc["overall"] == {"right": 2, "asked": 4, "accuracy_pct": 50.0}
    assert doc["by_category"]["facts"] == {"right": 2, "asked": 3, "accuracy_pct": 66.7}
    assert "small_talk" not in doc["by_category"]  # only a context turn
    assert doc["by_mode"]["continuing"]["overall"]["asked"] == 1
    assert doc["by_half"]["tune"]["overall"] == {"right": 1, "asked": 3, "accuracy_pct": 33.3}
    assert doc["errors"] == 1 and accuracy([]) == {"right": 0, "asked": 0, "accuracy_pct": None}


def test_latency_percentiles_overall_and_for_right_answers() -> None:
    results = [res("facts", True, e2e=100.0), res("facts", True, e2e=300.0), res("facts", False, e2e=1100.0),
               res("facts", False, e2e=None)]
    lat = summary(results)["latency_ms"]
    assert lat["right"]["n"] == 2 and lat["right"]["p50_ms"] == 200.0
    assert lat["all"]["n"] == 3 and lat["all"]["p50_ms"] == 300.0 and lat["all"]["p95_ms"] == pytest.approx(1020.0)


def test_timer_sub_score_counts_short_timers_only() -> None:
    results = [res("timers", True, timer="fired"), res("timers", True, timer="not fired"),
               res("timers", False, timer="late"), res("timers", True)]
    t = timer_score(results)
    assert (t["checked"], t["fired"], t["late"], t["not_fired"], t["fired_pct"]) == (3, 1, 1, 1, 33.3)


def test_text_table_summary_and_json_document() -> None:
    results = [res("facts", True), res("cannot_know", False, mode="continuing"), res("facts", True, scored=False)]
    table = item_table(results)
    assert table.splitlines()[0].split()[:3] == ["mode", "category", "voice"] and len(table.splitlines()) == 4
    assert " NO " in table and " ctx " in table
    text = summary_text(summary(results))
    assert "mode fresh: 1/1 (100.0%) right" in text and "all modes: 1/2 (50.0%) right" in text
    assert "short timers fired in time: 0/0" in text
    doc = json.loads(json.dumps(document(results, {"set": "all"})))
    assert doc["summary"]["overall"]["asked"] == 2 and len(doc["items"]) == 3
    assert doc["question_set"]["facts"]["tune"] >= 1


def test_tool_comes_from_the_stages() -> None:
    assert tool_of({"tool": "set_timer", "tool_ms": 3.0}) == "set_timer"
    assert tool_of({"tool_ms": 0.1}) == "" and tool_of({"stt_ms": 1.0}) == ""  # the router ran, the model answered


def test_result_of_scores_the_reply_and_falls_back_to_the_deltas() -> None:
    item = Item("x", "facts", "Capital of France?", Rule(all_of=("paris",)), "tune", "piper")
    clip = make_clip("x.wav", (np.sin(np.arange(8000) / 5) * 8000).astype(np.int16), item.text)
    played = PlayedClip(attribute([], None), None, timed_out=False, connection_lost=False)
    record = make_record(clip, played, mode="fresh", session=0, repeat=0, index=0)
    r = played_result(item, record, zone="UTC", scored=True, delta_text="It is Paris.")
    assert r.right and r.reply == "It is Paris." and r.error == "no turn committed"
    assert not played_result(item, record, zone="UTC", scored=True).right
    failed = result_of(item, mode="fresh", session=2, zone="UTC", scored=True, error="connection lost", now=NOW)
    assert not failed.right and failed.reasons == ["no reply"] and failed.answered_at == "2026-12-01T20:05:00+00:00"


def test_match_fired_by_id_then_by_time() -> None:
    asks = [TimerAsk("a", 10.0, 10.0), TimerAsk("b", 12.0, 20.0), TimerAsk("c", 30.0, 5.0)]
    lists = [(11.0, [{"id": "t1", "duration_ms": 10000}]),
             (13.0, [{"id": "t1", "duration_ms": 10000}, {"id": "t2", "duration_ms": 20000}])]
    fired = [Fired(21.0, "t1", "timer", "", "", 5), Fired(40.0, "t2", "timer", "", "", 6),
             Fired(34.0, "x", "timer", "", "", 7)]
    got = match_fired(asks, fired, lists)
    assert got == {"a": ("fired", 11.0), "b": ("late", 28.0), "c": ("fired", 4.0)}
    assert match_fired(asks[:1], [], []) == {"a": ("not fired", None)}
    assert match_fired(asks[:1], [Fired(5.0, "t0", "timer", "", "", 1)], []) == {"a": ("not fired", None)}


class ScriptedConnection:
    """A ClientSession stand-in: once ``after_frames`` frames came in, plays one answered turn."""

    def __init__(self, script: list[p.Message | AudioIn], after_frames: int) -> None:
        self.frames = 0
        self.script = script
        self.after = after_frames
        self._closed = asyncio.Event()

    async def send_audio(self, samples: np.ndarray) -> None:
        self.frames += 1

    async def send(self, message: p.Message) -> None:
        pass

    async def events(self):
        while self.frames < self.after and not self._closed.is_set():
            await asyncio.sleep(0.01)
        for message in self.script:
            yield message
        await self._closed.wait()

    async def close(self) -> None:
        self._closed.set()


def timer_turn_script() -> list[p.Message | AudioIn]:
    return [
        p.Timers(timers=[]), p.SpeechStarted(at_ms=1100.0), p.SpeechStopped(at_ms=1600.0, turn_id=1),
        p.Transcript(turn_id=1, text="Set a timer for one second."),
        p.ReplyDelta(turn_id=1, text="Timer set for "),
        AudioIn(1, 0, np.zeros(100, dtype=np.int16)),
        p.Timers(timers=[{"id": "t9", "kind": "timer", "label": "", "due_ms": 0, "duration_ms": 1000}]),
        p.ReplyDone(turn_id=1, text="Timer set for one second."),
        p.TurnTiming(turn_id=1, stages={"stt_ms": 50.0, "tool_ms": 2.0}, tool="set_timer"),  # as the server sends it
        p.TimerFired(id="t9", kind="timer", text="Your timer is done.", turn_id=2),
    ]


def test_run_session_scores_a_timer_turn_and_its_alert(monkeypatch: pytest.MonkeyPatch) -> None:
    item = Item("t1", "timers", "Set a timer for one second.", Rule(timer_s=1), "tune", "piper")
    samples = np.zeros(16_000, dtype=np.int16)
    samples[3200:8000] = (np.sin(np.arange(4800) / 3) * 9000).astype(np.int16)
    clip = make_clip("t1.wav", samples, item.text)
    fake = ScriptedConnection(timer_turn_script(), after_frames=105)  # 1 s gap + the 1 s clip, then the turn

    async def fake_open(url: str, *, timezone: str, pipeline: str = "fast"):
        assert timezone == "Asia/Tokyo"
        return fake

    monkeypatch.setattr(quality_session, "open_client", fake_open)
    monkeypatch.setattr(quality_runner, "TIMER_POLL_S", 0.05)
    settings = Settings(url="ws://fake", timezone="Asia/Tokyo", timeout_s=10.0, gap_s=1.0)
    (r,) = asyncio.run(run_session([item], {"t1": clip}, settings, mode="fresh", index=3))
    assert r.right and r.reply == "Timer set for one second." and r.transcript == "Set a timer for one second."
    assert r.tool == "set_timer" and r.stages["tool_ms"] == 2.0 and r.end_to_end_ms is not None
    assert r.timer_check == "fired" and r.fired_after_s is not None and r.session == 3


def test_quality_session_keeps_what_the_benchmark_session_skips() -> None:
    async def scenario() -> QualitySession:
        bench = QualitySession(ScriptedConnection(timer_turn_script(), after_frames=0), seed=0)  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
        await bench.close()
        return bench

    bench = asyncio.run(scenario())
    assert [f.id for f in bench.fired] == ["t9"] and len(bench.timer_lists) == 2
    assert bench.deltas[1] == "Timer set for " and bench.raw_stages[1]["tool"] == "set_timer"
    timing = [e for e in bench.events if e.kind == "turn_timing"]
    assert timing[0].stages == {"stt_ms": 50.0, "tool_ms": 2.0}


def test_bad_options_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(Options(server="ws://x", spawn=False, timezone="Mars/Olympus")) == 2
    assert run_main(Options(server="ws://x", spawn=False, categories=("gossip",))) == 2
    assert run_main(Options(server="ws://x", spawn=False, noise_dbfs=3.0)) == 2
    assert "error:" in capsys.readouterr().err
