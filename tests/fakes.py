"""Fakes for the fast test tier: an engine built from plain functions, a scriptable websocket.

``fake_engine`` builds a real :class:`app.engine.Engine` whose stages are small adapters around
handler functions, the way httpx's ``MockTransport(handler)`` turns a function into a transport::

    engine = fake_engine(stt=lambda audio, window_s: "Tell me about the sun.",
                         llm=lambda messages: ["It ", "is ", "noon."],
                         tts=lambda text: np.zeros(2205, np.int16))

A handler raises to simulate a failure (``raise StageError("tts", "boom")``) and blocks or sleeps
to simulate a slow stage. The LLM handler returns (or is a generator of) text deltas; its adapter
stops between deltas once the runner's ``cancel`` event is set, as ``ChatModel`` requires.

``FakeWebSocket`` is the ``WebSocket`` protocol of ``app.connection`` with a scripted client
behind it (in the spirit of python-websockets' intercepting test connection): the test feeds
its inbox, reads what the server sent, and can make the client stop reading (``stall``) or
vanish (``drop``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, ConnectionClosedOK
from websockets.frames import Close

from app import protocol as p
from app.audio import FRAME_SAMPLES, INPUT_FORMAT
from app.chat import ChatMessage
from app.config import ServerSettings
from app.engine import Engine
from app.node import Node
from app.stages.base import TranscriptResult
from app.store import MemoryStore

SttHandler = Callable[[np.ndarray, "float | None"], "str | TranscriptResult"]
LlmHandler = Callable[[Sequence[ChatMessage]], Iterable[str]]
TtsHandler = Callable[[str], np.ndarray]
TurnHandler = Callable[[np.ndarray], float]
ArgumentsHandler = Callable[[Sequence[ChatMessage], Mapping[str, Any]], str]

OUTPUT_RATE = 22_050


def _default_stt(audio: np.ndarray, window_s: float | None) -> str:
    return "Tell me about the sun."


def _default_llm(messages: Sequence[ChatMessage]) -> list[str]:
    return ["It ", "is ", "noon."]


def _default_arguments(messages: Sequence[ChatMessage], schema: Mapping[str, Any]) -> str:
    return "{}"


def _default_tts(text: str) -> np.ndarray:
    return np.zeros(OUTPUT_RATE // 10, np.int16)  # 100 ms: one binary frame


# ------------------------------------------------------------------ stage adapters


@dataclass
class SttCall:
    audio: np.ndarray
    window_s: float | None


class FakeStt:
    """``SpeechToText`` calling ``handler(audio, window_s)``: a str or a ``TranscriptResult``."""

    def __init__(self, handler: SttHandler) -> None:
        self._handler = handler
        self.calls: list[SttCall] = []

    def transcribe(self, audio: np.ndarray, *, window_s: float | None) -> TranscriptResult:
        self.calls.append(SttCall(audio, window_s))
        result = self._handler(audio, window_s)
        if isinstance(result, TranscriptResult):
            return result
        return TranscriptResult(str(result).strip(), INPUT_FORMAT.samples_to_ms(audio.shape[0]))


@dataclass
class LlmCall:
    messages: tuple[ChatMessage, ...]
    affinity: str
    cancel: threading.Event
    avoid: tuple[str, ...] = ()
    """The openings the reply was asked not to start with."""
    deltas: list[str] = field(default_factory=list)
    """What the adapter yielded so far."""
    finished: threading.Event = field(default_factory=threading.Event)
    """Set once the generator has stopped (exhausted, cancelled, failed or closed)."""


class FakeLlm:
    """``ChatModel`` yielding ``handler(messages)``'s deltas, stopping early once ``cancel`` is set."""

    def __init__(self, handler: LlmHandler, p_end: float | None = None,
                 arguments: ArgumentsHandler = _default_arguments) -> None:
        self._handler = handler
        self.p_end = p_end
        """P(end of turn) reported before the first delta when asked (None: never reported)."""
        self.calls: list[LlmCall] = []
        self.prefills: list[tuple[tuple[ChatMessage, ...], str]] = []
        self._arguments = arguments
        self.argument_calls: list[tuple[tuple[ChatMessage, ...], dict[str, Any]]] = []
        """Each ``function_arguments`` call's messages and schema."""

    @property
    def estimates_end_of_turn(self) -> bool:
        return self.p_end is not None

    def prefill(self, messages: Sequence[ChatMessage], *, affinity: str) -> None:
        self.prefills.append((tuple(messages), affinity))

    def function_arguments(self, messages: Sequence[ChatMessage], schema: Mapping[str, Any], *,
                           cancel: threading.Event, affinity: str,
                           end_of_turn: Callable[[float], None] | None = None) -> str:
        """``arguments(messages, schema)``'s JSON; the estimate first, as ``stream_reply``."""
        self.argument_calls.append((tuple(messages), dict(schema)))
        if end_of_turn is not None and self.p_end is not None:
            end_of_turn(self.p_end)
        return self._arguments(messages, schema)

    def stream_reply(self, messages: Sequence[ChatMessage], *, cancel: threading.Event,
                     affinity: str, end_of_turn: Callable[[float], None] | None = None,
                     avoid: Sequence[str] = ()) -> Iterator[str]:
        call = LlmCall(tuple(messages), affinity, cancel, tuple(avoid))
        self.calls.append(call)
        if end_of_turn is not None and self.p_end is not None:
            end_of_turn(self.p_end)
        try:
            for delta in self._handler(messages):
                if cancel.is_set():
                    return
                call.deltas.append(delta)
                yield delta
                if cancel.is_set():
                    return
        finally:
            call.finished.set()


