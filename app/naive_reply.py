"""The baseline cascade the benchmark compares against: the whole reply generated, then spoken at once."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import aclosing

from app.chat import ChatMessage
from app.clauses import speakable
from app.conversation.effects import ReplySpeech, ReplyText, TurnEventSink
from app.engine import Engine
from app.spoken import for_speech
from app.token_stream import ms_since, stream_llm


async def naive_reply(turn_id: int, messages: Sequence[ChatMessage], engine: Engine, sink: TurnEventSink,
                       stages: dict[str, float], affinity: str) -> None:
    """The baseline cascade: whole reply first, then TTS of the whole reply."""
    t_llm = time.monotonic()
    parts: list[str] = []
    async with aclosing(stream_llm(engine, messages, affinity)) as deltas:
        async for delta in deltas:
            stages.setdefault("llm_first_token_ms", ms_since(t_llm))
            stages["reply_tokens"] = stages.get("reply_tokens", 0) + 1
            assert isinstance(delta, str)  # no estimate asked for
            parts.append(delta)
    stages["llm_total_ms"] = stages["first_clause_ms"] = ms_since(t_llm)
    spoken = speakable("".join(parts))
    sink.deliver(ReplyText(turn_id, spoken))
    if spoken:
        t = time.monotonic()
        pcm = await engine.run(engine.tts.synthesize, for_speech(spoken))
        stages["tts_first_audio_ms"] = ms_since(t)
        sink.deliver(ReplySpeech(turn_id, spoken, pcm))
