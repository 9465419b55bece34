"""The edge server: websockets' asyncio server, one Connection per websocket, HTTP on the same port."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import socket
import ssl
import threading
import time
import weakref
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from app import client_secrets
from app import protocol as p
from app.auth import Authenticator, AuthError, Grant
from app.config import ServerSettings
from app.connection import Connection
from app.engine import Engine
from app.http_front import front_connection
from app.http_routes import json_response, malformed, own_names, route, text_response
from app.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from app.models import ModelError
from app.node import Node
from app.realtime.connection import (
    RealtimeConnection,
    allow_large_events,
    realtime_error,
    realtime_model,
    select_subprotocol,
)
from app.stages.base import StageError
from app.store import SessionStore

log = logging.getLogger(__name__)

SEND_BUFFER_BYTES = 128 * 1024
"""Kernel send buffer per websocket (Linux doubles it): about 6 s of reply audio. A client that
reads keeps it near empty; one that does not fills it, and then ``connection.SEND_STALL_S`` drops it."""


def check_can_listen(host: str, port: int) -> None:
    """Bind every address ``host`` names on ``port``, as serving will, and let go: OSError now,
    rather than once the models have loaded, when the port is taken or the address is not ours."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    for family, kind, proto, _, address in set(infos):
        with socket.socket(family, kind, proto) as sock:
            # The options asyncio's create_server sets, so that this bind fails exactly when that one would.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)


def browser_hint(host: str, port: int, tls: bool) -> str:
    """The line telling where the demo page is: a wildcard bind is reached on loopback here, and
    by this machine's name from others."""
    scheme = "https" if tls else "http"
    local = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host)
    if local is None:
        return f"open {scheme}://{f'[{host}]' if ':' in host else host}:{port}/ in a browser"
    return f"open {scheme}://{local}:{port}/ in a browser (other machines: {scheme}://{socket.gethostname()}:{port}/)"


