"""Runs one turn: STT, then the LLM streamed into clauses, each clause spoken as soon as it is cut.

The runner is the only place that awaits model work. Everything it produces goes to a
``TurnEventSink`` as a typed turn event; the session decides what reaches the client and when.
A client's function (the Realtime protocol's tools) answers a turn with its call instead
(``FunctionCalled``), and a turn with ``results`` speaks from what the function returned.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

import numpy as np

from app.audio import INPUT_FORMAT
from app.chat import ChatMessage
from app.claims import invented_claim
from app.clauses import ClauseSplitter
from app.config import ReplySettings
from app.conversation.effects import (
    FunctionCalled,
    ReplySpeech,
    ReplyText,
    StartTurn,
    ToolUsed,
    Transcribed,
    TurnEventSink,
    TurnFailed,
    TurnFinished,
    TurnPredicted,
    WordsPredicted,
)
from app.conversation.errors import describe
from app.engine import Engine
from app.naive_reply import naive_reply
from app.spoken import for_speech
from app.stages.base import StageError
from app.token_stream import EndOfTurnEstimate, TurnGate, ms_since, stream_llm
from app.tools import ToolAnswer, ToolContext, answer
from app.tools.functions import ClientFunctions, Function, arguments_prompt, results_prompt, route
from app.turn_policy import is_noise_transcript, openings_to_avoid

log = logging.getLogger(__name__)

_END = object()
_SILENT = np.zeros(0, dtype=np.int16)  # the audio of a clause not spoken (StartTurn.speak False)


async def run_turn(start: StartTurn, engine: Engine, reply: ReplySettings, sink: TurnEventSink, *,
                   affinity: str, tools: ToolContext | None = None) -> None:
    """Produce the whole turn into ``sink``. Any failure (a stage's, or a bug) ends it with one
    TurnFailed event, described by the error ladder; cancellation stops it cleanly.

    ``affinity`` names the conversation, so its llama.cpp context (and prefix) is reused.
    ``tools``: what the local tools may read (None: the model answers everything).
    """
    try:
        stages, unevaluated = await _run(start, engine, reply, sink, affinity, tools)
    except Exception as exc:
        failure = describe(exc)
        sink.deliver(TurnFailed(start.turn_id, failure.code, failure.message))
        return
    # llama.cpp streams one token per delta: a reply that used every token was cut there.
    truncated = stages.pop("reply_tokens", 0) >= reply.max_reply_tokens + reply.sentence_overrun_tokens
    sink.deliver(TurnFinished(start.turn_id, stages, truncated))
    if unevaluated:
        # A tool's exchange was never read by the model: evaluate it now, while the reply plays,
        # instead of in the user's next wait (bulk priority: never before anyone's first audio).
        try:
            await engine.run(engine.llm.prefill, unevaluated, affinity=affinity, bulk=True)
        except StageError as exc:  # only a speed-up: the next turn evaluates it anyway
            log.warning("prefill after turn %d failed: %s", start.turn_id, exc)


async def _run(start: StartTurn, engine: Engine, reply: ReplySettings, sink: TurnEventSink, affinity: str,
               tools: ToolContext | None) -> tuple[dict[str, float], tuple[ChatMessage, ...]]:
    """The turn's stage timings, and the conversation the model has not evaluated (a tool's
    exchange) or ()."""
    stages: dict[str, float] = {}
    audio_s = start.audio.shape[0] / INPUT_FORMAT.sample_rate
    stages["utterance_ms"] = 1000.0 * audio_s
    if start.say is not None:
        await _speak(start, _once(start.say), engine, reply, sink, stages, TurnGate())
        return stages, ()
    if start.results or start.from_history:  # the functions' outputs, or the history alone: no words to hear
        gate = TurnGate()
        results = (results_prompt(start.results),) if start.results else ()
        messages = (ChatMessage("system", reply.system_prompt), *start.history, *results)
        await _speak(start, stream_llm(engine, messages, affinity, gate), engine, reply, sink, stages, gate, llm=True)
        return stages, ()
    voice = not start.naive and start.transcript is None and engine.turn is not None
    # The voice's verdict needs only the audio, so the turn model runs beside Whisper (one
    # thread beside its two): its verdict is in before the words' verdict, and the LLM gets
    # both cores (beside the LLM it slowed the first clause by about 100 ms, measured).
    predictor = asyncio.create_task(_predict_turn(start, engine, sink, stages)) if voice else None
    try:
        if start.transcript is not None:
            # Answered again: the words are known, and the endpoint was decided long ago.
            text = start.transcript
            sink.deliver(Transcribed(start.turn_id, text))
            tool = _use_tool(start.turn_id, text, tools, start, stages)
        else:
            t = time.monotonic()
            window = None if start.naive else audio_s
            result = await engine.run(engine.stt.transcribe, start.audio, window_s=window)
            stages["stt_ms"] = ms_since(t)
            text = result.text
            noise = not text or is_noise_transcript(text)
            tool = None if noise else _use_tool(start.turn_id, text, tools, start, stages)
            local = isinstance(tool, ToolAnswer)  # a client's function still has the model read the words
            pending = not (start.naive or noise or local) and engine.llm.estimates_end_of_turn
            sink.deliver(Transcribed(start.turn_id, text, words_pending=pending))
            if noise:
                return stages, ()
            if local and not start.naive:
                # A tool matched a whole request: as a verdict on the words, that is "finished".
                sink.deliver(WordsPredicted(start.turn_id, 1.0))
        messages = (ChatMessage("system", reply.system_prompt), *start.history, ChatMessage("user", text))
        if isinstance(tool, Function):
            await _call_function(start.turn_id, tool, messages, engine, sink, stages, affinity)
        elif tool is not None:
            sink.deliver(ToolUsed(start.turn_id, tool.tool, tool.action))
            await _speak(start, _once(tool.text), engine, reply, sink, stages, TurnGate())
        elif start.naive:
            await naive_reply(start.turn_id, messages, engine, sink, stages, affinity)
        else:
            gate = TurnGate()
            deltas = stream_llm(engine, messages, affinity, gate, estimate=True, avoid=openings_to_avoid(messages))
            await _speak(start, deltas, engine, reply, sink, stages, gate, llm=True, claims=True)
        if predictor is not None:
            await predictor
    finally:
        await _cancel(predictor)
    return stages, (*messages, ChatMessage("assistant", tool.text)) if isinstance(tool, ToolAnswer) else ()


def _use_tool(turn_id: int, text: str, tools: ToolContext | None, start: StartTurn,
              stages: dict[str, float]) -> Function | ToolAnswer | None:
    """The client's function ``text`` asks for, else the local tools' answer, if one applies
    (microseconds: run inline). Client functions come first: an app's own get_weather wins."""
    functions: ClientFunctions | None = start.functions
    if tools is None and functions is None:
        return None
    t = time.monotonic()
    found: Function | ToolAnswer | None = route(text, functions)
    if found is None and tools is not None:
        found = answer(text, dataclasses.replace(tools, now_s=time.time(), history=start.history))
    stages["tool_ms"] = ms_since(t)
    if found is not None:
        log.debug("turn %d answered by %s", turn_id, found.tool if isinstance(found, ToolAnswer) else "a function")
    return found


