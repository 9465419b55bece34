"""End-to-end: the real server, real models and a real recording over a real websocket."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import urllib.request
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from app.models import DEFAULT_MODELS_DIR
from app.stages.stt import WhisperStt
from client.file_mode import run_file
from tests.conftest import REPO, ServerProcess

pytestmark = pytest.mark.e2e
JFK_PHRASE = "ask not what your country can do for you"


def normalize(text: str) -> str:
    return " ".join(re.findall(r"[a-z']+", text.lower()))


def voice_sample_rate() -> int:
    config = next((DEFAULT_MODELS_DIR / "tts").rglob("*.onnx.json"))
    return int(json.loads(config.read_text())["audio"]["sample_rate"])


def test_healthz_and_info_answer_plain_http(server: ServerProcess) -> None:
    with urllib.request.urlopen(f"{server.http}/healthz", timeout=5) as response:
        assert json.load(response) == {"status": "ok"}
    with urllib.request.urlopen(f"{server.http}/info", timeout=5) as response:
        info = json.load(response)
    assert set(info["models"]["models"]) >= {"stt", "llm", "tts"}


def test_jfk_turn_transcribed_answered_and_spoken(server: ServerProcess, jfk: Path) -> None:
    result = asyncio.run(run_file(server.url, jfk, timeout_s=90, echo=lambda _: None))
    assert not result.errors
    assert any(JFK_PHRASE in normalize(t) for t in result.transcripts), result.transcripts
    assert result.replies and all(r.strip() for r in result.replies)
    assert result.output_rate == voice_sample_rate()
    audio = result.reply_audio
    assert audio.shape[0] > result.output_rate // 2  # at least half a second of speech
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    assert rms > 300, f"reply audio is (near) silent: rms={rms:.0f}"
    timing = result.timings[-1]
    for key in ("endpoint_wait_ms", "stt_ms", "llm_first_token_ms", "first_clause_ms", "tts_first_audio_ms"):
        assert timing[key] >= 0, key


def test_client_cli_file_mode_writes_intelligible_reply(server: ServerProcess, jfk: Path, tmp_path: Path) -> None:
    # Any common rate and channel count: feed 44.1 kHz stereo so the client must resample and mix.
    frames, rate = soundfile.read(str(jfk), dtype="float32", always_2d=True)
    mono = frames.mean(axis=1)
    stereo = np.stack([mono, mono], axis=1)
    source = tmp_path / "jfk_44k_stereo.wav"
    soundfile.write(str(source), soxr.resample(stereo, rate, 44_100), 44_100, subtype="PCM_16")
    out = tmp_path / "reply.wav"
    completed = subprocess.run(
        [sys.executable, "-m", "client", "--server", server.url, "--input-wav", str(source), "--output-wav", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    reply_line = next(line for line in completed.stdout.splitlines() if line.startswith("assistant: "))
    reply_text = normalize(reply_line.removeprefix("assistant: "))
    with wave.open(str(out)) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        spoken = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        out_rate = wav.getframerate()
    # Intelligible: Whisper hears the reply text in the written audio.
    heard = WhisperStt(DEFAULT_MODELS_DIR / "stt" / "tiny.en").transcribe(
        soxr.resample(spoken, out_rate, 16_000).astype(np.int16), window_s=None
    )
    expected = set(reply_text.split())
    overlap = len(expected & set(normalize(heard.text).split())) / max(1, len(expected))
    assert overlap >= 0.5, f"reply {reply_text!r} but the audio says {heard.text!r}"
