"""A client function over the real ``EdgeServer`` and the real turn runner, with a fake engine
(no models): the official SDK declares it, the turn calls it, its output is spoken back."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import numpy as np
from openai import AsyncOpenAI

from app.config import ServerSettings
from app.server import EdgeServer
from app.store import MemoryStore
from tests.fakes import fake_engine, voiced_frames

WEATHER = {"type": "function", "name": "get_weather", "description": "Get the weather for a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


async def until(conn: Any, kind: str, seen: list[Any]) -> Any:
    while True:
        event = await asyncio.wait_for(conn.recv(), 5)
        seen.append(event)
        assert event.type != "error", event
        if event.type == kind:
            return event


def test_the_sdk_gets_a_function_call_and_hears_the_answer_from_its_output() -> None:
    engine = fake_engine(stt=lambda audio, window: "What's the weather in Paris?",
                         arguments=lambda messages, schema: '{"city": "Paris"}',
                         llm=lambda messages: ["It is sunny ", "in Paris."])

    async def test() -> None:
        config = ServerSettings(host="127.0.0.1", port=0)
        server = await EdgeServer(config, engine, MemoryStore(config.session_ttl_s)).start()
        port = server.sockets[0].getsockname()[1]
        client = AsyncOpenAI(api_key="unused", base_url=f"http://127.0.0.1:{port}/v1",
                             websocket_base_url=f"ws://127.0.0.1:{port}/v1")
        try:
            async with client.realtime.connect(model="gpt-realtime") as conn:
                seen: list[Any] = []
                await until(conn, "session.created", seen)
                await conn.session.update(session={"type": "realtime", "tools": [WEATHER],
                                                   "audio": {"input": {"turn_detection": None}}})
                await until(conn, "session.updated", seen)
                pcm = np.repeat(np.frombuffer(b"".join(voiced_frames(50)), dtype=np.int16), 3)[::2]  # 1 s, 24 kHz
                await conn.input_audio_buffer.append(audio=base64.b64encode(pcm.astype("<i2").tobytes()).decode())
                await conn.input_audio_buffer.commit()
                await conn.response.create()
                call = (await until(conn, "response.done", seen)).response.output[0]
                assert (call.type, call.name, json.loads(call.arguments)) == ("function_call", "get_weather",
                                                                             {"city": "Paris"})
                await conn.conversation.item.create(item={"type": "function_call_output", "call_id": call.call_id,
                                                          "output": '{"sky": "sunny"}'})
                await until(conn, "conversation.item.done", seen)
                await conn.response.create()
                answer = await until(conn, "response.done", seen)
                assert answer.response.status == "completed"
                assert answer.response.output[0].content[0].transcript == "It is sunny in Paris."
                assert any(e.type == "response.output_audio.delta" for e in seen)
        finally:
            server.close()
            await server.wait_closed()

    try:
        asyncio.run(asyncio.wait_for(test(), 15))
    finally:
        engine.close()
    [(messages, schema)] = engine.llm.argument_calls
    assert schema == WEATHER["parameters"] and messages[-1].content == "What's the weather in Paris?"
    [reply] = engine.llm.calls
    assert "sky: sunny" in reply.messages[-1].content and reply.messages[-2].content == "What's the weather in Paris?"
