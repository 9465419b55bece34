"""End-to-end: ``scripts/latency_budget.py --spawn`` on real recordings writes a complete JSON report,
over the native protocol and (``--protocol both``) over ``/v1/realtime`` on the same clips.

No latency threshold here (the budget is set out of reach): this checks the benchmark measures and
reports every field, not how fast this machine is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from client.audio_files import read_mono
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

STAGES = ("endpoint_wait_ms", "stt_ms", "llm_first_token_ms", "tts_first_audio_ms")


def jfk_cut(jfk: Path, tmp_path: Path) -> Path:
    """The first 5.0 s of jfk.flac (it stops in the pause after "ask not"), with its reference."""
    speech = read_mono(jfk, 16_000)[: 5 * 16_000]
    path = tmp_path / "jfk_first_5s.wav"
    soundfile.write(str(path), speech, 16_000, subtype="PCM_16")
    path.with_suffix(".txt").write_text("And so my fellow Americans, ask not\n")
    return path


def test_benchmark_spawns_measures_and_reports(jfk: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        # The cut first: the default model tends to answer a quote with the quote, and the benchmark
        # talks over replies, so the cut said during the whole speech's reply would be taken for its echo.
        [sys.executable, "scripts/latency_budget.py", "--spawn", "--clips", str(jfk_cut(jfk, tmp_path)), str(jfk),
         "--json", str(out), "--budget-ms", "100000", "--gap-s", "0.5", "--protocol", "both"],
        check=False, cwd=REPO, capture_output=True, text=True, timeout=240,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-3000:]
    assert "END TO END" in completed.stdout and "server stopped" in completed.stderr

    doc = json.loads(out.read_text())
    assert doc["budget_ms"] == 100000 and doc["concurrency"] == 1 and doc["mode"] == "fast"
    assert doc["within_budget"] is True
    turns = doc["turns"]
    assert [t["clip"] for t in turns] == ["jfk_first_5s.wav", "jfk.flac"]
    for turn in turns:
        assert turn["error"] is None, turn
        assert 0 < turn["end_to_end_ms"] < 60_000
        for key in STAGES:
            assert turn["stages"][key] >= 0, key
        assert turn["transcript"].strip() and turn["reply_text"].strip()
        assert turn["wer"] >= 0.0 and turn["reference"]
        # The accounting identity the report relies on (the clock starts at the acoustic end).
        s = turn["stages"]
        assert turn["end_to_end_ms"] == pytest.approx(
            s["vad_tail_ms"] + s["endpoint_wait_ms"] + s["server_first_audio_ms"] + s["network_other_ms"], abs=0.05)
        assert 0 < turn["end_to_end_vad_ms"] < 60_000 and 0 < turn["acoustic_end_s"] <= turn["clip_s"]
        assert 0 < turn["endpoint_wait_acoustic_ms"] <= turn["end_to_end_ms"] + 1.0
        assert turn["reply_interrupted"] is False
    assert "ask not what your country can do for you" in " ".join(
        "".join(c for c in turns[1]["transcript"].lower() if c.isalpha() or c == " ").split())

    summary = doc["summary"]
    assert summary["n"] == 2 and summary["unmeasured"] == 0
    assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["max_ms"]
    assert summary["max_ms"] == pytest.approx(max(t["end_to_end_ms"] for t in turns))
    assert 0 <= summary["split_count"] <= 2 and 0.0 <= summary["split_rate"] <= 1.0
    assert set(summary["wer_per_clip"]) == {"jfk.flac", "jfk_first_5s.wav"} and summary["wer"] >= 0
    for key in STAGES:
        stage = summary["stages"][key]
        assert stage["n"] == 2 and 0 <= stage["p50_ms"] <= stage["p95_ms"] <= stage["max_ms"]
    assert np.isfinite([t["end_to_end_ms"] for t in turns]).all()
    assert summary["end_to_end_vad"]["n"] == 2 and summary["endpoint_wait_acoustic_ms"]["n"] == 2
    # Long-session counts: one session, its history fetched at the end.
    assert summary["sessions"] == 1 and summary["history_sessions"] == 1
    assert summary["history_cut"] >= 0 and summary["history_repeats"] >= 0 and summary["replies_shortened"] >= 0
    assert set(summary["ghost_turns"]) == {"opened", "committed"} and summary["same_reply_as_previous"] >= 0
    assert summary["first_token_trend"]["first10"]["n"] == 2
    assert summary["per_session"][0]["history"]["assistant"] >= 1
    assert set(summary["by_voice"]) == {"human", "file"} and summary["by_set"]["files"]["clips"] == 2
    assert "END TO END (webrtcvad)" in completed.stdout and "ghost turns" in completed.stdout

    # The same clips over OpenAI's Realtime protocol: measured on the same clock, no server stages.
    assert doc["protocol"] == "both" and doc["realtime"]["protocol"] == "realtime"
    realtime = doc["realtime"]["turns"]
    assert [t["clip"] for t in realtime] == ["jfk_first_5s.wav", "jfk.flac"]
    for turn in realtime:
        assert turn["error"] is None and turn["protocol"] == "realtime", turn
        assert 0 < turn["end_to_end_ms"] < 60_000 and turn["transcript"].strip() and turn["reply_text"].strip()
        assert 0 < turn["endpoint_wait_acoustic_ms"] <= turn["end_to_end_ms"] + 1.0
        assert "vad_tail_ms" in turn["stages"] and turn["stages"]["stt_ms"] is None
    assert "ask not what your country can do for you" in " ".join(
        "".join(c for c in realtime[1]["transcript"].lower() if c.isalpha() or c == " ").split())
    comparison = doc["protocol_comparison"]
    assert comparison["pairs"] == 2 and comparison["difference_p50_ms"] is not None
    assert "realtime vs native on the same 2 clips" in completed.stdout
    assert all(t["protocol"] == "native" for t in turns)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = subprocess.run([sys.executable, "scripts/latency_budget.py", "--server", "ws://127.0.0.1:9",
                              "--clips", str(tmp_path / "nope.wav")],
                             check=False, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    neither = subprocess.run([sys.executable, "scripts/latency_budget.py"], check=False, cwd=REPO, capture_output=True,
                             text=True, timeout=60)
    assert neither.returncode == 2