class EdgeServer:
    """Owns the listening socket, the shared node state and the live connections."""

    def __init__(self, settings: ServerSettings, engine: Engine, store: SessionStore) -> None:
        self.settings = settings
        self.node = Node(settings, engine, store)
        self.node.metrics.set_models(engine.info)
        self.node.metrics.max_sessions.set(settings.max_sessions)
        self.active: set[Connection] = set()
        self._rolling_out = False
        self.auth = Authenticator(settings.api_tokens, settings.token_secret)
        self._own_names = own_names(settings.host, settings.server_names)
        self._grants: weakref.WeakKeyDictionary[ServerConnection, Grant] = weakref.WeakKeyDictionary()

    # ------------------------------------------------------------------ HTTP

    def info(self) -> dict[str, Any]:
        """What /info reports: protocol, models in use and load."""
        return {
            "protocol": p.PROTOCOL_VERSION,
            "models": self.node.engine.info,
            "active_sessions": len(self.active),
            "max_sessions": self.settings.max_sessions,
            "draining": self.node.draining,
            "store_healthy": bool(getattr(self.node.store, "healthy", True)),
            # For leak checks: both return to their idle values once sessions end.
            "threads": threading.active_count(),
            "tasks": len(asyncio.all_tasks()),
        }

    def _full(self) -> bool:
        return len(self.active) >= self.settings.max_sessions

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        problem = malformed(request)
        if problem is not None:
            log.info("HTTP request refused: %s", problem)
            return json_response(HTTPStatus.BAD_REQUEST, {"error": "bad_request", "message": problem})
        if request.method not in ("GET", "HEAD"):
            refused = json_response(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method_not_allowed"})
            refused.headers["Allow"] = "GET, HEAD"
            return refused
        response = self._answer(connection, request)
        if response is not None and request.method == "HEAD":
            response = dataclasses.replace(response, body=b"")  # the headers (Content-Length too), no body
        return response

    def _post(self, request: Request, body: bytes) -> Response:
        """A POST (see :mod:`app.http_front`): only ``/v1/realtime/client_secrets`` takes one."""
        problem = malformed(request)
        if problem is not None:
            log.info("HTTP request refused: %s", problem)
            return json_response(HTTPStatus.BAD_REQUEST, {"error": "bad_request", "message": problem})
        if request.path.split("?", 1)[0].rstrip("/") != client_secrets.PATH:
            refused = json_response(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method_not_allowed"})
            refused.headers["Allow"] = "GET, HEAD"
            return refused
        return client_secrets.create(request, body, self.auth, time.time())

    def _answer(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path in ("/info", "/metrics") and self.auth.enabled:
            # What the node runs and how busy it is is for its operators (Prometheus sends a
            # static token as a bearer header); health and readiness stay open to load balancers.
            try:
                if self.auth.check(request).client_secret:
                    raise AuthError("a client secret opens /v1/realtime only")
            except AuthError as exc:
                return json_response(HTTPStatus.UNAUTHORIZED, {"error": "unauthorized", "message": str(exc)})
        if path == "/readyz":
            # A load balancer stops sending new sessions here while full or draining.
            if self.node.draining:
                return json_response(HTTPStatus.SERVICE_UNAVAILABLE, {"status": "draining"})
            if self._full():
                return json_response(HTTPStatus.SERVICE_UNAVAILABLE, {"status": "full"})
            return json_response(HTTPStatus.OK, {"status": "ready"})
        if path == "/metrics":
            return text_response(HTTPStatus.OK, self.node.metrics.render(), METRICS_CONTENT_TYPE)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            try:
                grant = self._grants[connection] = self.auth.check(request)
                if realtime_model(request.path) is not None:
                    allow_large_events(connection)  # a Realtime append carries seconds of base64 audio
                elif grant.client_secret:
                    raise AuthError("a client secret opens /v1/realtime only")
            except AuthError as exc:
                self.node.metrics.rejected.labels("unauthorized").inc()
                log.info("websocket refused: %s", exc)  # the message never contains the token
                return json_response(HTTPStatus.UNAUTHORIZED, {"error": "unauthorized", "message": str(exc)})
        return route(request, self.settings.web_root, self.info, self.settings.allowed_origins, self._own_names)

    # ------------------------------------------------------------------ websocket

    async def _handle(self, ws: ServerConnection) -> None:
        model = realtime_model(ws.request.path) if ws.request is not None else None  # /v1/realtime: OpenAI's
        refusal = self._refusal()
        if refusal is not None:
            reason, close_code = refusal
            self.node.metrics.rejected.labels(reason).inc()
            error = p.Error(code=p.ErrorCode.BUSY, fatal=True, retry_after_ms=self.settings.retry_after_ms,
                            message=f"this node is {reason}; retry in {self.settings.retry_after_ms / 1000:.0f} s "
                                    "or on another node")
            await ws.send(error.encode() if model is None else realtime_error(error))
            await ws.close(close_code, reason)
            return
        sock = ws.transport.get_extra_info("socket")
        if sock is not None:
            # The kernel would otherwise buffer megabytes for a client that stopped reading (on
            # loopback), and the sender would never see the stall that tells it so.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        grant = self._grants.pop(ws, Grant())
        if model is None:
            connection = Connection(ws, self.node, grant)
        else:  # OpenAI's Realtime protocol over the same node
            connection = RealtimeConnection(ws, self.node, grant, model)
        self.active.add(connection)
        self.node.metrics.active_sessions.set(len(self.active))
        try:
            await connection.run()
        finally:
            self.active.discard(connection)
            self.node.metrics.active_sessions.set(len(self.active))

    def _refusal(self) -> tuple[str, int] | None:
        """Admission control: refuse rather than accept and degrade every session's latency."""
        if self.node.draining:
            return "draining", p.CloseCode.GOING_AWAY
        if self._full():
            return "full", p.CloseCode.TRY_AGAIN_LATER
        return None

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
            select_subprotocol=select_subprotocol,
            # websockets reads no request body: POSTs are answered in front of it, on this port.
            create_connection=front_connection(self._post, client_secrets.MAX_BODY_BYTES),
            ssl=self._tls(),
        )

    def _tls(self) -> ssl.SSLContext | None:
        if self.settings.certfile is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.settings.certfile, self.settings.keyfile)
        return context

    async def roll_out(self) -> bool:
        """Load the models the manifest names now (SIGHUP), and switch new turns to them.

        Every file is rehashed first; on any problem the node keeps serving what it has. Turns
        in flight finish on the old engine, which is closed once the drain deadline has passed.
        Rolling back is the same operation with the previous manifest put back.
        """
        if self._rolling_out:
            log.warning("rollout already in progress; ignored")
            return False
        self._rolling_out = True
        old = self.node.engine
        try:
            new = await asyncio.to_thread(Engine.load, self.settings, rehash=True)
        except (ModelError, StageError) as exc:
            self.node.metrics.rollouts.labels("refused").inc()
            log.error("model rollout refused, still serving manifest %s: %s",
                      old.info.get("manifest_version"), exc)
            return False
        finally:
            self._rolling_out = False
        self.node.engine = new
        self.node.metrics.set_models(new.info)
        self.node.metrics.rollouts.labels("done").inc()
        log.info("models rolled out: manifest %s -> %s", old.info.get("manifest_version"),
                 new.info.get("manifest_version"))
        asyncio.get_running_loop().call_later(self.settings.drain_timeout_s, old.close_in_background)
        return True

    async def drain(self) -> None:
        """Stop admitting sessions, let turns in flight finish (up to the deadline), then close."""
        self.node.draining = True
        self.node.metrics.draining.set(1)
        deadline = time.monotonic() + self.settings.drain_timeout_s
        log.info("draining: %d sessions, deadline %.0f s", len(self.active), self.settings.drain_timeout_s)
        while any(c.busy for c in self.active) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        unfinished = sum(c.busy for c in self.active)
        if unfinished:
            log.warning("drain deadline passed with %d turns in flight", unfinished)
        await asyncio.gather(*(c.shutdown() for c in list(self.active)), return_exceptions=True)

    async def serve_forever(self) -> None:
        """Serve until SIGINT or SIGTERM, then drain and return."""
        server = await self.start()
        port = server.sockets[0].getsockname()[1] if server.sockets else self.settings.port
        scheme = "wss" if self.settings.certfile else "ws"
        log.info("listening on %s://%s:%d (HTTP /healthz, /readyz, /info, /metrics, / on the same port)",
                 scheme, self.settings.host, port)
        print(f"edge server ready on {scheme}://{self.settings.host}:{port}", flush=True)
        print(browser_hint(self.settings.host, port, scheme == "wss"), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.roll_out()))
        await stop.wait()
        await self.drain()
        server.close()
        await server.wait_closed()
        log.info("stopped")
