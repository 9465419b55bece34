"""End-to-end: LiveKit's ``openai.realtime.RealtimeModel`` against a real node (real models, real
recordings, a static token), its reply audio transcribed back with the node's Whisper.

No LiveKit server and no room: the test drives the model's ``RealtimeSession`` as an
``AgentSession`` would, ``push_audio`` with 20 ms ``rtc.AudioFrame``s at real-time pace, the
``generation_created`` event's message streams (text and audio) for the reply, ``truncate`` for
what the user heard. The raw server events (``openai_server_event_received``) give the session id
and the truncation's answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import llm
from livekit.plugins.openai.realtime import RealtimeModel

from tests.conftest import ServerProcess
from tests.e2e.realtime_clients import (
    JFK_PHRASE,
    RATE,
    TOKEN,
    heard,
    intelligible,
    normalize,
    realtime_node,
    recording,
    saved_history,
    spoken_question,
    with_silence,
)

pytestmark = pytest.mark.e2e
FRAME = RATE // 50  # 20 ms at the session's 24 kHz


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Any:
    yield from realtime_node(tmp_path_factory, "livekit")


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_question(tmp_path_factory)


@dataclass
class Message:
    """One assistant message of a generation: its id, spoken text and 24 kHz PCM16 audio."""

    message_id: str
    text: str = ""
    audio: bytearray = field(default_factory=bytearray)
    done: bool = False


class Listener:
    """What a session tells its user: transcripts, generations (read as they stream), errors, and
    the raw server events."""

    def __init__(self, session: Any) -> None:
        self.user_words: list[str] = []
        self.messages: list[Message] = []
        self.errors: list[llm.RealtimeModelError] = []
        self.events: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        session.on("input_audio_transcription_completed", self._transcribed)
        session.on("generation_created", lambda g: self._tasks.append(asyncio.create_task(self._read(g))))
        session.on("error", self._error)
        session.on("openai_server_event_received", self._event)

    def _transcribed(self, event: llm.InputTranscriptionCompleted) -> None:
        if event.is_final:
            self.user_words.append(event.transcript)

    def _error(self, error: llm.RealtimeModelError) -> None:
        self.errors.append(error)
        self.changed.set()

    def _event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self.changed.set()

    async def _read(self, generation: llm.GenerationCreatedEvent) -> None:
        async for stream in generation.message_stream:
            message = Message(stream.message_id)
            self.messages.append(message)

            async def text(stream: llm.MessageGeneration = stream, message: Message = message) -> None:
                async for delta in stream.text_stream:
                    message.text += delta

            async def audio(stream: llm.MessageGeneration = stream, message: Message = message) -> None:
                async for frame in stream.audio_stream:
                    assert (frame.sample_rate, frame.num_channels) == (RATE, 1)
                    message.audio += bytes(frame.data)
                    self.changed.set()

            await asyncio.gather(text(), audio())
            message.done = True
            self.changed.set()

    def event(self, kind: str) -> dict[str, Any] | None:
        """The latest raw server event of type ``kind``, if any came."""
        return next((e for e in reversed(self.events) if e["type"] == kind), None)

    async def until(self, ready: Any, timeout_s: float = 40.0) -> None:
        """Wait until ``ready()`` is true; an error of the session fails the test."""
        deadline = time.monotonic() + timeout_s
        while not ready():
            assert not self.errors, [e for e in self.events if e["type"] in ("error", "response.done")]
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                raise AssertionError(f"timed out: {self.user_words=}, {self.messages=}") from None
        assert not self.errors, self.errors


async def speak(session: Any, pcm: np.ndarray) -> None:
    """``pcm`` (24 kHz) into the session in 20 ms frames at real-time pace, as a room track does."""
    start = time.monotonic()
    for i, offset in enumerate(range(0, pcm.shape[0], FRAME)):
        chunk = pcm[offset : offset + FRAME]
        session.push_audio(rtc.AudioFrame(chunk.tobytes(), RATE, 1, chunk.shape[0]))
        await asyncio.sleep(max(0.0, start + (i + 1) * FRAME / RATE - time.monotonic()))


def model(node: ServerProcess) -> RealtimeModel:
    return RealtimeModel(base_url=f"{node.http}/v1", api_key=TOKEN)


@asynccontextmanager
async def livekit_session(node: ServerProcess, **options: Any) -> AsyncIterator[tuple[Any, Listener]]:
    """A LiveKit ``RealtimeSession`` on ``node`` (``options`` for ``RealtimeModel.session``) and its
    listener; both the session and the model are closed after."""
    realtime = model(node)
    session = realtime.session(**options)
    try:
        yield session, Listener(session)
    finally:
        await session.aclose()
        await realtime.aclose()


def completed(listener: Listener) -> bool:
    """The node completed a response (a pause may cut a turn first: its merge follows)."""
    done = listener.event("response.done")
    return done is not None and done["response"]["status"] == "completed" and listener.messages[-1].done


def test_livekit_streams_a_recording_and_hears_a_spoken_reply(node: ServerProcess, jfk: Path) -> None:
    async def talk() -> Listener:
        async with livekit_session(node) as (session, listener):
            await speak(session, with_silence(recording(jfk), 2.0))
            await listener.until(lambda: completed(listener))
        return listener

    listener = asyncio.run(talk())
    assert any(JFK_PHRASE in normalize(words) for words in listener.user_words), listener.user_words
    reply = listener.messages[-1]
    assert reply.text.strip() and len(reply.audio) > RATE, reply  # at least half a second of speech
    spoken = heard(np.frombuffer(bytes(reply.audio), dtype="<i2"), RATE)
    assert intelligible(reply.text, spoken) >= 0.5, f"reply {reply.text!r} but the audio says {spoken!r}"


def test_livekit_answers_a_spoken_question(node: ServerProcess, question: Path) -> None:
    async def talk() -> Listener:
        async with livekit_session(node) as (session, listener):
            await speak(session, with_silence(recording(question), 1.5))
            await listener.until(lambda: completed(listener))
        return listener

    listener = asyncio.run(talk())
    assert any("tokyo" in normalize(words) for words in listener.user_words), listener.user_words
    reply = listener.messages[-1]
    spoken = heard(np.frombuffer(bytes(reply.audio), dtype="<i2"), RATE)
    assert "tokyo" in normalize(reply.text), reply.text  # the clock tool's answer: "It's 3:31 AM ... in Tokyo."
    assert "tokyo" in normalize(spoken) and intelligible(reply.text, spoken) >= 0.5, (reply.text, spoken)


def test_livekit_truncate_keeps_what_was_heard(node: ServerProcess, question: Path) -> None:
    """The reply was generated in full before the user talked over it (no ``response.cancel``:
    ``interrupt`` sends none once the response is done); ``truncate`` at the playout position."""

    async def talk() -> tuple[str, Message, int, Listener]:
        async with livekit_session(node) as (session, listener):
            await speak(session, with_silence(recording(question), 1.0))
            await listener.until(lambda: completed(listener))
            reply = listener.messages[-1]
            end_ms = 800  # the user heard 800 ms of it, then spoke over it
            session.interrupt()
            session.truncate(message_id=reply.message_id, modalities=["audio"], audio_end_ms=end_ms)
            await listener.until(lambda: listener.event("conversation.item.truncated") is not None)
            created = listener.event("session.created")
            assert created is not None
        return created["session"]["id"], reply, end_ms, listener

    session_id, reply, end_ms, listener = asyncio.run(talk())
    assert "tokyo" in normalize(reply.text), reply.text
    truncated = listener.event("conversation.item.truncated")
    assert truncated is not None and (truncated["item_id"], truncated["audio_end_ms"]) == (reply.message_id, end_ms)
    generated = reply.text.split()
    shortened = lambda h: len(h) == 2 and len(h[1]["content"].split()) < len(generated)  # noqa: E731
    history = asyncio.run(saved_history(node, session_id, shortened))
    assert [m["role"] for m in history] == ["user", "assistant"], history
    assert "tokyo" in normalize(history[0]["content"]), history
    kept = history[1]["content"].split()
    assert kept and kept == generated[: len(kept)] and len(kept) < len(generated), (kept, generated)


def test_livekit_truncate_at_zero_deletes_the_unheard_reply(node: ServerProcess, question: Path) -> None:
    """The user talked before any of the reply played: LiveKit's ``truncate`` at 0 ms deletes the
    item (``conversation.item.delete``), from its chat context and from the node's history."""

    async def talk() -> tuple[str, Message, Listener, list[str]]:
        async with livekit_session(node) as (session, listener):
            await speak(session, with_silence(recording(question), 1.0))
            await listener.until(lambda: completed(listener))
            reply = listener.messages[-1]
            session.truncate(message_id=reply.message_id, modalities=["audio"], audio_end_ms=0)
            await listener.until(lambda: listener.event("conversation.item.deleted") is not None)
            roles = [item.role for item in session.chat_ctx.items if item.type == "message"]
            created = listener.event("session.created")
            assert created is not None
        return created["session"]["id"], reply, listener, roles

    session_id, reply, listener, roles = asyncio.run(talk())
    deleted = listener.event("conversation.item.deleted")
    assert deleted is not None and deleted["item_id"] == reply.message_id, deleted
    assert roles == ["user"], roles  # LiveKit's mirror of the conversation lost the reply too
    history = asyncio.run(saved_history(node, session_id, lambda h: len(h) == 1))
    assert [m["role"] for m in history] == ["user"] and "tokyo" in normalize(history[0]["content"]), history