async def _call_function(turn_id: int, function: Function, messages: tuple[ChatMessage, ...], engine: Engine,
                         sink: TurnEventSink, stages: dict[str, float], affinity: str) -> None:
    """The turn is answered by the client's ``function``: the model writes its arguments under
    its schema, the words' end-of-turn estimate read on the way (as ``stream_reply`` does)."""
    loop, cancel = asyncio.get_running_loop(), threading.Event()

    def on_estimate(p_end: float) -> None:  # on the worker thread
        stages["words_p_end"] = p_end
        loop.call_soon_threadsafe(sink.deliver, WordsPredicted(turn_id, p_end))

    *conversation, user = messages  # the request right after it, as the model reads requests
    prompt = (*conversation, arguments_prompt(function), user)
    t = time.monotonic()
    try:
        arguments = await engine.run(engine.llm.function_arguments, prompt, function.parameters, cancel=cancel,
                                     affinity=affinity, end_of_turn=on_estimate)
    finally:
        cancel.set()  # a cancelled turn: the generation stops at its next token
    stages["function_ms"] = ms_since(t)
    sink.deliver(FunctionCalled(turn_id, function.name, arguments))


async def _once(text: str) -> AsyncIterator[str]:
    yield text


async def _cancel(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` (if any and still running) and wait until it has stopped."""
    if task is not None and not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _predict_turn(start: StartTurn, engine: Engine, sink: TurnEventSink, stages: dict[str, float]) -> None:
    assert engine.turn is not None
    t = time.monotonic()
    p_complete = await engine.run(engine.turn.predict, start.audio)
    stages["turn_model_ms"] = ms_since(t)
    stages["turn_p_complete"] = p_complete
    sink.deliver(TurnPredicted(start.turn_id, p_complete))


async def _speak(start: StartTurn, deltas: AsyncIterator[str | EndOfTurnEstimate], engine: Engine,
                 reply: ReplySettings, sink: TurnEventSink, stages: dict[str, float], gate: TurnGate, *,
                 llm: bool = False, claims: bool = False) -> None:
    """Text deltas (the LLM's tokens, or a tool's answer) -> clause splitter -> TTS, with TTS of clause n overlapping
    generation of n+1. Each clause goes out as text when it is cut, so what the client reads and the history keeps
    is what is spoken; a turn not spoken (``start.speak`` False) skips TTS: an empty ``ReplySpeech`` per clause.

    Past ``max_reply_tokens`` the reply stops at its next sentence end (spoken replies never stop
    mid-sentence), and past ``sentence_overrun_tokens`` more at the last one. ``claims``: a clause that
    states the time, the date or a live value (the model has no clock and no live data, app/claims.py)
    ends the reply with the sentence that says so instead."""
    turn_id = start.turn_id
    splitter = ClauseSplitter(reply.first_clause_max_words, reply.clause_min_words)
    clauses: asyncio.Queue[object] = asyncio.Queue()
    t_start = time.monotonic()
    said = ""

    async def speak() -> None:
        first = True
        try:
            while (clause := await clauses.get()) is not _END:
                assert isinstance(clause, str)
                t = time.monotonic()
                pcm = (await engine.run(engine.tts.synthesize, for_speech(clause), bulk=not first)
                       if start.speak else _SILENT)  # text only: the clause is said in no time
                sink.deliver(ReplySpeech(turn_id, clause, pcm))
                if first:
                    stages["tts_first_audio_ms"] = ms_since(t)
                    first = False
                    gate.bulk = True
                    gate.release("first-clause")
        finally:
            # A failed first clause must not leave generation held: the loop below notices the
            # failure only at the next delta, which a held generation thread never produces.
            gate.release("first-clause")

    invented = False

    def cut(clause: str) -> None:
        nonlocal said, invented
        if invented:
            return
        if claims and (instead := invented_claim(clause, said)) is not None:
            clause, invented = instead, True
            log.debug("turn %d: a made-up time, date or live value replaced", turn_id)
        if "first_clause_ms" not in stages:
            stages["first_clause_ms"] = ms_since(t_start)
            gate.hold("first-clause")
        sink.deliver(ReplyText(turn_id, clause if not said else " " + clause))
        said += " " + clause
        clauses.put_nowait(clause)

    # First audio before bulk work: once the first clause is cut, generation pauses until that
    # clause is synthesized, so the two do not split two cores between them. The rest of the
    # reply is still ready long before the first clause finishes playing.
    speaker = asyncio.create_task(speak(), name=f"tts-{turn_id}")
    tokens = 0
    try:
        async with aclosing(deltas) as stream:
            async for delta in stream:
                if isinstance(delta, EndOfTurnEstimate):
                    stages["words_p_end"] = delta.p_end
                    sink.deliver(WordsPredicted(turn_id, delta.p_end))
                    continue
                if llm:
                    stages.setdefault("llm_first_token_ms", ms_since(t_start))
                tokens += 1
                for clause in splitter.push(delta):
                    cut(clause)
                if speaker.done() or invented:
                    break  # TTS failed (the error surfaces below), or the reply was ended
                if tokens >= reply.max_reply_tokens and splitter.at_sentence_end:
                    break  # long enough, and a sentence has just ended
        if llm:
            stages["llm_total_ms"] = ms_since(t_start)
            stages["reply_tokens"] = tokens
        hard_limit = tokens >= reply.max_reply_tokens + reply.sentence_overrun_tokens
        for clause in splitter.flush(drop_unfinished=hard_limit and splitter.said_a_sentence):
            cut(clause)
        clauses.put_nowait(_END)
        await speaker
    finally:
        if not speaker.done():
            speaker.cancel()
            await asyncio.gather(speaker, return_exceptions=True)
