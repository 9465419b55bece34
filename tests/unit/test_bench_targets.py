"""Latency targets per number of sessions (issue 11): which applies, the verdict line, the exit code, the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from client.benchmark.clips import Clip
from client.benchmark.report import build_document, mode_summary, summary_text
from client.benchmark.runner import TurnRecord
from client.benchmark.targets import TARGETS, Target, exit_code, misses, target_for, verdict_line, within

REPO = Path(__file__).resolve().parents[2]


def summary(p50: float | None, p95: float | None = None, n: int = 16) -> dict:
    """The figures of a mode summary the verdict reads."""
    if p50 is None:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    return {"n": n, "p50_ms": p50, "p95_ms": p95 if p95 is not None else p50, "max_ms": p95 or p50}


def test_the_issue_11_targets_per_concurrency() -> None:
    assert TARGETS[1] == Target(500.0, 700.0) and TARGETS[2] == Target(800.0)
    one, two, four = target_for(1), target_for(2), target_for(4)
    assert (one.p50_ms, one.p95_ms) == (500.0, 700.0)
    assert (two.p50_ms, two.p95_ms) == (800.0, None)
    assert (four.p50_ms, four.p95_ms) == (800.0, None)  # more sessions keep the two-session bar
    assert "1 session" in one.source and "2 sessions" in two.source
    assert "4 sessions" in four.source and "the 2-session target" in four.source
    assert one.describe() == "p50 ≤ 500 ms, p95 ≤ 700 ms (issue 11, 1 session)"


def test_overrides() -> None:
    assert target_for(1, p50_ms=100000.0) == Target(100000.0, None, "--budget-ms")  # replaces p95 too
    assert target_for(2, p50_ms=600.0, p95_ms=900.0) == Target(600.0, 900.0, "--budget-ms --p95-ms")
    p95_only = target_for(1, p95_ms=800.0)
    assert (p95_only.p50_ms, p95_only.p95_ms) == (500.0, 800.0) and "--p95-ms" in p95_only.source
    for bad in ({"p50_ms": 0.0}, {"p95_ms": -5.0}):
        with pytest.raises(ValueError, match="must be positive"):
            target_for(1, **bad)
    with pytest.raises(ValueError, match="at least 1"):
        target_for(0)


def test_two_sessions_at_523_ms_are_within_their_target() -> None:
    # docs/bench/latency-c2.txt: two sessions, p50 523 ms, reported "OVER the 500 ms budget"
    # although the two-session target is p50 <= 800 ms.
    s = summary(523.0, 756.0)
    target = target_for(2)
    assert exit_code(s, target) == 0 and within(s, target) and not misses(s, target)
    line = verdict_line("fast", s, target)
    assert line.endswith("p50 523 ms: within the target") and "p50 ≤ 800 ms" in line and "2 sessions" in line


def test_one_session_needs_both_p50_and_p95() -> None:
    target = target_for(1)
    assert exit_code(summary(472.0, 652.0), target) == 0
    over_p95 = summary(477.0, 772.0)
    assert exit_code(over_p95, target) == 1 and misses(over_p95, target) == ["p95 772 ms > 700 ms"]
    line = verdict_line("fast", over_p95, target)
    assert line.endswith("p50 477 ms, p95 772 ms: OVER (p95 772 ms > 700 ms)")
    both = summary(534.0, 957.0)
    assert misses(both, target) == ["p50 534 ms > 500 ms", "p95 957 ms > 700 ms"]
    assert misses(summary(500.4, 600.0), target) == ["p50 500.4 ms > 500 ms"]  # never "500 ms > 500 ms"
    assert exit_code(summary(500.0, 700.0), target) == 0  # the bound itself is within


def test_nothing_measured() -> None:
    s = summary(None)
    assert exit_code(s, target_for(1)) == 2 and not within(s, target_for(1))
    assert verdict_line("fast", s, target_for(1)).endswith("no turn could be measured")


def turn(e2e: float) -> TurnRecord:
    return TurnRecord(
        clip="a.wav",
        mode="fast",
        session=0,
        repeat=0,
        index=0,
        end_to_end_ms=e2e,
        stages={},
        split=False,
        merged=False,
        n_turns=1,
        dropped_turns=0,
        turn_id=1,
        transcript="hi",
        turn_transcript="hi",
        reply_text="hello",
        reference=None,
        wer=None,
        speech_end_s=1.0,
        clip_s=1.5,
        error=None,
    )


def test_the_report_ends_with_the_verdict_and_the_json_carries_the_target() -> None:
    records = [turn(450.0), turn(480.0), turn(990.0)]  # p50 480, p95 939
    last = summary_text({"fast": mode_summary(records)}, target_for(1)).splitlines()[-1]
    assert last.startswith("target (p50 ≤ 500 ms, p95 ≤ 700 ms (issue 11, 1 session)): fast end-to-end")
    assert last.endswith("p50 480 ms, p95 939 ms: OVER (p95 939 ms > 700 ms)")

    clip = Clip("a.wav", np.zeros(16_000, dtype=np.int16), 40)
    doc = build_document(
        {"fast": records}, primary="fast", target=target_for(1), concurrency=1, repeat=1, server="ws://x", clips=[clip]
    )
    assert doc["budget_ms"] == 500.0
    assert doc["target"] == {"p50_ms": 500.0, "p95_ms": 700.0, "source": "issue 11, 1 session"}
    assert doc["within_budget"] is False  # p50 is within 500 ms, p95 is not
    loose = build_document(
        {"fast": records}, primary="fast", target=target_for(2), concurrency=2, repeat=1, server="ws://x", clips=[clip]
    )
    assert loose["within_budget"] is True and loose["target"]["p95_ms"] is None


def _parse(argv: list[str]):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import latency_budget
    finally:
        sys.path.pop(0)
    return latency_budget.parse_args(argv)


def test_cli_targets() -> None:
    assert _parse(["--server", "ws://x"]).target == target_for(1)
    assert _parse(["--server", "ws://x", "--concurrency", "2"]).target == target_for(2)
    assert _parse(["--server", "ws://x", "--budget-ms", "800"]).target == Target(800.0, None, "--budget-ms")
    assert _parse(["--server", "ws://x", "--p95-ms", "900"]).target.p95_ms == 900.0
    for bad in (["--budget-ms", "0"], ["--p95-ms", "-1"], ["--budget-ms", "fast"]):
        with pytest.raises(SystemExit):
            _parse(["--server", "ws://x", *bad])


@pytest.mark.parametrize(
    ("concurrency", "e2e", "code", "verdict"),
    [
        (2, [500.0, 523.0, 546.0], 0, "p50 523 ms: within the target"),  # docs/bench/latency-c2.txt said OVER
        (1, [500.0, 523.0, 546.0], 1, "OVER (p50 523 ms > 500 ms)"),
        (1, [430.0, 470.0, 990.0], 1, "OVER (p95 938 ms > 700 ms)"),
    ],
)
def test_the_benchmark_exit_code_and_last_line_follow_the_target(
    concurrency: int,
    e2e: list[float],
    code: int,
    verdict: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The whole run, with the clips, the server and the sessions faked: no server is contacted."""
    from client.benchmark import main
    from client.benchmark.runner import ModeRun

    clip = Clip("a.wav", np.zeros(16_000, dtype=np.int16), 40)

    async def fake_run_mode(url: str, clips: list[Clip], **kwargs: object) -> ModeRun:
        assert kwargs["concurrency"] == concurrency
        return ModeRun(records=[turn(x) for x in e2e])

    monkeypatch.setattr(main, "load_clips", lambda _opts: [clip])
    monkeypatch.setattr(main, "server_for", lambda url, spawn, say: (None, url))
    monkeypatch.setattr(main, "run_mode", fake_run_mode)
    out = tmp_path / "bench.json"
    opts = main.Options(server="ws://fake", spawn=False, clips=(), concurrency=concurrency, json_path=out)
    assert main.run(opts) == code
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1].endswith(verdict)
    assert f"target: {target_for(concurrency).describe()}" in captured.err
    assert '"within_budget": ' + ("true" if code == 0 else "false") in out.read_text()
