"""The thin websocket handler of ``/v1/realtime``: a native :class:`~app.connection.Connection`
(admission, tokens, time limits, the session store and its lease, turns, the ordered sender)
driving a :class:`~app.realtime.session.RealtimeSession` instead of a bare ``Session``.

The socket is wrapped so that an ``input_audio_buffer.append`` reaches the connection as audio
(binary), which is what keeps a native session alive, and the translator's effects are carried
out here: Realtime events are sent as JSON text, native messages only counted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app import protocol as p
from app.audio import AudioFormat
from app.auth import SUBPROTOCOL, Grant
from app.connection import Connection, WebSocket
from app.conversation import Effect, Session
from app.node import Node
from app.realtime import events as rt
from app.realtime import server_events as ev
from app.realtime.session import MAX_HELD_MS, Observe, RealtimeSession, SendEvent
from app.stages.vad import WebRtcVad

PATH = "/v1/realtime"
REALTIME_SUBPROTOCOL = "realtime"
"""What OpenAI's browser clients offer beside ``openai-insecure-api-key.<key>``; selected."""
BINARY_FRAME = json.dumps({"type": "(a binary frame)"})
"""What a client's binary frame becomes: the protocol has none, and the parser says so."""


def realtime_model(request_path: str) -> str | None:
    """The ``?model=`` of a request for ``/v1/realtime`` ("" when absent); None for any other path."""
    url = urlsplit(request_path)
    if url.path.rstrip("/") != PATH:
        return None
    return parse_qs(url.query).get("model", [""])[0][:128]


def select_subprotocol(connection: Any, offered: Sequence[str]) -> str | None:
    """The subprotocol a handshake (a websockets ``ServerConnection``) gets: browsers offer
    ``edgevoice.v1`` beside ``bearer.<token>``, OpenAI's browser clients ``realtime`` beside
    ``openai-insecure-api-key.<token>`` (taken on ``/v1/realtime`` only); native clients may offer none."""
    if SUBPROTOCOL in offered:
        return SUBPROTOCOL
    request = connection.request
    if REALTIME_SUBPROTOCOL in offered and request is not None and realtime_model(request.path) is not None:
        return REALTIME_SUBPROTOCOL
    return None


def realtime_error(error: p.Error) -> str:
    """A native ``error`` sent before any session (``busy``) as a Realtime ``error`` event."""
    refused = rt.RealtimeError(str(error.code), error.message, kind="server_error")
    return json.dumps({**ev.error(refused), "event_id": "event_refused"})


def allow_large_events(connection: Any) -> None:
    """Let one websocket (a ``ServerConnection`` still in its handshake) take Realtime-sized
    messages: an append carries seconds of base64 audio, over the native protocol's cap."""
    protocol = connection.protocol
    if hasattr(protocol, "max_message_size"):  # websockets >= 15
        protocol.max_message_size = rt.MAX_EVENT_BYTES
    else:
        protocol.max_size = rt.MAX_EVENT_BYTES


def append_audio(text: str) -> bytes | None:
    """The audio of ``text`` if it is a valid ``input_audio_buffer.append``, else None."""
    if "input_audio_buffer.append" not in text:  # the other events are parsed once, by the session
        return None
    try:
        event = rt.parse(text)
    except rt.RealtimeError:
        return None  # the session parses it again and reports the problem
    return event.audio if isinstance(event, rt.Append) else None


class RealtimeSocket:
    """The websocket as the native connection reads it: an append's audio comes as bytes."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws

    async def recv(self) -> str | bytes:
        """The next client message: an append's audio as bytes, other events as text."""
        message = await self._ws.recv()
        if isinstance(message, bytes):
            return BINARY_FRAME
        audio = append_audio(message)
        return message if audio is None else audio

    async def send(self, message: str | bytes) -> None:
        await self._ws.send(message)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._ws.close(code, reason)

    @property
    def transport(self) -> asyncio.BaseTransport:
        return self._ws.transport


class RealtimeConnection(Connection):
    """One ``/v1/realtime`` websocket: the native connection over a Realtime translator."""

    def __init__(self, ws: WebSocket, node: Node, grant: Grant | None = None, model: str = "") -> None:
        """``model``: the ``?model=`` the client asked for (reported back; the node's models answer)."""
        super().__init__(RealtimeSocket(ws), node, grant)
        self._config = (grant or Grant()).session_config
        settings = node.settings
        # Realtime clients may send a recording faster than real time; up to the audio a manual
        # commit may hold is taken (the native protocol allows 3 s ahead).
        endpoint = dataclasses.replace(
            settings.endpoint, max_audio_lead_ms=max(settings.endpoint.max_audio_lead_ms, MAX_HELD_MS)
        )
        voice_rate = node.engine.tts.sample_rate
        inner = Session(
            vad=WebRtcVad(endpoint.vad_aggressiveness),
            output_format=AudioFormat(voice_rate),
            endpoint=endpoint,
            reply=settings.reply,
            session_id=self.session.id,
            bound_session_id=(grant or Grant()).session_id,
            node_timezone=settings.timezone,
        )
        self.session: Any = RealtimeSession(
            inner, voice_rate=voice_rate, model=model, max_texts_per_s=endpoint.max_texts_per_s
        )

    async def run(self) -> None:
        """Open the session (``session.created``), then serve the connection like a native one."""
        now = time.monotonic()
        refused = self._bind_config(now)
        self._apply(self.session.start(now))
        self._apply(refused)
        await super().run()

    def _bind_config(self, now: float) -> list[Effect]:
        """A client secret's session configuration, applied before ``session.created`` (which then
        shows it) as the ``session.update`` it is; returns what to send after (an error, should the
        node no longer take the configuration)."""
        if not self._config:
            return []
        update = json.dumps({"type": "session.update", "session": dict(self._config)})
        effects = self.session.receive_text(update, now)
        return [e for e in effects if not (isinstance(e, SendEvent) and e.event["type"] == "session.updated")]

    def _apply(self, effects: list[Effect]) -> None:
        # The base class's own messages (time-outs, takeover) come here native: translated too.
        for effect in self.session.translate(effects):
            if isinstance(effect, SendEvent):
                self._enqueue(json.dumps(effect.event))
            elif isinstance(effect, Observe):
                self._observe(effect.message)
            else:
                super()._apply([effect])
