"""The ``/v1/realtime`` handler over fakes: a RealtimeConnection on a FakeWebSocket and a fake
engine, so the async wiring (the native connection's turns, store and limits under the
translator) runs without models."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import numpy as np
import pytest
import soxr

from app.auth import Grant
from app.engine import Engine
from app.node import Node
from app.realtime.connection import RealtimeConnection, realtime_model
from tests.fakes import FakeWebSocket, fake_engine, fake_node, silent_frames, voiced_frames

REPLY = ["It is noon."]


@pytest.fixture
def node() -> Iterator[Node]:
    engine: Engine = fake_engine(
        stt=lambda audio, window: "Tell me a story.",
        llm=lambda messages: REPLY,
        tts=lambda text: np.full(4410, 1000, np.int16),
        sample_rate=22_050,
    )
    yield fake_node(engine)
    engine.close()


def run(test: Callable[[], Awaitable[None]], timeout: float = 15.0) -> None:
    async def main() -> None:
        await asyncio.wait_for(test(), timeout)

    asyncio.run(main())


def events(ws: FakeWebSocket) -> list[dict[str, Any]]:
    return [json.loads(f) for f in ws.sent if isinstance(f, str)]


def kinds(ws: FakeWebSocket) -> list[str]:
    return [e["type"] for e in events(ws)]


async def until(ws: FakeWebSocket, kind: str) -> dict[str, Any]:
    await ws.wait_for(lambda w: kind in kinds(w))
    return next(e for e in events(ws) if e["type"] == kind)


def speech_24k(voiced: int, silent: int) -> str:
    """A base64 append: ``voiced`` then ``silent`` 20 ms frames, resampled to 24 kHz."""
    frames = (voiced_frames(voiced) if voiced else []) + silent_frames(silent)
    pcm = np.frombuffer(b"".join(frames), dtype=np.int16)
    return base64.b64encode(soxr.resample(pcm, 16_000, 24_000).astype("<i2").tobytes()).decode()


def test_the_path_selects_the_protocol_and_names_the_model() -> None:
    assert realtime_model("/v1/realtime?model=gpt-realtime") == "gpt-realtime"
    assert realtime_model("/v1/realtime") == ""
    assert realtime_model("/ws") is None and realtime_model("/v1/realtimex") is None


def test_a_committed_recording_is_answered_over_the_wire(node: Node) -> None:
    async def test() -> None:
        ws = FakeWebSocket()
        conn = RealtimeConnection(ws, node, model="gpt-realtime")
        task = asyncio.create_task(conn.run())
        created = await until(ws, "session.created")
        assert created["session"]["model"] == "gpt-realtime" and created["event_id"]
        assert node.live[conn.session.id] is conn  # registered like a native session
        ws.feed(json.dumps({"type": "session.update", "session": {"audio": {"input": {"turn_detection": None}}}}))
        ws.feed(json.dumps({"type": "input_audio_buffer.append", "audio": speech_24k(40, 5)}))
        ws.feed(json.dumps({"type": "input_audio_buffer.commit"}), json.dumps({"type": "response.create"}))
        done = await until(ws, "response.done")
        assert done["response"]["status"] == "completed"
        assert done["response"]["output"][0]["content"][0]["transcript"] == "It is noon."
        transcript = await until(ws, "conversation.item.input_audio_transcription.completed")
        assert transcript["transcript"] == "Tell me a story."
        audio = b"".join(base64.b64decode(e["delta"]) for e in events(ws) if e["type"] == "response.output_audio.delta")
        assert 2 * 4700 <= len(audio) <= 2 * 4800  # 200 ms of reply at 24 kHz
        assert not any(isinstance(f, bytes) for f in ws.sent)  # no native binary frames
        assert "ready" not in kinds(ws)  # native messages are counted, never sent
        ws.feed(b"\x00\x01")  # the protocol has no binary frames
        error = await until(ws, "error")
        assert error["error"]["code"] == "invalid_value"
        ws.drop()
        await asyncio.wait_for(task, 5)
        assert conn.session.id not in node.live

    run(test)


def test_an_append_counts_as_audio_for_the_idle_timeout() -> None:
    engine = fake_engine()
    short = fake_node(engine, idle_timeout_s=0.5)

    async def test() -> None:
        ws = FakeWebSocket()
        task = asyncio.create_task(RealtimeConnection(ws, short).run())
        await until(ws, "session.created")
        for _ in range(8):  # 0.8 s of appends, each 0.1 s apart: never idle for 0.5 s
            ws.feed(json.dumps({"type": "input_audio_buffer.append", "audio": speech_24k(0, 5)}))
            await asyncio.sleep(0.1)
        assert ws.closed is None
        error = await until(ws, "error")  # then silence on the wire: closed as idle
        assert error["error"]["code"] == "idle_timeout"
        await asyncio.wait_for(task, 5)

    try:
        run(test)
    finally:
        engine.close()


def test_a_client_secrets_session_is_applied_before_session_created(node: Node) -> None:
    config = {"type": "realtime", "instructions": "Be brief.",
              "audio": {"input": {"format": {"type": "audio/pcmu"}, "turn_detection": None}}}

    async def test() -> None:
        ws = FakeWebSocket()
        task = asyncio.create_task(RealtimeConnection(ws, node, Grant(session_config=config)).run())
        created = await until(ws, "session.created")
        assert kinds(ws)[0] == "session.created"  # the configuration's own session.updated is not sent
        assert created["session"]["instructions"] == "Be brief."
        assert created["session"]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
        assert created["session"]["audio"]["input"]["turn_detection"] is None
        ws.drop()
        await asyncio.wait_for(task, 5)

    run(test)


def test_a_bound_configuration_the_node_no_longer_takes_is_reported_after_session_created(node: Node) -> None:
    async def test() -> None:
        ws = FakeWebSocket()
        grant = Grant(session_config={"type": "realtime", "instructions": 42})
        task = asyncio.create_task(RealtimeConnection(ws, node, grant).run())
        error = await until(ws, "error")
        assert kinds(ws)[:2] == ["session.created", "error"] and error["error"]["param"] == "session.instructions"
        ws.drop()
        await asyncio.wait_for(task, 5)

    run(test)