class FakeTts:
    """``SpeechSynthesizer`` calling ``handler(text)`` for int16 samples at ``sample_rate``."""

    def __init__(self, handler: TtsHandler, sample_rate: int = OUTPUT_RATE) -> None:
        self._handler = handler
        self._sample_rate = sample_rate
        self.calls: list[str] = []

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    def synthesize(self, text: str) -> np.ndarray:
        self.calls.append(text)
        return np.asarray(self._handler(text), dtype=np.int16)


class FakeTurn:
    """``TurnDetector`` calling ``handler(audio)`` for P(finished)."""

    def __init__(self, handler: TurnHandler) -> None:
        self._handler = handler
        self.calls = 0

    def predict(self, audio: np.ndarray) -> float:
        self.calls += 1
        return float(self._handler(audio))


def fake_engine(*, stt: SttHandler = _default_stt, llm: LlmHandler = _default_llm, tts: TtsHandler = _default_tts,
                turn: TurnHandler | None = None, sample_rate: int = OUTPUT_RATE,
                info: dict[str, Any] | None = None, p_end: float | None = None,
                arguments: ArgumentsHandler = _default_arguments) -> Engine:
    """A real ``Engine`` (its executors included) over handler functions; close it after use.

    ``engine.stt``, ``engine.llm``, ``engine.tts`` and ``engine.turn`` are the Fake* adapters
    above, which record their calls. ``p_end``: the LLM's end-of-turn estimate (None: it gives none);
    ``arguments``: the JSON a client function's call gets (``function_arguments``).
    """
    return Engine(stt=FakeStt(stt), llm=FakeLlm(llm, p_end, arguments), tts=FakeTts(tts, sample_rate),
                  turn=FakeTurn(turn) if turn is not None else None,
                  info=info if info is not None else {"manifest_version": "fake", "models": {}},
                  bulk_nice=0)  # never renice the test process's threads


def fake_node(engine: Engine | None = None, **settings: Any) -> Node:
    """A ``Node`` with ``ServerSettings(**settings)``, ``engine`` (a default fake one) and a memory store."""
    server_settings = ServerSettings(**settings)
    return Node(server_settings, engine if engine is not None else fake_engine(),
                MemoryStore(server_settings.session_ttl_s))


# ------------------------------------------------------------------ client audio


def voiced_frames(count: int, *, f0: float = 200.0, dbfs: float = -20.0, seed: int = 0) -> list[bytes]:
    """``count`` 20 ms frames of a voice-like buzz (``f0`` plus ten harmonics, a little noise)
    that webrtcvad classifies as speech at every aggressiveness. Deterministic."""
    rng = np.random.default_rng(seed)
    t = np.arange(count * FRAME_SAMPLES) / INPUT_FORMAT.sample_rate
    signal = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 11))
    signal = signal / np.max(np.abs(signal)) + 0.05 * rng.standard_normal(t.shape)
    pcm = (signal * 32767 * 10 ** (dbfs / 20)).astype(np.int16)
    return [pcm[i : i + FRAME_SAMPLES].tobytes() for i in range(0, pcm.shape[0], FRAME_SAMPLES)]


def silent_frames(count: int) -> list[bytes]:
    return [bytes(2 * FRAME_SAMPLES)] * count


# ------------------------------------------------------------------ the websocket


