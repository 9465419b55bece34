"""HTTP requests with a body on the websocket port: websockets' server reads GET and HEAD only.

websockets (17) parses every request as a handshake and refuses any body (``Content-Length``
other than 0, any ``Transfer-Encoding``), so ``POST /v1/realtime/client_secrets`` could never
reach ``process_request``. :class:`FrontConnection` is websockets' own ``ServerConnection`` (the
asyncio protocol of one TCP or TLS connection; ``serve(create_connection=...)`` is the
documented way to bring a subclass) that looks at the first bytes: a ``POST`` is parsed with
h11 (bounded head and body) and answered by the node's handler, then the connection is
closed; anything else goes to websockets byte for byte, unchanged. A diverted connection never
feeds websockets a request, so its handshake task ends quietly when the connection closes, and
websockets' ``open_timeout`` (10 s) still cuts off a client that sends its body too slowly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import h11
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from app.http_routes import json_response

log = logging.getLogger(__name__)

PostHandler = Callable[[Request, bytes], Response]
"""Answers one POST: the request (path, headers) and its whole body."""
MAX_HEAD_BYTES = 16 * 1024
"""Longest request line and headers of a POST."""
MAX_BODY_BYTES = 64 * 1024
"""Longest body of a POST (the handler may bound it tighter)."""
_METHOD_CHARS = 16
"""Bytes after which a request with no space yet is not a POST (websockets refuses it)."""


def front_connection(post: PostHandler, max_body_bytes: int = MAX_BODY_BYTES) -> type[ServerConnection]:
    """The ``create_connection`` for ``websockets.asyncio.server.serve`` that answers POSTs with ``post``."""

    class BoundFront(FrontConnection):
        handler_post = staticmethod(post)
        max_body = max_body_bytes

    return BoundFront


class FrontConnection(ServerConnection):
    """websockets' server connection, with POST requests taken off it (see the module docstring)."""

    handler_post: PostHandler
    max_body: int = MAX_BODY_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._start = b""
        self._passed = False
        """The connection is websockets': every byte goes to it."""
        self._http: h11.Connection | None = None
        self._request: Request | None = None
        self._body = bytearray()
        self._answered = False

    def data_received(self, data: bytes) -> None:
        if self._passed:
            super().data_received(data)
            return
        if self._http is not None:
            self._feed(data)
            return
        self._start += data
        if b" " not in self._start and len(self._start) < _METHOD_CHARS:
            return  # the method is not complete yet
        start, self._start = self._start, b""
        if start.startswith(b"POST "):
            self._http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
            self._feed(start)
        else:
            self._passed = True
            super().data_received(start)

    def eof_received(self) -> bool | None:
        if self._http is None:
            if self._start:  # a few bytes and the end: websockets says what it makes of them
                self._passed, start, self._start = True, self._start, b""
                super().data_received(start)
            return super().eof_received()
        if not self._answered:
            self._answer(json_response(HTTPStatus.BAD_REQUEST, {"error": "bad_request",
                                                                "message": "the request ended early"}))
        return None  # the transport closes

    def _feed(self, data: bytes) -> None:
        http = self._http
        assert http is not None
        if self._answered:
            return  # the rest is ignored until the connection closes
        http.receive_data(data)
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                status = HTTPStatus(exc.error_status_hint)
                self._answer(json_response(status, {"error": "bad_request", "message": str(exc)[:200]}))
                return
            if event is h11.NEED_DATA or event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
                return
            if isinstance(event, h11.Request):
                self._request = _request(event)
                length = self._request.headers.get("Content-Length")
                if length is not None and length.isdigit() and int(length) > self.max_body:
                    self._answer(_too_large(self.max_body))
                    return
                if http.they_are_waiting_for_100_continue:  # curl asks before a body over 1 KiB
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > self.max_body:
                    self._answer(_too_large(self.max_body))
                    return
            elif isinstance(event, h11.EndOfMessage):
                assert self._request is not None
                try:
                    response = self.handler_post(self._request, bytes(self._body))
                except Exception:  # a bug: answered, and the node goes on
                    log.exception("POST handler failed")
                    response = json_response(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal"})
                self._answer(response)
                return

    def _answer(self, response: Response) -> None:
        """Send ``response`` and close: one request per connection (``Connection: close``)."""
        self._answered = True
        if self.transport.is_closing():
            return
        response.headers["Connection"] = "close"
        self.transport.write(response.serialize())
        self.transport.close()  # after the response is flushed; websockets' handshake then ends


def _request(event: h11.Request) -> Request:
    headers = Headers()
    for name, value in event.headers:
        headers[name.decode("latin-1")] = value.decode("latin-1")
    return Request(event.target.decode("latin-1"), headers, method=event.method.decode("ascii"))


def _too_large(limit: int) -> Response:
    return json_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                         {"error": "body_too_large", "message": f"the request body is limited to {limit} bytes"})
