"""A scripted websocket node on its own thread and event loop, for client tests that need a
server whose every message the test decides (unit and integration tiers alike)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from websockets.asyncio.server import ServerConnection, serve

from app import protocol as p

Script = Callable[[ServerConnection], Awaitable[None]]
READY = p.Ready(
    session_id="stub-session",
    input={"sample_rate": 16000, "frame_ms": 20},
    output={"sample_rate": 16000, "channels": 1, "encoding": "pcm_s16le"},
    pipeline="fast",
)


async def swallow(ws: ServerConnection) -> None:
    """Read (and drop) what the client sends until it closes: unread audio stalls the close handshake."""
    async for _ in ws:
        pass


class StubNode:
    """Answers ``hello`` with ``READY``, then runs ``script`` while it reads the client's audio; or,
    given ``handler``, hands each connection to it whole (hello included)."""

    def __init__(self, script: Script | None = None, *, handler: Script | None = None) -> None:
        if (script is None) == (handler is None):
            raise ValueError("give a script or a handler")
        self._script = script
        self._handler = handler or self._scripted
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.url = ""
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    async def _scripted(self, ws: ServerConnection) -> None:
        assert isinstance(p.decode_client_message(await ws.recv()), p.Hello)
        await ws.send(READY.encode())
        reader = asyncio.create_task(swallow(ws))
        assert self._script is not None
        await self._script(ws)
        await asyncio.gather(reader, return_exceptions=True)

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._handler, "127.0.0.1", 0) as server:
            self.url = f"ws://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}"
            self._ready.set()
            await self._stop.wait()

    def close(self) -> None:
        """Stop serving and join the thread."""
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()
