"""Operating a node: metrics, admission control, graceful drain, verified model rollout and rollback."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app import protocol as p
from app.models import DEFAULT_MODELS_DIR
from app.store import SqliteStore
from app.turn_policy import adds_nothing
from client.file_mode import run_file
from tests.conftest import REPO, ServerProcess, start_server

pytestmark = pytest.mark.e2e


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


def test_metrics_count_turns_and_stages(server: ServerProcess, jfk: Path) -> None:
    result = asyncio.run(run_file(server.url, jfk, timeout_s=90, echo=lambda _: None))
    assert result.replies
    status, text = get(f"{server.http}/metrics")
    assert status == 200
    assert metric(text, 'edgevoice_turns_total{pipeline="fast"}') >= 1
    for stage in ("stt_ms", "llm_first_token_ms", "tts_first_audio_ms", "endpoint_wait_ms"):
        assert metric(text, f'edgevoice_stage_seconds_count{{stage="{stage}"}}') >= 1
    assert metric(text, "edgevoice_turn_latency_seconds_count") >= 1
    assert 'edgevoice_model_info{manifest_version="' in text
    assert get(f"{server.http}/healthz")[0] == 200
    assert get(f"{server.http}/readyz")[0] == 200


def test_connections_past_max_sessions_get_busy(tmp_path: Path) -> None:
    node = start_server(tmp_path / "node.log", "--max-sessions", "1", "--store", "memory://")
    try:
        async def scenario() -> tuple[p.Message, int | None]:
            first = await connect(node.url)
            await first.send(p.Hello().encode())
            assert isinstance(p.decode_server_message(await first.recv()), p.Ready)
            assert get(f"{node.http}/readyz")[0] == 503  # a load balancer stops sending us sessions
            second = await connect(node.url)
            refusal = p.decode_server_message(await second.recv())
            with pytest.raises(ConnectionClosed):
                await second.recv()
            await first.close()
            return refusal, second.close_code

        refusal, close_code = asyncio.run(scenario())
        assert isinstance(refusal, p.Error) and refusal.code == p.ErrorCode.BUSY
        assert refusal.retry_after_ms and refusal.retry_after_ms > 0
        assert close_code == p.CloseCode.TRY_AGAIN_LATER
        assert 'edgevoice_rejected_connections_total{reason="full"} 1.0' in get(f"{node.http}/metrics")[1]
    finally:
        node.stop()


def test_sigterm_drains_the_turn_in_flight_and_keeps_its_history(tmp_path: Path, jfk: Path) -> None:
    db = tmp_path / "sessions.db"
    node = start_server(tmp_path / "node.log", "--store", f"sqlite:///{db}")
    events: list[p.Message] = []

    async def scenario() -> str:
        from client.audio_files import read_mono
        from client.connection import ClientSession

        session = await ClientSession.open(node.url)
        audio = read_mono(jfk, 16_000)
        stopped = asyncio.Event()

        async def receive() -> None:
            async for event in session.events():
                if isinstance(event, p.Message):
                    events.append(event)
                    if isinstance(event, p.SpeechStopped):
                        node.process.send_signal(signal.SIGTERM)  # mid-turn
                        stopped.set()

        receiver = asyncio.create_task(receive())
        import numpy as np

        padded = np.concatenate([audio, np.zeros(16_000 * 10, dtype=np.int16)])
        start = time.monotonic()
        try:
            for i, offset in enumerate(range(0, padded.shape[0], 320)):
                await session.send_audio(padded[offset : offset + 320])
                await asyncio.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))
        except ConnectionClosed:
            pass
        await asyncio.wait_for(receiver, timeout=30)
        assert stopped.is_set()
        return session.ready.session_id

    try:
        session_id = asyncio.run(scenario())
        assert node.process.wait(30) == 0
    finally:
        node.stop()
    replies = [e.text for e in events if isinstance(e, p.ReplyDone) and e.text and not e.interrupted]
    assert replies, "the turn in flight was not finished"
    record = SqliteStore(db, ttl_s=3600).load(session_id)
    assert record is not None
    roles = [m.role for m in record.history]
    # The reply is stored with its question, unless it only said the quote back (the small model
    # often does): that stays out of the history by design (turn_policy.adds_nothing).
    assert roles == ["user", "assistant"] or (
        roles == ["user"] and adds_nothing(replies[-1], record.history[0].content)), record.history


def _models_copy(tmp_path: Path) -> Path:
    """A models dir of symlinks to the fetched models, with its own manifest to edit."""
    models = tmp_path / "models"
    models.mkdir()
    for role in ("stt", "llm", "tts", "turn"):
        (models / role).mkdir()
        for model_dir in (DEFAULT_MODELS_DIR / role).iterdir():
            (models / role / model_dir.name).symlink_to(model_dir)
    (models / "manifest.toml").write_text((REPO / "models" / "manifest.toml").read_text())
    return models


def _manifest_version(node: ServerProcess) -> str:
    return json.loads(get(f"{node.http}/info")[1])["models"]["manifest_version"]


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_rollout_and_rollback_during_a_live_session_and_a_corrupt_rollout_is_refused(
    tmp_path: Path, jfk: Path
) -> None:
    models = _models_copy(tmp_path)
    manifest = models / "manifest.toml"
    original = manifest.read_text()
    version = tomllib.loads(original)["version"]
    node = start_server(tmp_path / "node.log", "--models", str(models), "--store", "memory://")
    try:
        async def live_session() -> None:
            from client.connection import ClientSession

            session = await ClientSession.open(node.url)
            assert _manifest_version(node) == version
            # Roll out a new manifest version while this session is open.
            manifest.write_text(original.replace(f'version = "{version}"', f'version = "{version}.1"', 1))
            node.process.send_signal(signal.SIGHUP)
            assert await asyncio.to_thread(_wait_for, lambda: _manifest_version(node) == f"{version}.1")
            # Corrupt rollout: the voice file the manifest names has the wrong bytes.
            bad = models / "tts" / "joe-bad"
            bad.mkdir()
            (bad / "en_US-joe-medium.onnx").write_bytes(b"not a voice" * 1000)
            (bad / "en_US-joe-medium.onnx.json").write_bytes((models / "tts" / "en_US-joe-medium" /
                                                              "en_US-joe-medium.onnx.json").read_bytes())
            corrupt = original.replace(f'version = "{version}"', f'version = "{version}.2"', 1)
            corrupt = corrupt.replace('dest = "tts/en_US-joe-medium/', 'dest = "tts/joe-bad/')
            manifest.write_text(corrupt)
            node.process.send_signal(signal.SIGHUP)
            assert await asyncio.to_thread(_wait_for, lambda: "model rollout refused" in node.log())
            assert _manifest_version(node) == f"{version}.1"  # still serving the good version
            # Roll back.
            manifest.write_text(original)
            node.process.send_signal(signal.SIGHUP)
            assert await asyncio.to_thread(_wait_for, lambda: _manifest_version(node) == version)
            # The session opened before all this still works.
            await session.send(p.GetHistory())
            reply = p.decode_server_message(await asyncio.wait_for(session.ws.recv(), timeout=10))
            assert isinstance(reply, p.History)
            await session.close()

        asyncio.run(live_session())
        assert "sha256 mismatch" in node.log()
        result = asyncio.run(run_file(node.url, jfk, timeout_s=90, echo=lambda _: None))
        assert result.replies and not result.errors
        text = get(f"{node.http}/metrics")[1]
        assert 'edgevoice_model_rollouts_total{outcome="refused"} 1.0' in text
        assert 'edgevoice_model_rollouts_total{outcome="done"} 2.0' in text
    finally:
        node.stop()
