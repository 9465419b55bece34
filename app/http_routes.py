"""Plain HTTP on the websocket port: health, info and the browser demo's static files."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import socket
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
          ".svg": "image/svg+xml", ".json": "application/json", ".png": "image/png", ".ico": "image/x-icon"}


def _response(status: HTTPStatus, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> Response:
    headers = Headers({"Content-Type": content_type, "Content-Length": str(len(body)), "Cache-Control": "no-cache",
                       "X-Content-Type-Options": "nosniff", **(extra or {})})
    return Response(status.value, status.phrase, headers, body)


def text_response(status: HTTPStatus, body: bytes, content_type: str) -> Response:
    """A body of the given type."""
    return _response(status, body, content_type)


def json_response(status: HTTPStatus, payload: Any) -> Response:
    """A JSON body with the right headers."""
    return _response(status, json.dumps(payload).encode(), "application/json")


MAX_PATH_CHARS = 2048
_SINGLE_HEADERS = ("Upgrade", "Host", "Origin", "Authorization", "Sec-WebSocket-Protocol")
"""Headers a request may carry once: two of them are ambiguous (and looking one up raises)."""


def malformed(request: Request) -> str | None:
    """Why no route should see ``request`` (answered 400): a control character (a NUL) in its
    path, a path over ``MAX_PATH_CHARS``, or a header that must be single given twice; None when
    it is sound."""
    if len(request.path) > MAX_PATH_CHARS:
        return "path too long"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in request.path):
        return "control character in the path"
    doubled = [name for name in _SINGLE_HEADERS if len(request.headers.get_all(name)) > 1]
    return f"{doubled[0]} header given more than once" if doubled else None


def static_file(web_root: Path, url_path: str) -> Response:
    """Serve ``url_path`` from ``web_root`` (``/`` is index.html); 404 outside it or when missing."""
    relative = url_path.split("?", 1)[0].lstrip("/") or "index.html"
    root = web_root.resolve()
    try:
        target = (root / relative).resolve()
        found = target.is_relative_to(root) and target.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL: no such file
        found = False
    if not found:
        return json_response(HTTPStatus.NOT_FOUND, {"error": "not_found", "path": url_path[:200]})
    content_type = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    return _response(HTTPStatus.OK, target.read_bytes(), content_type)


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def own_names(bind_host: str, server_names: tuple[str, ...] = ()) -> frozenset[str]:
    """The names a browser may reach this node by: loopback names, and ``server_names`` when
    given, else the bind address, or this machine's names and addresses for a wildcard bind."""
    names = set(LOOPBACK_NAMES) | {n.lower().strip("[]") for n in server_names}
    if server_names:
        return frozenset(names)
    if bind_host not in ("", "0.0.0.0", "::"):
        return frozenset(names | {bind_host.lower().strip("[]")})
    machine = {socket.gethostname().lower(), socket.getfqdn().lower()}
    with contextlib.suppress(OSError):  # no resolvable name: --server-name says it
        machine |= {str(info[4][0]).lower() for info in socket.getaddrinfo(socket.gethostname(), None)}
    return frozenset(names | machine)


def host_name(host: str | None) -> str | None:
    """The name in a Host header ("edge:8765" -> "edge", "[::1]:8765" -> "::1"), lowercased."""
    if not host:
        return None
    try:
        return urlsplit(f"//{host}").hostname
    except ValueError:
        return None


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...],
                   own_names: frozenset[str] = LOOPBACK_NAMES) -> bool:
    """Browser cross-site check. No Origin header (a native client) is allowed; with no allowlist
    the page must come from the same host:port it connects to, and that host must be one of the
    node's ``own_names`` (both headers come from the browser: a DNS-rebound evil.example names
    itself in both); "*" allows any origin."""
    if origin is None:
        return True
    if "*" in allowed or origin in allowed:
        return True
    if allowed or host is None or urlsplit(origin).netloc.lower() != host.lower():
        return False
    return host_name(host) in own_names


def route(request: Request, web_root: Path, info: Callable[[], dict[str, Any]],
          allowed_origins: tuple[str, ...] = (), own_names: frozenset[str] = LOOPBACK_NAMES) -> Response | None:
    """Answer plain HTTP requests; return None to let a websocket upgrade go ahead."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        if not origin_allowed(request.headers.get("Origin"), request.headers.get("Host"), allowed_origins,
                              own_names):
            return json_response(HTTPStatus.FORBIDDEN, {"error": "origin_not_allowed"})
        return None
    path = request.path.split("?", 1)[0]
    if path == "/healthz":
        return json_response(HTTPStatus.OK, {"status": "ok"})
    if path == "/info":
        return json_response(HTTPStatus.OK, info())
    return static_file(web_root, path)
