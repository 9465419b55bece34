"""Admission control of the real ``EdgeServer`` on loopback, over a fake engine (no models)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app import protocol as p
from app.config import ServerSettings
from app.server import EdgeServer
from app.store import MemoryStore
from tests.fakes import fake_engine


def run(test: Callable[[], Awaitable[None]], timeout: float = 15.0) -> None:
    async def main() -> None:
        await asyncio.wait_for(test(), timeout)

    asyncio.run(main())


@asynccontextmanager
async def edge_server(**settings: Any) -> AsyncIterator[tuple[EdgeServer, str]]:
    """An EdgeServer on a free loopback port, and its websocket URL."""
    config = ServerSettings(host="127.0.0.1", port=0, **settings)
    engine = fake_engine()
    edge = EdgeServer(config, engine, MemoryStore(config.session_ttl_s))
    server = await edge.start()
    port = server.sockets[0].getsockname()[1]
    try:
        yield edge, f"ws://127.0.0.1:{port}/ws"
    finally:
        server.close()
        await server.wait_closed()
        engine.close()


async def open_session(url: str) -> ClientConnection:
    """Connect and complete the handshake (the server counts the session once it is served)."""
    ws = await connect(url)
    await ws.send(p.Hello().encode())
    ready = p.decode_server_message(await asyncio.wait_for(ws.recv(), 5))
    assert isinstance(ready, p.Ready)
    return ws


async def refused(url: str) -> tuple[p.Error, int, str]:
    """Connect to a node that refuses: its error, and the close code and reason that follow."""
    async with connect(url) as ws:
        error = p.decode_server_message(await asyncio.wait_for(ws.recv(), 5))
        assert isinstance(error, p.Error)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    return error, closed.value.rcvd.code, closed.value.rcvd.reason


async def http_get(url: str, path: str) -> tuple[int, dict[str, Any]]:
    """A plain HTTP/1.1 GET on the server's port: status and JSON body."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


# ---------------------------------------------------------------- full


def test_a_full_node_refuses_with_busy_and_1013() -> None:
    async def test() -> None:
        async with edge_server(max_sessions=1, retry_after_ms=2_500) as (edge, url):
            assert await http_get(url, "/readyz") == (200, {"status": "ready"})
            first = await open_session(url)
            try:
                assert len(edge.active) == 1
                error, code, reason = await refused(url)
                assert error.code == "busy" and error.fatal and error.retry_after_ms == 2_500
                assert (code, reason) == (1013, "full")
                assert await http_get(url, "/readyz") == (503, {"status": "full"})
                # The admitted session is not disturbed by the refusal.
                await first.send(p.GetHistory().encode())
                history = p.decode_server_message(await asyncio.wait_for(first.recv(), 5))
                assert isinstance(history, p.History)
                value = edge.node.metrics.registry.get_sample_value
                assert value("edgevoice_rejected_connections_total", {"reason": "full"}) == 1
            finally:
                await first.close()
            # Once the session has gone, the node admits again.
            await asyncio.wait_for(_until(lambda: not edge.active), 5)
            assert await http_get(url, "/readyz") == (200, {"status": "ready"})
            second = await open_session(url)
            await second.close()

    run(test)


async def _until(predicate: Callable[[], bool]) -> None:
    while not predicate():
        await asyncio.sleep(0.01)


# ---------------------------------------------------------------- draining


def test_a_draining_node_refuses_with_busy_and_1001() -> None:
    async def test() -> None:
        async with edge_server(max_sessions=4) as (edge, url):
            edge.node.draining = True
            error, code, reason = await refused(url)
            assert error.code == "busy" and error.fatal and error.retry_after_ms == 5_000
            assert (code, reason) == (1001, "draining")
            assert await http_get(url, "/readyz") == (503, {"status": "draining"})
            assert not edge.active

    run(test)


def test_drain_closes_live_sessions_with_1001_and_refuses_new_ones() -> None:
    async def test() -> None:
        async with edge_server(max_sessions=4) as (edge, url):
            client = await open_session(url)
            await edge.drain()
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(client.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
            _, code, _ = await refused(url)
            assert code == 1001
            await asyncio.wait_for(_until(lambda: not edge.active), 5)

    run(test)
