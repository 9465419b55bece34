"""``/v1/realtime`` on the real ``EdgeServer`` over loopback with a fake engine (no models): the
official SDK connects, large appends are taken, and a busy node refuses in the protocol's shape."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import pytest
from openai import AsyncOpenAI
from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app import protocol as p
from app.chat import ChatMessage
from app.config import ServerSettings
from app.engine import Engine
from app.server import EdgeServer
from app.store import MemoryStore
from tests.fakes import fake_engine, voiced_frames


def run(test: Callable[[], Awaitable[None]], timeout: float = 15.0) -> None:
    async def main() -> None:
        await asyncio.wait_for(test(), timeout)

    asyncio.run(main())


@asynccontextmanager
async def edge_server(engine: Engine | None = None, **settings: Any) -> AsyncIterator[int]:
    """An EdgeServer on a free loopback port (no tokens: loopback only) over ``engine`` (by default
    a fake one that hears "Tell me a story." and says "Once upon a time."); its port."""
    config = ServerSettings(host="127.0.0.1", port=0, **settings)
    engine = engine or fake_engine(stt=lambda audio, window: "Tell me a story.",
                                   llm=lambda messages: ["Once upon a time."])
    edge = EdgeServer(config, engine, MemoryStore(config.session_ttl_s))
    server = await edge.start()
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        engine.close()


def test_the_sdk_commits_a_large_append_and_gets_a_response() -> None:
    async def test() -> None:
        async with edge_server() as port:
            client = AsyncOpenAI(
                api_key="unused", base_url=f"http://127.0.0.1:{port}/v1", websocket_base_url=f"ws://127.0.0.1:{port}/v1"
            )
            async with client.realtime.connect(model="gpt-realtime") as conn:
                created = await conn.recv()
                assert created.type == "session.created" and created.session.model == "gpt-realtime"
                await conn.session.update(session={"type": "realtime", "audio": {"input": {"turn_detection": None}}})
                pcm = np.frombuffer(b"".join(voiced_frames(150)), dtype=np.int16)  # 3 s
                audio = np.repeat(pcm, 3)[::2]  # 16 -> 24 kHz, crudely: the fake STT does not listen
                payload = base64.b64encode(audio.astype("<i2").tobytes()).decode()
                assert len(payload) > 4 * p.MAX_AUDIO_FRAME_BYTES  # over the native protocol's hard cap
                await conn.input_audio_buffer.append(audio=payload)
                await conn.input_audio_buffer.commit()
                await conn.response.create()
                kinds = []
                while not kinds or kinds[-1] != "response.done":
                    event = await asyncio.wait_for(conn.recv(), 5)
                    assert event.type != "error", event
                    kinds.append(event.type)
                assert "response.output_audio.delta" in kinds

    run(test)


def test_a_busy_node_refuses_with_a_realtime_error_event() -> None:
    async def test() -> None:
        async with edge_server(max_sessions=1) as port, connect(f"ws://127.0.0.1:{port}/ws") as native:
            await native.send(p.Hello().encode())
            assert isinstance(p.decode_server_message(await native.recv()), p.Ready)
            async with connect(f"ws://127.0.0.1:{port}/v1/realtime?model=x") as ws:
                event = json.loads(await asyncio.wait_for(ws.recv(), 5))
                TypeAdapter(RealtimeServerEvent).validate_python(event)
                assert event["type"] == "error" and event["error"]["code"] == "busy"
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 5)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == p.CloseCode.TRY_AGAIN_LATER

    run(test)


def test_the_sdk_asks_a_fresh_session_for_a_greeting_spoken_or_in_text() -> None:
    """Through the connection and the runner: a turn from the history alone is spoken, or in text
    not synthesized at all."""
    engine = fake_engine(llm=lambda messages: ["Once upon a time."])

    async def test() -> None:
        async with edge_server(engine) as port:
            client = AsyncOpenAI(
                api_key="unused", base_url=f"http://127.0.0.1:{port}/v1", websocket_base_url=f"ws://127.0.0.1:{port}/v1"
            )
            async with client.realtime.connect(model="gpt-realtime") as conn:
                assert (await conn.recv()).type == "session.created"
                for modalities in (["audio"], ["text"]):
                    await conn.response.create(response={"instructions": "Greet the user.",
                                                         "output_modalities": modalities})  # type: ignore[typeddict-item]
                    seen = []
                    while not seen or seen[-1].type != "response.done":
                        seen.append(await asyncio.wait_for(conn.recv(), 5))
                        assert seen[-1].type != "error", seen[-1]
                    kinds = [e.type for e in seen]
                    assert seen[-1].response.status == "completed" and "input_audio_buffer.committed" not in kinds
                    spoken = modalities == ["audio"]
                    assert ("response.output_audio.delta" in kinds) == spoken, kinds
                    assert " ".join(engine.tts.calls) == "Once upon a time."  # the spoken one's; never the text one's
                    text = "response.output_audio_transcript.delta" if spoken else "response.output_text.delta"
                    assert "".join(e.delta for e in seen if e.type == text) == "Once upon a time."
                    assert not engine.stt.calls  # nothing to hear
                prompt = engine.llm.calls[0].messages[1:]  # after the node's own system prompt
                assert prompt == (ChatMessage("system", "Greet the user."),)  # once: the connection translates twice

    run(test)
