"""The soak benchmark, briefly: two sessions for half a minute against a spawned node."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_short_soak_reports_plausible_figures(tmp_path: Path) -> None:
    out, png = tmp_path / "soak.json", tmp_path / "soak.png"
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "soak.py"), "--spawn", "--sessions", "2", "--minutes", "0.5",
         "--window-s", "10", "--sample-s", "2", "--json", str(out), "--plot", str(png), "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=420, check=False,
    )
    print(run.stdout[-3000:], run.stderr[-2000:], sep="\n")
    assert run.returncode in (0, 1), run.stderr[-3000:]
    doc = json.loads(out.read_text())

    assert doc["sessions"] == 2 and doc["duration_s"] == 30.0
    assert doc["wall_s"] >= 30.0
    assert doc["connections"] >= 2
    assert doc["turns_total"] >= 4, "two sessions should take several turns in 30 s"
    assert doc["turns_measured"] >= 2

    lat = doc["latency"]
    assert lat["n"] == doc["turns_measured"]
    assert 0 < lat["p50_ms"] <= lat["p95_ms"] <= lat["max_ms"] < 60_000
    windows = doc["windows"]
    assert len(windows) == 3 and [w["start_s"] for w in windows] == [0.0, 10.0, 20.0]
    assert sum(w["turns"] for w in windows) == doc["turns_total"]
    for w in windows:
        if w["measured"]:
            assert 0 < w["p50_ms"] <= w["p95_ms"] <= w["max_ms"]
    for turn in doc["turns"]:
        assert {"t_s", "session", "clip", "end_to_end_ms", "error"} <= set(turn)
        assert turn["session"] in (0, 1)

    errors = doc["errors"]
    assert {"count", "error_events", "disconnects", "timeouts", "by_code", "events"} <= set(errors)
    frames = doc["frames"]
    assert frames["frames"] > 0 and frames["turns_done"] >= 2
    # A healthy node: every reply frame arrives, in order, and nothing goes wrong.
    assert frames["lost"] == 0 and frames["out_of_order"] == 0, frames["problems"]
    assert errors["count"] == 0, errors["events"]

    rss = doc["rss"]
    assert rss["pid"] and rss["warmup_s"] == pytest.approx(6.0)
    assert rss["at_warmup_end_kb"] > 100 * 1024 and 100 * 1024 < rss["at_end_kb"] < 16 * 1024 * 1024
    assert rss["at_warmup_end_t_s"] >= 6.0 and rss["at_end_t_s"] >= 30.0
    # A 30 s run's warm-up ends before the models have done much, so only the arithmetic is checked here.
    growth = 100.0 * (rss["at_end_kb"] - rss["at_warmup_end_kb"]) / rss["at_warmup_end_kb"]
    assert rss["growth_pct"] == pytest.approx(growth, abs=0.01)
    assert rss["peak_kb"] >= max(rss["at_end_kb"], rss["at_warmup_end_kb"])
    samples = doc["samples"]
    assert len(samples) >= 10 and all(s["rss_kb"] for s in samples)
    assert [s["t_s"] for s in samples] == sorted(s["t_s"] for s in samples)
    assert all(s["threads"] and s["tasks"] for s in samples), "/info was not sampled"

    assert doc["ok"] is True and run.returncode == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "reply audio frames" in run.stdout and "server RSS" in run.stdout
