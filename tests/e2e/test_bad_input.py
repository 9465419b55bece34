"""Every bad input gets an error with a stable code; the server keeps serving everyone else."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app import protocol as p
from client.file_mode import run_file
from tests.conftest import ServerProcess

pytestmark = pytest.mark.e2e


async def opened(url: str) -> ClientConnection:
    ws = await connect(url)
    await ws.send(p.Hello().encode())
    assert isinstance(p.decode_server_message(await ws.recv()), p.Ready)
    return ws


async def next_error(ws: ClientConnection) -> p.Error:
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=10)
        if isinstance(raw, str):
            message = p.decode_server_message(raw)
            if isinstance(message, p.Error):
                return message


async def closed_with(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), timeout=10)
    assert ws.close_code is not None
    return ws.close_code


async def bad_inputs(url: str) -> dict[str, tuple[str, int | None]]:
    """Send each bad input on its own connection; return code and close code per case."""
    seen: dict[str, tuple[str, int | None]] = {}

    ws = await opened(url)
    await ws.send("{this is not json")
    seen["malformed_json"] = ((await next_error(ws)).code, None)
    await ws.send(json.dumps({"type": "teleport"}))
    seen["unknown_type"] = ((await next_error(ws)).code, None)
    await ws.send(b"\x00\x01\x02")
    seen["odd_length"] = ((await next_error(ws)).code, None)
    await ws.send(p.Hello().encode())  # still open after three recoverable errors
    seen["duplicate_hello"] = ((await next_error(ws)).code, None)
    await ws.send(bytes(p.MAX_AUDIO_FRAME_BYTES + 2))
    error = await next_error(ws)
    seen["oversized"] = (error.code, await closed_with(ws))

    ws = await connect(url)
    await ws.send(bytes(640))
    error = await next_error(ws)
    seen["audio_before_hello"] = (error.code, await closed_with(ws))

    ws = await connect(url)
    await ws.send(json.dumps({"type": "hello", "protocol": 1, "sample_rate": 48000}))
    error = await next_error(ws)
    seen["bad_sample_rate"] = (error.code, await closed_with(ws))
    return seen


def test_each_bad_input_gets_its_error_and_a_normal_turn_still_works(server: ServerProcess, jfk: Path) -> None:
    seen = asyncio.run(bad_inputs(server.url))
    assert seen == {
        "malformed_json": (p.ErrorCode.BAD_JSON, None),
        "unknown_type": (p.ErrorCode.UNKNOWN_TYPE, None),
        "odd_length": (p.ErrorCode.MISALIGNED_AUDIO, None),
        "duplicate_hello": (p.ErrorCode.DUPLICATE_HELLO, None),
        "oversized": (p.ErrorCode.FRAME_TOO_LARGE, p.CloseCode.MESSAGE_TOO_BIG),
        "audio_before_hello": (p.ErrorCode.AUDIO_BEFORE_HELLO, p.CloseCode.POLICY_VIOLATION),
        "bad_sample_rate": (p.ErrorCode.UNSUPPORTED_SAMPLE_RATE, p.CloseCode.UNSUPPORTED_DATA),
    }
    assert server.process.poll() is None, "server died"
    result = asyncio.run(run_file(server.url, jfk, timeout_s=90, echo=lambda _: None))
    assert result.replies and not result.errors


def test_concurrent_sessions_share_the_models(server: ServerProcess, jfk: Path) -> None:
    async def two() -> list:
        return await asyncio.gather(*(run_file(server.url, jfk, timeout_s=120, echo=lambda _: None) for _ in range(2)))

    results = asyncio.run(two())
    for result in results:
        assert not result.errors
        assert result.replies and result.reply_audio.shape[0] > 0
