"""The client side of the wire protocol: handshake, audio out, typed events in."""

from __future__ import annotations

import logging
import ssl as ssl_module
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np
from websockets.asyncio.client import ClientConnection, connect

from app import protocol as p

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AudioIn:
    """Reply audio received from the server."""

    turn_id: int
    seq: int
    samples: np.ndarray


class SessionRefused(ConnectionError):
    """The server answered ``hello`` with an error (``code``; ``retry_after_ms`` when busy)."""

    def __init__(self, error: p.Error) -> None:
        super().__init__(f"server refused the session: {error.code}: {error.message}")
        self.code = error.code
        self.retry_after_ms = error.retry_after_ms


class ClientSession:
    """An open session with the edge server."""

    def __init__(self, ws: ClientConnection, ready: p.Ready) -> None:
        self.ws = ws
        self.ready = ready
        self.output_rate = int(ready.output["sample_rate"])

    @classmethod
    async def open(cls, url: str, *, pipeline: str = "fast", client: str = "edge-voice-client",
                   token: str | None = None, session_id: str | None = None,
                   ssl: ssl_module.SSLContext | None = None) -> ClientSession:
        """Connect and complete the hello/ready handshake; raises ConnectionError on refusal.

        ``token`` is sent as ``Authorization: Bearer``; ``session_id`` resumes an earlier session.
        """
        headers = {"Authorization": f"Bearer {token}"} if token else None
        ws = await connect(url, max_size=2**22, compression=None, open_timeout=30,
                           additional_headers=headers, ssl=ssl)
        await ws.send(p.Hello(sample_rate=16_000, pipeline=pipeline, client=client, session_id=session_id).encode())
        first = p.decode_server_message(await ws.recv())
        if isinstance(first, p.Error):
            await ws.close()
            raise SessionRefused(first)
        if not isinstance(first, p.Ready):
            await ws.close()
            raise ConnectionError(f"expected 'ready', got {first.type!r}")
        return cls(ws, first)

    async def send_audio(self, samples: np.ndarray) -> None:
        """Send int16 16 kHz mono samples as one binary frame."""
        await self.ws.send(samples.astype("<i2", copy=False).tobytes())

    async def send(self, message: p.Message) -> None:
        """Send a control message."""
        await self.ws.send(message.encode())

    async def events(self) -> AsyncIterator[p.Message | AudioIn]:
        """Server messages and reply audio, in arrival order, until the connection closes."""
        async for raw in self.ws:
            if isinstance(raw, bytes):
                frame = p.ReplyAudio.decode(raw)
                yield AudioIn(frame.turn_id, frame.seq, np.frombuffer(frame.pcm, dtype="<i2"))
            else:
                try:
                    yield p.decode_server_message(raw)
                except p.ProtocolError as exc:
                    if exc.code != p.ErrorCode.UNKNOWN_TYPE:
                        raise
                    # Within a protocol version servers may add message types: skip them.
                    log.debug("skipping unknown server message: %s", exc.message)

    async def close(self) -> None:
        await self.ws.close()
