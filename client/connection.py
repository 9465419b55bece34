"""The client side of the wire protocol: handshake, audio out, typed events in."""

from __future__ import annotations

import logging
import math
import socket
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


class NoNode(ConnectionError):
    """Nothing answers at the server URL: refused, unreachable, unknown host or timed out."""

    def __init__(self, url: str, cause: OSError) -> None:
        self.url = url
        self.reason = _reason(cause)
        super().__init__(f"no node answers at {url} ({self.reason}); scripts/serve.sh starts one")


def _reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return exc.strerror or str(exc) or exc.__class__.__name__


class SendClock:
    """When each 20 ms frame of a stream was sent, to date the server's stream positions."""

    FRAME_MS = 20

    def __init__(self) -> None:
        self.sent: list[float] = []

    def record(self, now: float) -> None:
        """One frame was sent at monotonic ``now`` (s)."""
        self.sent.append(now)

    def sent_time(self, at_ms: float) -> float | None:
        """When the frame holding stream position ``at_ms`` (ms) was sent; None if not yet."""
        index = max(0, math.ceil(at_ms / self.FRAME_MS - 1e-6) - 1)
        return self.sent[index] if index < len(self.sent) else None


class RealTimePacer:
    """Keeps a live stream at real-time pace: the node cuts off a client whose audio runs 3 s
    ahead of the wall clock since its first frame arrived.

    Frames captured before the session was ready (a backlog the mic loop built up while
    connecting) are dropped, and so is any frame that would put the stream more than ``lead_ms``
    ahead of real time since the first frame sent (a mic loop catching up after a stall, a device
    delivering a burst or a clock running fast): stale audio is worth less than a live stream.
    """

    def __init__(self, ready_at: float, lead_ms: float = 1000.0) -> None:
        self.ready_at = ready_at
        self.lead_ms = lead_ms
        self.sent_samples = 0
        self.dropped = 0
        """Frames not sent."""
        self._first_sent_at: float | None = None

    def admit(self, captured_at: float, now: float, samples: int = 320) -> bool:
        """May a frame of ``samples`` (16 kHz) captured at monotonic ``captured_at`` (s) be sent at ``now``?"""
        start = self._first_sent_at if self._first_sent_at is not None else now
        ahead_ms = (self.sent_samples + samples) / 16.0 - 1000.0 * (now - start)
        if captured_at < self.ready_at or ahead_ms > self.lead_ms:
            self.dropped += 1
            return False
        self._first_sent_at = start
        self.sent_samples += samples
        return True


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
        """Connect and complete the hello/ready handshake; raises ConnectionError on refusal
        (:class:`NoNode` when nothing answers at ``url``, :class:`SessionRefused` for an error reply).

        ``token`` is sent as ``Authorization: Bearer``; ``session_id`` resumes an earlier session.
        """
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            ws = await connect(url, max_size=2**22, compression=None, open_timeout=30,
                               additional_headers=headers, ssl=ssl)
        except ssl_module.SSLError:
            raise  # a node answered: its certificate or TLS set-up is the problem
        except OSError as exc:
            raise NoNode(url, exc) from exc
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
