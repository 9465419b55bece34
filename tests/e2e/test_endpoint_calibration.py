"""End-to-end: ``scripts/endpoint_calibration.py`` replays the human recordings through the real
models and the server's own segmenter, and its fit reads what it wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_collect_judges_every_pause_of_jfk_and_fit_reports(jfk: Path, tmp_path: Path) -> None:
    out = tmp_path / "human.json"
    collect = subprocess.run(
        [sys.executable, "scripts/endpoint_calibration.py", "collect", "--set", "human", "--json", str(out)],
        check=False, cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert collect.returncode == 0, collect.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["sets"] == ["human"] and doc["models"]
    rows = [r for r in doc["pauses"] if r["clip"] == "jfk.flac"]
    inner, final = [r for r in rows if not r["final"]], [r for r in rows if r["final"]]
    # Two long pauses inside the sentence (after "ask not" and "...for you"), then its end.
    assert len(final) == 1 and rows[-1]["final"]
    assert sum(r["pause_ms"] >= 400 for r in inner) >= 2 and all(r["pause_ms"] < 5_000 for r in inner)
    assert "country" in final[0]["transcript"].lower()
    for row in rows:
        assert 0.0 <= row["p_voice"] <= 1.0 and row["stt_ms"] > 0
        assert row["p_words"] is None or 0.0 <= row["p_words"] <= 1.0

    fit = subprocess.run([sys.executable, "scripts/endpoint_calibration.py", "fit", str(out), "--cuts", "--top", "2"],
                         check=False, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert fit.returncode == 0, fit.stderr[-3000:]
    first = fit.stdout.splitlines()[0]
    assert first.startswith("server defaults: cut-offs ") and "wait p50" in first
