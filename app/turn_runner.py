"""Runs one turn: STT, then the LLM streamed into clauses, each clause spoken as soon as it is cut.

The runner is the only place that awaits model work. Everything it produces goes to a
``TurnEventSink`` as a typed turn event; the session decides what reaches the client and when.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from app.audio import INPUT_FORMAT
from app.chat import ChatMessage
from app.clauses import ClauseSplitter, speakable
from app.config import ReplySettings
from app.conversation.effects import (
    ReplySpeech,
    ReplyText,
    StartTurn,
    Transcribed,
    TurnEventSink,
    TurnFailed,
    TurnFinished,
    TurnPredicted,
    WordsPredicted,
)
from app.conversation.errors import describe
from app.engine import Engine, lower_priority
from app.turn_policy import is_noise_transcript

log = logging.getLogger(__name__)

_END = object()


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


def _ms(since: float) -> float:
    return 1000.0 * (time.monotonic() - since)


async def run_turn(start: StartTurn, engine: Engine, reply: ReplySettings, sink: TurnEventSink, *,
                   affinity: str) -> None:
    """Produce the whole turn into ``sink``. Any failure (a stage's, or a bug) ends it with one
    TurnFailed event, described by the error ladder; cancellation stops it cleanly.

    ``affinity`` names the conversation, so its llama.cpp context (and prefix) is reused.
    """
    try:
        stages = await _run(start, engine, reply, sink, affinity, TurnGate())
    except Exception as exc:
        failure = describe(exc)
        sink.deliver(TurnFailed(start.turn_id, failure.code, failure.message))
        return
    # llama.cpp streams one token per delta: a reply of max_reply_tokens deltas hit the limit.
    truncated = stages.pop("reply_tokens", 0) >= reply.max_reply_tokens
    sink.deliver(TurnFinished(start.turn_id, stages, truncated))



async def _run(start: StartTurn, engine: Engine, reply: ReplySettings, sink: TurnEventSink, affinity: str,
               gate: TurnGate) -> dict[str, float]:
    stages: dict[str, float] = {}
    audio_s = start.audio.shape[0] / INPUT_FORMAT.sample_rate
    stages["utterance_ms"] = 1000.0 * audio_s
    predictor = None
    if start.transcript is not None:
        # Answered again: the words are known, and the endpoint was decided long ago.
        text = start.transcript
        sink.deliver(Transcribed(start.turn_id, text))
    else:
        t = time.monotonic()
        window = None if start.naive else audio_s
        result = await engine.run(engine.stt.transcribe, start.audio, window_s=window)
        stages["stt_ms"] = _ms(t)
        text = result.text
        noise = not text or is_noise_transcript(text)
        pending = not (start.naive or noise) and engine.llm.estimates_end_of_turn
        sink.deliver(Transcribed(start.turn_id, text, words_pending=pending))
        if noise:
            return stages
        if not start.naive and engine.turn is not None:
            # The voice's verdict only moves the endpoint, so it runs beside the LLM: one thread
            # each on two cores, while Whisper (two threads) had the machine to itself.
            predictor = asyncio.create_task(_predict_turn(start, engine, sink, stages))

    messages = (ChatMessage("system", reply.system_prompt), *start.history, ChatMessage("user", text))
    try:
        if start.naive:
            await _naive_reply(start.turn_id, messages, engine, sink, stages, affinity)
        else:
            await _streamed_reply(start.turn_id, messages, engine, reply, sink, stages, affinity, gate)
        if predictor is not None:
            await predictor
    finally:
        await _cancel(predictor)
    return stages


async def _cancel(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` (if any and still running) and wait until it has stopped."""
    if task is not None and not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _predict_turn(start: StartTurn, engine: Engine, sink: TurnEventSink, stages: dict[str, float]) -> None:
    assert engine.turn is not None
    t = time.monotonic()
    p_complete = await engine.run(engine.turn.predict, start.audio)
    stages["turn_model_ms"] = _ms(t)
    stages["turn_p_complete"] = p_complete
    sink.deliver(TurnPredicted(start.turn_id, p_complete))


async def _streamed_reply(turn_id: int, messages: Sequence[ChatMessage], engine: Engine, reply: ReplySettings,
                          sink: TurnEventSink, stages: dict[str, float], affinity: str, gate: TurnGate) -> None:
    """LLM tokens -> clause splitter -> TTS, with TTS of clause n overlapping generation of n+1."""
    splitter = ClauseSplitter(reply.first_clause_max_words, reply.clause_min_words)
    clauses: asyncio.Queue[object] = asyncio.Queue()
    t_llm = time.monotonic()

    async def speak() -> None:
        first = True
        try:
            while (clause := await clauses.get()) is not _END:
                assert isinstance(clause, str)
                t = time.monotonic()
                pcm = await engine.run(engine.tts.synthesize, clause, bulk=not first)
                if first:
                    stages["tts_first_audio_ms"] = _ms(t)
                    first = False
                    gate.bulk = True
                    gate.release("first-clause")
                sink.deliver(ReplySpeech(turn_id, clause, pcm))
        finally:
            # A failed first clause must not leave generation held: the loop below notices the
            # failure only at the next delta, which a held generation thread never produces.
            gate.release("first-clause")

    # First audio before bulk work: once the first clause is cut, generation pauses until that
    # clause is synthesized, so the two do not split two cores between them. The rest of the
    # reply is still ready long before the first clause finishes playing.
    speaker = asyncio.create_task(speak(), name=f"tts-{turn_id}")
    try:
        async with aclosing(stream_llm(engine, messages, affinity, gate, estimate=True)) as deltas:
            async for delta in deltas:
                if isinstance(delta, EndOfTurnEstimate):
                    stages["words_p_end"] = delta.p_end
                    sink.deliver(WordsPredicted(turn_id, delta.p_end))
                    continue
                stages.setdefault("llm_first_token_ms", _ms(t_llm))
                stages["reply_tokens"] = stages.get("reply_tokens", 0) + 1
                sink.deliver(ReplyText(turn_id, delta))
                for clause in splitter.push(delta):
                    if "first_clause_ms" not in stages:
                        stages["first_clause_ms"] = _ms(t_llm)
                        gate.hold("first-clause")
                    clauses.put_nowait(clause)
                if speaker.done():
                    break  # TTS failed: stop generating, the error surfaces below.
        stages["llm_total_ms"] = _ms(t_llm)
        for clause in splitter.flush():
            stages.setdefault("first_clause_ms", _ms(t_llm))
            clauses.put_nowait(clause)
        clauses.put_nowait(_END)
        await speaker
    finally:
        if not speaker.done():
            speaker.cancel()
            await asyncio.gather(speaker, return_exceptions=True)


async def _naive_reply(turn_id: int, messages: Sequence[ChatMessage], engine: Engine, sink: TurnEventSink,
                       stages: dict[str, float], affinity: str) -> None:
    """The baseline cascade: whole reply first, then TTS of the whole reply."""
    t_llm = time.monotonic()
    parts: list[str] = []
    async with aclosing(stream_llm(engine, messages, affinity)) as deltas:
        async for delta in deltas:
            stages.setdefault("llm_first_token_ms", _ms(t_llm))
            stages["reply_tokens"] = stages.get("reply_tokens", 0) + 1
            assert isinstance(delta, str)  # no estimate asked for
            parts.append(delta)
    stages["llm_total_ms"] = stages["first_clause_ms"] = _ms(t_llm)
    text = "".join(parts)
    sink.deliver(ReplyText(turn_id, text))
    spoken = speakable(text)
    if spoken:
        t = time.monotonic()
        pcm = await engine.run(engine.tts.synthesize, spoken)
        stages["tts_first_audio_ms"] = _ms(t)
        sink.deliver(ReplySpeech(turn_id, spoken, pcm))


@dataclass(frozen=True, slots=True)
class EndOfTurnEstimate:
    """The language model's P(the user's message is complete), from before its first token."""

    p_end: float


async def stream_llm(engine: Engine, messages: Sequence[ChatMessage], affinity: str,
                     gate: TurnGate | None = None, *,
                     estimate: bool = False) -> AsyncIterator[str | EndOfTurnEstimate]:
    """Bridge the LLM's blocking token iterator (run in its own thread) to async deltas.

    Leaving the loop early (cancellation, an error downstream) sets the cancel flag, and the
    generation thread stops at its next token, so no thread outlives its turn by more than one
    token's worth of compute. While ``gate`` is held the thread waits between tokens.
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
            for delta in engine.llm.stream_reply(messages, cancel=cancel, affinity=affinity, end_of_turn=on_estimate):
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
