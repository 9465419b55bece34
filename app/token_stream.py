"""The language model's token stream, bridged from its blocking iterator to async deltas, and the
gate that pauses generation while something more urgent (a first clause's speech) has the cores."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from app.chat import ChatMessage
from app.engine import Engine, lower_priority

_END = object()


def ms_since(started: float) -> float:
    """Milliseconds since ``started``, a ``time.monotonic()`` reading (the turn's stage timings)."""
    return 1000.0 * (time.monotonic() - started)


class TurnGate:
    """Holds a turn's generation while something more urgent runs (its first clause's TTS).

    The LLM thread waits here between tokens; thread-safe.
    """

    def __init__(self) -> None:
        self._holds: set[str] = set()
        self._condition = threading.Condition()
        self.bulk = False
        """Set once the first clause is spoken: what remains of the reply is bulk work."""

    def hold(self, reason: str) -> None:
        with self._condition:
            self._holds.add(reason)

    def release(self, reason: str) -> None:
        with self._condition:
            self._holds.discard(reason)
            self._condition.notify_all()

    def wait(self, cancel: threading.Event) -> None:
        """Block the calling thread while anything holds the gate (or until ``cancel``)."""
        with self._condition:
            while self._holds and not cancel.is_set():
                self._condition.wait(0.05)


@dataclass(frozen=True, slots=True)
class EndOfTurnEstimate:
    """The language model's P(the user's message is complete), from before its first token."""

    p_end: float


async def stream_llm(engine: Engine, messages: Sequence[ChatMessage], affinity: str,
                     gate: TurnGate | None = None, *, estimate: bool = False,
                     avoid: Sequence[str] = ()) -> AsyncIterator[str | EndOfTurnEstimate]:
    """Bridge the LLM's blocking token iterator (run in its own thread) to async deltas.

    Leaving the loop early (cancellation, an error downstream) sets the cancel flag, and the
    generation thread stops at its next token, so no thread outlives its turn by more than one
    token's worth of compute. While ``gate`` is held the thread waits between tokens.
    ``avoid``: openings the reply must not copy (``ChatModel.stream_reply``).
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    cancel = threading.Event()

    def put(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:
            cancel.set()  # the loop is gone (server shutdown): nobody is listening any more.

    def generate() -> None:
        demoted = False
        try:
            on_estimate = (lambda p: put(EndOfTurnEstimate(p))) if estimate else None
            for delta in engine.llm.stream_reply(messages, cancel=cancel, affinity=affinity,
                                                    end_of_turn=on_estimate, avoid=avoid):
                put(delta)
                if gate is not None:
                    gate.wait(cancel)
                    if gate.bulk and not demoted:
                        # This thread lives for one reply only, so it never needs promoting back.
                        lower_priority(engine.bulk_nice)
                        demoted = True
        except BaseException as exc:
            put(exc)
        finally:
            put(_END)

    worker = threading.Thread(target=generate, name="llm-generate", daemon=True)
    worker.start()
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, str | EndOfTurnEstimate)
            yield item
    finally:
        cancel.set()