@pytest.fixture(scope="module")
def history_request(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A request with a long answer: still being generated when the user talks over it."""
    return spoken_question(tmp_path_factory, "Tell me about the history of Rome.")


def test_livekit_client_turns_commit_and_generate_reply(node: ServerProcess, question: Path) -> None:
    """Turn detection off (the client decides the turns): ``commit_audio`` then ``generate_reply``,
    whose future is the response (LiveKit finds it by the ``response.metadata`` it sent)."""

    async def talk() -> tuple[llm.GenerationCreatedEvent, Listener]:
        async with livekit_session(node, turn_detection_disabled=True) as (session, listener):
            await speak(session, with_silence(recording(question), 0.3))
            session.commit_audio()
            generation = await asyncio.wait_for(session.generate_reply(), 15)
            await listener.until(lambda: completed(listener))
        return generation, listener

    generation, listener = asyncio.run(talk())
    done = listener.event("response.done")
    assert generation.user_initiated and done is not None and generation.response_id == done["response"]["id"]
    assert listener.event("input_audio_buffer.speech_started") is None  # the client decides the turns
    assert any("tokyo" in normalize(words) for words in listener.user_words), listener.user_words
    reply = listener.messages[-1]
    spoken = heard(np.frombuffer(bytes(reply.audio), dtype="<i2"), RATE)
    assert "tokyo" in normalize(spoken) and intelligible(reply.text, spoken) >= 0.5, (reply.text, spoken)


def test_livekit_interrupt_then_truncate_keep_what_was_heard(node: ServerProcess, history_request: Path) -> None:
    """An ``AgentSession``'s barge-in on a reply still being made: ``interrupt`` (``response.cancel``),
    then ``truncate`` at the playout position."""

    async def talk() -> tuple[str, Message, int, Listener]:
        async with livekit_session(node) as (session, listener):
            await speak(session, with_silence(recording(history_request), 1.0))
            await listener.until(lambda: listener.messages and len(listener.messages[-1].audio) >= 2 * RATE)
            reply = listener.messages[-1]  # 1 s of it came: the user heard 800 ms, then spoke over it
            assert session.has_active_generation, "the reply was made in full before 1 s of it came"
            session.interrupt()
            end_ms = min(800, len(reply.audio) * 1000 // (2 * RATE))
            session.truncate(message_id=reply.message_id, modalities=["audio"], audio_end_ms=end_ms)
            await listener.until(lambda: listener.event("conversation.item.truncated") is not None and reply.done)
            created = listener.event("session.created")
            assert created is not None
        return created["session"]["id"], reply, end_ms, listener

    session_id, reply, end_ms, listener = asyncio.run(talk())
    assert any("rome" in normalize(words) for words in listener.user_words), listener.user_words
    done = listener.event("response.done")
    assert done is not None and done["response"]["status"] == "cancelled", done
    truncated = listener.event("conversation.item.truncated")
    assert truncated is not None and (truncated["item_id"], truncated["audio_end_ms"]) == (reply.message_id, end_ms)
    generated = reply.text.split()
    shortened = lambda h: len(h) == 2 and len(h[1]["content"].split()) < len(generated)  # noqa: E731
    history = asyncio.run(saved_history(node, session_id, shortened))
    assert [m["role"] for m in history] == ["user", "assistant"] and "rome" in normalize(history[0]["content"]), history
    kept = history[1]["content"].split()
    assert kept and kept == generated[: len(kept)] and len(kept) < len(generated), (kept, generated)


def test_livekit_generate_reply_with_instructions_greets_the_user(node: ServerProcess) -> None:
    """An agent that speaks first: ``generate_reply(instructions="Greet the user.")`` on a fresh
    session, nothing said yet (a ``response.create`` with nothing new to answer)."""

    async def talk() -> tuple[llm.GenerationCreatedEvent, Listener]:
        async with livekit_session(node) as (session, listener):
            generation = await asyncio.wait_for(session.generate_reply(instructions="Greet the user."), 15)
            await listener.until(lambda: completed(listener))
        return generation, listener

    generation, listener = asyncio.run(talk())
    done = listener.event("response.done")
    assert done is not None and generation.response_id == done["response"]["id"], done
    assert listener.user_words == []  # nobody spoke
    reply = listener.messages[-1]
    assert reply.text.strip() and len(reply.audio) > RATE // 2, reply
    spoken = heard(np.frombuffer(bytes(reply.audio), dtype="<i2"), RATE)
    assert intelligible(reply.text, spoken) >= 0.5, f"reply {reply.text!r} but the audio says {spoken!r}"