class FakeTransport(asyncio.Transport):
    """Records ``abort()``; aborting makes the websocket behave as if the TCP connection died."""

    def __init__(self, on_abort: Callable[[], None]) -> None:
        super().__init__()
        self._on_abort = on_abort
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True
        self._on_abort()

    def is_closing(self) -> bool:
        return self.aborted


class FakeWebSocket:
    """The server side of one websocket, with a scripted client on the other end.

    Create it inside the running event loop. ``sent`` holds every frame the server sent, in
    order; ``closed`` the (code, reason) of a close that went out; ``close_calls`` every close
    the server attempted (also those that never completed).
    """

    def __init__(self) -> None:
        self._inbox: asyncio.Queue[str | bytes] = asyncio.Queue()
        self.sent: list[str | bytes] = []
        self.closed: tuple[int, str] | None = None
        self.close_calls: list[tuple[int, str]] = []
        self._gone: ConnectionClosed | None = None
        self._gone_event = asyncio.Event()
        self._stalled = False
        self._close_stalls = False
        self._transport = FakeTransport(self.drop)

    # -------------------------------------------------------------- the client's side (the test)

    def feed(self, *frames: str | bytes | p.Message) -> None:
        """Queue frames from the client: text, bytes (audio) or a client message to encode."""
        for frame in frames:
            self._inbox.put_nowait(frame.encode() if isinstance(frame, p.Message) else frame)

    def stall(self, *, close_too: bool = True) -> None:
        """The client stops reading: ``send`` blocks forever (as on a full TCP window), and so
        does ``close`` unless ``close_too`` is False."""
        self._stalled = True
        self._close_stalls = close_too

    def drop(self) -> None:
        """The peer vanishes: pending and later ``recv``/``send`` raise ``ConnectionClosed``."""
        self._go(ConnectionClosedError(None, None))

    @property
    def transport(self) -> FakeTransport:
        return self._transport

    def messages(self) -> list[p.Message]:
        """The server's text frames, decoded."""
        return [p.decode_server_message(f) for f in self.sent if isinstance(f, str)]

    def audio(self) -> list[p.ReplyAudio]:
        """The server's binary frames, decoded."""
        return [p.ReplyAudio.decode(f) for f in self.sent if isinstance(f, bytes)]

    def events(self) -> list[p.Message | p.ReplyAudio]:
        """Every frame the server sent, decoded, in order."""
        return [p.decode_server_message(f) if isinstance(f, str) else p.ReplyAudio.decode(f) for f in self.sent]

    def of(self, kind: type[Any]) -> list[Any]:
        """The decoded server messages of type ``kind``."""
        return [m for m in self.messages() if isinstance(m, kind)]

    async def wait_for(self, predicate: Callable[[FakeWebSocket], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate(self)`` holds (TimeoutError after ``timeout`` s)."""
        async with asyncio.timeout(timeout):
            while not predicate(self):
                await asyncio.sleep(0.005)

    async def wait_for_message(self, kind: type[Any], count: int = 1, timeout: float = 5.0) -> list[Any]:
        """Wait until ``count`` messages of ``kind`` were sent; all of that kind so far."""
        await self.wait_for(lambda ws: len(ws.of(kind)) >= count, timeout)
        return self.of(kind)

    # -------------------------------------------------------------- the WebSocket protocol

    async def recv(self) -> str | bytes:
        if self._gone is not None:
            raise self._gone
        get = asyncio.ensure_future(self._inbox.get())
        gone = asyncio.ensure_future(self._gone_event.wait())
        try:
            await asyncio.wait({get, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in (get, gone):
                if not future.done():
                    future.cancel()
            await asyncio.gather(get, gone, return_exceptions=True)
        if get.done() and not get.cancelled():
            return get.result()
        assert self._gone is not None
        raise self._gone

    async def send(self, message: str | bytes) -> None:
        if self._gone is not None:
            raise self._gone
        if self._stalled:
            await self._gone_event.wait()  # blocks until the connection dies (or forever)
            assert self._gone is not None
            raise self._gone
        self.sent.append(message)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.close_calls.append((code, reason))
        if self._gone is not None:
            return
        if self._stalled and self._close_stalls:
            await self._gone_event.wait()  # the close frame never gets through
            return
        self.closed = (code, reason)
        close = Close(code, reason)
        self._go(ConnectionClosedOK(close, close, True) if code in (1000, 1001)
                 else ConnectionClosedError(close, close, True))

    # -------------------------------------------------------------- internals

    def _go(self, exc: ConnectionClosed) -> None:
        if self._gone is None:
            self._gone = exc
            self._gone_event.set()
