"""The edge server: websockets' asyncio server, one Connection per websocket, HTTP on the same port."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from app import protocol as p
from app.config import ServerSettings
from app.connection import Connection
from app.engine import Engine
from app.http_routes import route

log = logging.getLogger(__name__)


class EdgeServer:
    """Owns the listening socket and the shared engine."""

    def __init__(self, settings: ServerSettings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.active: set[Connection] = set()

    def info(self) -> dict[str, Any]:
        """What /info reports: protocol, models and load."""
        return {"protocol": p.PROTOCOL_VERSION, "models": self.engine.info, "active_sessions": len(self.active)}

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        return route(request, self.settings.web_root, self.info, self.settings.allowed_origins)

    async def _handle(self, ws: ServerConnection) -> None:
        connection = Connection(ws, self.engine, self.settings)
        self.active.add(connection)
        try:
            await connection.run()
        finally:
            self.active.discard(connection)

    async def start(self) -> Server:
        """Bind and start serving; returns the websockets Server (``.sockets`` gives the port)."""
        return await serve(
            self._handle,
            self.settings.host,
            self.settings.port,
            process_request=self._process_request,
            # Our own limits produce clear error codes; this is only the hard cap beyond them.
            max_size=4 * p.MAX_AUDIO_FRAME_BYTES,
            ping_interval=20,
            ping_timeout=20,
            compression=None,  # audio does not compress; deflate would only cost CPU and latency.
        )

    async def serve_forever(self) -> None:
        """Serve until SIGINT or SIGTERM, then close connections and return."""
        server = await self.start()
        port = server.sockets[0].getsockname()[1] if server.sockets else self.settings.port
        log.info("listening on ws://%s:%d (HTTP /healthz, /info, / on the same port)", self.settings.host, port)
        print(f"edge server ready on ws://{self.settings.host}:{port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down")
        server.close()
        await server.wait_closed()
