"""End-to-end: Pipecat's ``OpenAIRealtimeLLMService`` against a real node (real models, real
recordings, a static token), its reply audio transcribed back with the node's Whisper. The
pipeline (no audio device: a microphone and a speaker stand-in) is in ``pipecat_pipeline.py``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import SHARED_AUDIO, ServerProcess
from tests.e2e.pipecat_pipeline import (
    REPLY_RATE,
    LLMContext,
    Microphone,
    Speaker,
    converse,
    microphone_audio,
    realtime_events,
)
from tests.e2e.realtime_clients import (
    JFK_PHRASE,
    heard,
    intelligible,
    normalize,
    realtime_node,
    saved_history,
    spoken_question,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Any:
    yield from realtime_node(tmp_path_factory, "pipecat")


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_question(tmp_path_factory)


def test_pipecat_streams_a_recording_and_hears_a_spoken_reply(node: ServerProcess, jfk: Path) -> None:
    talk = asyncio.run(converse(node, Microphone(microphone_audio(jfk)), Speaker()))
    assert not talk.errors, talk.errors
    assert any(JFK_PHRASE in normalize(words) for words in talk.user_words), talk.user_words
    reply = talk.replies[-1]
    assert reply.text.strip() and len(reply.audio) > REPLY_RATE, reply.text  # at least half a second of speech
    spoken = heard(np.frombuffer(bytes(reply.audio), dtype="<i2"), REPLY_RATE)
    assert intelligible(reply.text, spoken) >= 0.5, f"reply {reply.text!r} but the audio says {spoken!r}"


def test_pipecat_starts_from_its_context_then_answers_a_spoken_question(node: ServerProcess, question: Path) -> None:
    context = LLMContext([{"role": "user", "content": "Say hello in a few words."}])
    speaker = Speaker()
    mic = Microphone(np.zeros(0, dtype=np.int16), (speaker.played, 0.5, microphone_audio(question)))
    talk = asyncio.run(converse(node, mic, speaker, replies=2, context=context, instructions="Be brief."))
    assert not talk.errors, talk.errors
    greeting, reply = talk.replies[0], talk.replies[-1]
    assert greeting.text.strip() and len(greeting.audio) > REPLY_RATE // 2, greeting.text  # a quarter second at least
    spoken = heard(np.frombuffer(bytes(reply.audio), dtype="<i2"), REPLY_RATE)
    assert "tokyo" in normalize(reply.text), reply.text  # the clock tool's answer: "It's 3:31 AM ... in Tokyo."
    assert "tokyo" in normalize(spoken) and intelligible(reply.text, spoken) >= 0.5, (reply.text, spoken)
    messages = context.get_messages()  # the aggregators took the user's words from the node's transcript
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"], messages
    assert messages[1]["content"] == greeting.text.strip() and messages[3]["content"] == reply.text.strip(), messages
    assert "tokyo" in normalize(str(messages[2]["content"])), messages


def test_pipecat_greets_from_an_empty_context(node: ServerProcess) -> None:
    """Pipecat's usual start: the system instruction on the service, an empty context and an
    ``LLMRunFrame``. The adapter sends the instruction as the session's and a bare
    ``response.create``, which the node answers from the (empty) history, spoken."""
    context = LLMContext([])
    speaker = Speaker()
    talk = asyncio.run(converse(node, Microphone(np.zeros(0, dtype=np.int16)), speaker, context=context,
                                instructions="Greet the user warmly in one short sentence."))
    assert not talk.errors, talk.errors
    greeting = talk.replies[-1]
    assert greeting.text.strip() and len(greeting.audio) > REPLY_RATE // 2, greeting.text
    spoken = heard(np.frombuffer(bytes(greeting.audio), dtype="<i2"), REPLY_RATE)
    assert intelligible(greeting.text, spoken) >= 0.5, f"reply {greeting.text!r} but the audio says {spoken!r}"
    assert [m["role"] for m in context.get_messages()] == ["assistant"], context.get_messages()


def test_pipecat_barge_in_truncates_the_reply_to_what_was_heard(
    node: ServerProcess, question: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[dict[str, Any]] = []  # the node's events as Pipecat's service parses them
    parse = realtime_events.parse_server_event

    def tap(message: str) -> Any:
        events.append(json.loads(message))
        return parse(message)

    monkeypatch.setattr(realtime_events, "parse_server_event", tap)
    speaker = Speaker()
    # A second speaker talks over the reply 1.5 s into it: later than a pause the node would merge
    # into the question (1 s), well before the reply's end. The service truncates on speech_started.
    mic = Microphone(
        microphone_audio(question, silence_s=0.0),
        (speaker.speaking, 1.5, microphone_audio(SHARED_AUDIO / "hotwords.mp3", silence_s=2.5)),
    )
    talk = asyncio.run(converse(node, mic, speaker, replies=2))
    assert not talk.errors, talk.errors
    first = talk.replies[0]
    answered = next(e for e in events if e["type"] == "response.output_item.added")["item"]["id"]
    truncated = next(e for e in events if e["type"] == "conversation.item.truncated")
    duration_ms = len(first.audio) * 1000 // (2 * REPLY_RATE)
    assert truncated["item_id"] == answered, (truncated, answered)
    assert 1000 <= truncated["audio_end_ms"] < duration_ms, (truncated, duration_ms)
    session_id = next(e for e in events if e["type"] == "session.created")["session"]["id"]
    history = asyncio.run(saved_history(node, session_id, lambda h: len(h) >= 3))
    # (the reply to the barge-in may be kept out of the history: an echo of its words adds nothing)
    assert [m["role"] for m in history[:3]] == ["user", "assistant", "user"], history
    assert "tokyo" in normalize(history[0]["content"]) and "folder" in normalize(history[2]["content"]), history
    kept, generated = history[1]["content"].split(), first.text.split()
    assert kept and kept == generated[: len(kept)] and len(kept) < len(generated), (kept, generated)
