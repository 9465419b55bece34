"""A real ``Connection`` over a scripted websocket and a fake engine: the async layer, no models.

Audio goes through the real webrtcvad (``tests.fakes.voiced_frames`` is a voice-like buzz it
hears as speech); most turns are ended with ``commit``, which ends the utterance at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import numpy as np
import pytest

from app import connection as connection_module
from app import protocol as p
from app.auth import Grant
from app.chat import ChatMessage
from app.connection import Connection
from app.engine import Engine
from app.node import Node
from app.stages.base import StageError
from app.store import CorruptRecord, StoreUnavailable
from tests.fakes import FakeWebSocket, fake_engine, fake_node, silent_frames, voiced_frames

DELTAS = ["Sure, ", "it ", "is ", "noon ", "now. ", "The ", "sun ", "is ", "high."]
REPLY = "Sure, it is noon now. The sun is high."
"""DELTAS as the client reads them: a clause at a time, joined by single spaces."""


@pytest.fixture
def make_node() -> Iterator[Callable[..., Node]]:
    engines: list[Engine] = []

    def make(settings: dict[str, Any] | None = None, **handlers: Any) -> Node:
        engine = fake_engine(**handlers)
        engines.append(engine)
        return fake_node(engine, **(settings or {}))

    yield make
    for engine in engines:
        engine.close()


def run(test: Callable[[], Awaitable[None]], timeout: float = 15.0) -> None:
    async def main() -> None:
        await asyncio.wait_for(test(), timeout)

    asyncio.run(main())


class Served:
    """A connection being served over a FakeWebSocket."""

    def __init__(self, node: Node) -> None:
        self.ws = FakeWebSocket()
        self.conn = Connection(self.ws, node)
        self.task = asyncio.create_task(self.conn.run(), name="connection")

    async def hello(self) -> p.Ready:
        self.ws.feed(p.Hello())
        (ready,) = await self.ws.wait_for_message(p.Ready)
        return ready

    async def utterance(self, frames: int = 25) -> None:
        """Speak ``frames`` 20 ms frames, then release push-to-talk."""
        self.ws.feed(*voiced_frames(frames), p.Commit())

    async def end(self, timeout: float = 5.0) -> None:
        """The client goes away; wait until the connection has wound down."""
        if not self.task.done():
            self.ws.drop()
        await asyncio.wait_for(self.task, timeout)


def compress(kinds: list[str]) -> list[str]:
    """Runs of the same kind collapsed to one."""
    return [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]


def kind(event: p.Message | p.ReplyAudio) -> str:
    return "audio" if isinstance(event, p.ReplyAudio) else event.type


# ---------------------------------------------------------------- the happy path


def test_hello_is_answered_with_ready(make_node: Callable[..., Node]) -> None:
    node = make_node(sample_rate=24_000)

    async def test() -> None:
        served = Served(node)
        ready = await served.hello()
        assert ready.output["sample_rate"] == 24_000 and ready.input["sample_rate"] == 16_000
        assert ready.session_id == served.conn.session.id and not ready.resumed
        # A new session is stored at once, so its id can be resumed right away.
        await served.ws.wait_for(lambda ws: node.store.load(ready.session_id) is not None)
        await served.end()
        assert served.ws.closed is None  # the client left first

    run(test)


def test_committed_utterance_is_answered_in_order(make_node: Callable[..., Node]) -> None:
    node = make_node(llm=lambda messages: DELTAS, tts=lambda text: np.ones(3 * 2205, np.int16))

    async def test() -> None:
        served = Served(node)
        await served.hello()
        await served.utterance()
        await served.ws.wait_for_message(p.TurnTiming)
        kinds = [kind(e) for e in served.ws.events()]
        assert kinds[:4] == ["ready", "speech_started", "speech_stopped", "transcript"]
        assert kinds[-2:] == ["reply_done", "turn_timing"]
        # Text and audio interleave (TTS of a clause overlaps generation of the next one).
        middle = compress(kinds[4:-2])
        assert middle[0] == "reply_delta" and set(middle) == {"reply_delta", "audio"}

        (transcript,) = served.ws.of(p.Transcript)
        assert transcript.text == "Tell me about the sun." and transcript.replaces_turn is None
        turn_id = transcript.turn_id
        assert "".join(d.text for d in served.ws.of(p.ReplyDelta)) == REPLY
        audio = served.ws.audio()
        assert [a.seq for a in audio] == list(range(9))  # three clauses, three 100 ms frames each
        assert all(a.turn_id == turn_id and len(a.pcm) == 2 * 2205 for a in audio)
        (done,) = served.ws.of(p.ReplyDone)
        assert done.text == REPLY and not done.interrupted and not done.truncated
        assert done.audio_ms == pytest.approx(900.0)
        (timing,) = served.ws.of(p.TurnTiming)
        for key in ("endpoint_wait_ms", "stt_ms", "llm_first_token_ms", "first_clause_ms", "tts_first_audio_ms",
                    "llm_total_ms", "server_first_audio_ms", "utterance_ms"):
            assert key in timing.stages, key
        # STT heard the utterance (pre-roll included), the LLM got its words.
        assert node.engine.stt.calls[0].audio.shape[0] >= 25 * 320
        assert node.engine.llm.calls[0].messages[-1] == ChatMessage("user", "Tell me about the sun.")
        await served.end()
        assert [(m.role, m.content) for m in node.store.load(served.conn.session.id).history] == [
            ("user", "Tell me about the sun."), ("assistant", REPLY)]

    run(test)


def test_silence_ends_the_turn_without_commit(make_node: Callable[..., Node]) -> None:
    node = make_node(turn=lambda audio: 0.9)

    async def test() -> None:
        served = Served(node)
        await served.hello()
        served.ws.feed(*voiced_frames(25), *silent_frames(70))
        await served.ws.wait_for_message(p.TurnTiming)
        kinds = [kind(e) for e in served.ws.events()]
        assert kinds[:4] == ["ready", "speech_started", "speech_stopped", "transcript"]
        assert kinds[-2:] == ["reply_done", "turn_timing"]
        (stopped,) = served.ws.of(p.SpeechStopped)
        assert 480 <= stopped.at_ms <= 700  # where the voice ended, VAD hangover included
        await served.end()

    run(test)


def test_stage_failure_is_reported_and_the_session_goes_on(make_node: Callable[..., Node]) -> None:
    failures = iter([True])

    def tts(text: str) -> np.ndarray:
        if next(failures, False):
            raise StageError("tts", "boom")
        return np.zeros(2205, np.int16)

    node = make_node(tts=tts)

    async def test() -> None:
        served = Served(node)
        await served.hello()
        await served.utterance()
        (error,) = await served.ws.wait_for_message(p.Error)
        assert error.code == "stage_failed" and not error.fatal and error.turn_id == 1
        await served.ws.wait_for_message(p.TurnTiming)
        served.ws.feed(*silent_frames(80))  # over continuation_ms (+ pre-roll): the next speech is a new turn
        await served.utterance()
        await served.ws.wait_for_message(p.TurnTiming, count=2)
        assert [a.turn_id for a in served.ws.audio()] == [2]
        assert served.ws.closed is None
        await served.end()

    run(test)


# ---------------------------------------------------------------- bugs do not end the session


def test_bug_in_a_text_handler_is_internal_and_not_fatal(make_node: Callable[..., Node]) -> None:
    node = make_node()

    async def test() -> None:
        served = Served(node)
        await served.hello()
        session = served.conn.session
        original = session._on_text
        calls = 0

        def buggy(text: str | bytes, now: float) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("a bug")
            original(text, now)

        session._on_text = buggy  # type: ignore[method-assign]
        served.ws.feed(p.GetHistory())
        (error,) = await served.ws.wait_for_message(p.Error)
        assert error.code == "internal" and not error.fatal and error.turn_id is None
        served.ws.feed(p.GetHistory())
        (history,) = await served.ws.wait_for_message(p.History)
        assert history.messages == []
        assert not served.task.done() and served.ws.closed is None
        await served.end()

    run(test)


def test_bug_in_the_audio_path_is_internal_and_not_fatal(make_node: Callable[..., Node]) -> None:
    node = make_node()

    async def test() -> None:
        served = Served(node)
        await served.hello()
        segmenter = served.conn.session._turns.segmenter
        original = segmenter.push
        calls = 0

        def buggy(frame: np.ndarray, is_speech: bool) -> list[Any]:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("a bug")
            return original(frame, is_speech)

        segmenter.push = buggy  # type: ignore[method-assign]
        served.ws.feed(*silent_frames(1))
        (error,) = await served.ws.wait_for_message(p.Error)
        assert error.code == "internal" and not error.fatal
        await served.utterance()  # the session still hears and answers
        await served.ws.wait_for_message(p.TurnTiming)
        assert served.ws.closed is None
        await served.end()

    run(test)


# ---------------------------------------------------------------- a client that stops reading


@pytest.mark.parametrize("close_completes", [False, True])
def test_slow_consumer_is_dropped_promptly(make_node: Callable[..., Node], monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture, close_completes: bool) -> None:
    monkeypatch.setattr(connection_module, "MAX_OUTGOING", 20)
    # Five seconds of audio per clause: 50 frames each, far more than the queue holds.
    node = make_node(llm=lambda messages: DELTAS, tts=lambda text: np.zeros(5 * 22_050, np.int16))
    caplog.set_level(logging.WARNING, logger="app.connection")

    async def test() -> None:
        served = Served(node)
        await served.hello()
        sent_before = len(served.ws.sent)
        served.ws.stall(close_too=not close_completes)
        started = time.monotonic()
        await served.utterance()
        await served.ws.wait_for(lambda ws: ws.close_calls and (close_completes or ws.transport.aborted))
        assert time.monotonic() - started < 3.0
        assert served.ws.close_calls == [(1008, "slow_consumer")]
        if close_completes:
            assert served.ws.closed == (1008, "slow_consumer") and not served.ws.transport.aborted
        else:
            assert served.ws.closed is None and served.ws.transport.aborted
        await asyncio.wait_for(served.task, 3)  # the connection ends by itself
        # Nothing reached the client after it stopped reading, and nothing is queued any more.
        assert len(served.ws.sent) == sent_before
        outgoing = served.conn._outgoing
        assert len(outgoing) == 0 and not outgoing.put(b"late")
        assert not served.conn.busy

    run(test)
    warnings = [r for r in caplog.records if "client not reading" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert node.metrics.registry.get_sample_value("edgevoice_errors_total", {"code": "slow_consumer"}) == 1


def test_a_client_that_stops_reading_is_dropped_long_before_the_queue_fills(
        make_node: Callable[..., Node], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Live, a reply's few hundred frames never filled the 4,000-frame queue: only the keepalive
    # timeout dropped such a client, after 50 s. A frame the socket does not take is the sign.
    monkeypatch.setattr(connection_module, "SEND_STALL_S", 0.3)
    node = make_node(llm=lambda messages: DELTAS, tts=lambda text: np.zeros(22_050, np.int16))
    caplog.set_level(logging.WARNING, logger="app.connection")

    async def test() -> None:
        served = Served(node)
        await served.hello()
        served.ws.stall(close_too=True)
        started = time.monotonic()
        await served.utterance()
        await served.ws.wait_for(lambda ws: ws.transport.aborted)
        assert time.monotonic() - started < 3.0 and served.ws.close_calls == [(1008, "slow_consumer")]
        assert len(served.conn._outgoing) == 0  # far from full when it was dropped
        await asyncio.wait_for(served.task, 3)

    run(test)
    assert len([r for r in caplog.records if "client not reading" in r.getMessage()]) == 1


# ---------------------------------------------------------------- a client that vanishes


def test_dropped_client_mid_reply_cancels_the_turn_and_saves(make_node: Callable[..., Node]) -> None:
    def llm(messages: object) -> Iterator[str]:
        for _ in range(500):  # ten seconds of tokens unless cancelled
            time.sleep(0.02)
            yield "word "

    node = make_node(llm=llm)

    async def test() -> None:
        served = Served(node)
        await served.hello()
        await served.utterance()
        await served.ws.wait_for_message(p.ReplyDelta)
        # The turns must be stopped before the last history write, not merely asked to stop.
        turns = list(served.conn._turns.values())
        persistence = served.conn._persistence
        flush = persistence.flush
        stopped_at_flush: list[bool] = []

        async def checked_flush() -> None:
            stopped_at_flush.append(all(t.done() for t in turns))
            await flush()

        persistence.flush = checked_flush  # type: ignore[method-assign]
        dropped = time.monotonic()
        served.ws.drop()
        await asyncio.wait_for(served.task, 3)
        assert time.monotonic() - dropped < 2.0
        assert not served.conn.busy
        assert turns and stopped_at_flush == [True], "run() flushed the history while a turn still ran"
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("turn-")], "a turn outlived run()"
        call = node.engine.llm.calls[0]
        assert call.cancel.is_set()
        assert await asyncio.to_thread(call.finished.wait, 2), "generation went on after the client left"
        record = node.store.load(served.conn.session.id)
        assert record is not None
        assert ChatMessage("user", "Tell me about the sun.") in record.history

    run(test)


# ---------------------------------------------------------------- barge-in and time limits


def test_interrupt_cancels_the_turn_and_keeps_the_heard_words(make_node: Callable[..., Node]) -> None:
    def llm(messages: object) -> Iterator[str]:
        yield "Sure, "
        for _ in range(500):  # ten seconds of tokens unless cancelled
            time.sleep(0.02)
            yield "word "

    node = make_node(llm=llm)

    async def test() -> None:
        served = Served(node)
        await served.hello()
        await served.utterance()
        await served.ws.wait_for(lambda ws: len(ws.audio()) >= 1)
        served.ws.feed(p.Interrupt(turn_id=1, played_ms=100))
        (interrupted,) = await served.ws.wait_for_message(p.Interrupted)
        assert interrupted.turn_id == 1 and interrupted.heard_text == "Sure,"
        (done,) = served.ws.of(p.ReplyDone)
        assert done.interrupted and done.turn_id == 1
        call = node.engine.llm.calls[0]
        assert await asyncio.to_thread(call.finished.wait, 2), "generation went on after the barge-in"
        await served.ws.wait_for(lambda ws: not served.conn.busy)
        served.ws.feed(p.GetHistory())
        (history,) = await served.ws.wait_for_message(p.History)
        assert history.messages == [{"role": "user", "content": "Tell me about the sun."},
                                    {"role": "assistant", "content": "Sure,"}]
        await served.end()

    run(test)


def test_a_user_mid_utterance_keeps_a_draining_node_waiting(make_node: Callable[..., Node]) -> None:
    # Speech that continues a turn suspends that turn's reply: no task runs until it ends, yet
    # closing then would lose both halves of the user's sentence.
    node = make_node()

    async def test() -> None:
        served = Served(node)
        await served.hello()
        assert not served.conn.busy
        served.ws.feed(*voiced_frames(20))
        await served.ws.wait_for(lambda ws: served.conn.busy)
        assert not served.conn._turns  # nothing is generating: the open utterance alone holds it
        served.ws.feed(p.Commit())
        await served.ws.wait_for_message(p.ReplyDone)
        await served.ws.wait_for(lambda ws: not served.conn.busy)
        await served.end()

    run(test)


def test_idle_client_is_closed(make_node: Callable[..., Node]) -> None:
    node = make_node(settings={"idle_timeout_s": 0.2})

    async def test() -> None:
        served = Served(node)
        await served.hello()
        await asyncio.wait_for(served.task, 3)
        (error,) = served.ws.of(p.Error)
        assert error.code == "idle_timeout" and error.fatal
        assert served.ws.closed == (1000, "idle_timeout")

    run(test)


def test_empty_frames_and_text_do_not_hold_a_session_slot(make_node: Callable[..., Node]) -> None:
    node = make_node(settings={"idle_timeout_s": 0.4})

    async def test() -> None:
        served = Served(node)
        await served.hello()
        for _ in range(6):  # 0.6 s of keep-alive tricks: a 0-byte frame, a get_history
            served.ws.feed(b"", p.GetHistory())
            await asyncio.sleep(0.1)
        await asyncio.wait_for(served.task, 3)
        errors = served.ws.of(p.Error)
        assert [e.code for e in errors][-1:] == ["idle_timeout"] and "no audio" in errors[-1].message

    run(test)


def test_a_connection_that_never_says_hello_is_closed(make_node: Callable[..., Node]) -> None:
    node = make_node(settings={"hello_timeout_s": 0.2, "idle_timeout_s": 30.0})

    async def test() -> None:
        served = Served(node)
        await asyncio.wait_for(served.task, 3)
        (error,) = served.ws.of(p.Error)
        assert error.code == "hello_required" and error.fatal
        assert served.ws.closed == (1000, "hello_required")

    run(test)


def test_a_corrupt_stored_record_is_deleted_and_the_session_opens_empty(make_node: Callable[..., Node]) -> None:
    node = make_node()
    sid = "abcdefghijklmnopqrstuv"
    deleted: list[str] = []

    def corrupt_load(session_id: str) -> None:
        raise CorruptRecord("not a session record")

    node.store.load = corrupt_load  # type: ignore[method-assign]
    real_delete = node.store.delete
    node.store.delete = lambda session_id: (deleted.append(session_id), real_delete(session_id))[1]  # type: ignore[method-assign]

    async def test() -> None:
        served = Served(node)
        served.ws.feed(p.Hello(session_id=sid))
        (ready,) = await served.ws.wait_for_message(p.Ready)
        assert ready.session_id == sid and not ready.resumed
        (error,) = await served.ws.wait_for_message(p.Error)
        assert error.code == "session_unreadable" and not error.fatal
        assert deleted == [sid]
        served.ws.feed(p.Forget())  # and it can be forgotten
        await served.ws.wait_for_message(p.Forgotten)
        await served.end()

    run(test)


def test_a_session_ends_when_its_signed_token_expires(make_node: Callable[..., Node]) -> None:
    node = make_node(settings={"idle_timeout_s": 30.0})

    async def test() -> None:
        ws = FakeWebSocket()
        task = asyncio.create_task(Connection(ws, node, Grant(expires_at=time.time() + 0.3)).run())
        ws.feed(p.Hello())
        await ws.wait_for_message(p.Ready)
        for _ in range(10):  # the user goes on talking: the token's end still ends the session
            ws.feed(*silent_frames(5))
            await asyncio.sleep(0.1)
        await asyncio.wait_for(task, 3)
        (error,) = ws.of(p.Error)
        assert error.code == "token_expired" and error.fatal and ws.closed == (1000, "token_expired")

    run(test)


def test_one_live_connection_per_session_and_forget_is_not_undone(make_node: Callable[..., Node]) -> None:
    node = make_node(stt=lambda audio, window_s: "Hello there.")

    async def test() -> None:
        first = Served(node)
        ready = await first.hello()
        await first.utterance()
        await first.ws.wait_for_message(p.TurnTiming)
        second = Served(node)  # the same user, from another device
        second.ws.feed(p.Hello(session_id=ready.session_id))
        (resumed,) = await second.ws.wait_for_message(p.Ready)
        assert resumed.resumed
        await asyncio.wait_for(first.task, 3)  # the first is closed, saying why
        assert [e.code for e in first.ws.of(p.Error)] == ["session_taken_over"]
        assert first.ws.closed == (1000, "session_taken_over")
        second.ws.feed(p.Forget())
        await second.ws.wait_for_message(p.Forgotten)
        await second.end()
        assert node.store.load(ready.session_id) is None  # nobody writes it back
        assert node.live == {}

    run(test)


def test_forgotten_only_once_the_store_deleted_it(make_node: Callable[..., Node]) -> None:
    node = make_node()
    attempts: list[str] = []
    real_delete = node.store.delete

    def flaky_delete(session_id: str) -> bool:
        attempts.append(session_id)
        if len(attempts) == 1:
            raise StoreUnavailable("disk full")
        return real_delete(session_id)

    node.store.delete = flaky_delete  # type: ignore[method-assign]

    async def test() -> None:
        served = Served(node)
        await served.hello()
        served.ws.feed(p.Forget())
        (error,) = await served.ws.wait_for_message(p.Error)
        assert error.code == "forget_failed" and not error.fatal and not served.ws.of(p.Forgotten)
        served.ws.feed(p.Forget())  # again, and this time the store deletes it
        await served.ws.wait_for_message(p.Forgotten)
        assert len(attempts) == 2
        await served.end()

    run(test)


def test_a_session_is_its_creators_alone(make_node: Callable[..., Node]) -> None:
    node = make_node(stt=lambda audio, window_s: "My name is Alice.")
    alice, mallory = Grant(subject="key-alice"), Grant(subject="key-mallory")

    async def test() -> None:
        ws = FakeWebSocket()
        task = asyncio.create_task(Connection(ws, node, alice).run())
        ws.feed(p.Hello(), *voiced_frames(25), p.Commit())
        (ready,) = await ws.wait_for_message(p.Ready)
        await ws.wait_for_message(p.TurnTiming)
        for _ in range(50):
            stored = node.store.load(ready.session_id)
            if stored is not None and stored.history:
                break
            await asyncio.sleep(0.02)
        assert stored is not None and stored.settings["owner"] == "key-alice"
        for grant in (mallory, Grant()):  # another token holder, or none, knows the id
            other = FakeWebSocket()
            other_task = asyncio.create_task(Connection(other, node, grant).run())
            other.feed(p.Hello(session_id=ready.session_id), p.Forget())
            await asyncio.wait_for(other_task, 5)
            (error,) = other.of(p.Error)
            assert error.code == "forbidden" and error.fatal and not other.of(p.Ready) and not other.of(p.Forgotten)
        assert not ws.of(p.Error)  # Alice was not taken over by them
        ws.drop()
        await asyncio.wait_for(task, 5)
        assert node.store.load(ready.session_id) is not None  # nothing forgotten
        ws = FakeWebSocket()
        task = asyncio.create_task(Connection(ws, node, alice).run())
        ws.feed(p.Hello(session_id=ready.session_id))
        (again,) = await ws.wait_for_message(p.Ready)
        assert again.resumed
        ws.drop()
        await asyncio.wait_for(task, 5)

    run(test)


# ---------------------------------------------------------------- timers


async def quiet_microphone(served: Served, seconds: float) -> None:
    """Silence from the client at real-time pace (10 frames every 200 ms)."""
    for _ in range(round(seconds / 0.2)):
        served.ws.feed(*silent_frames(10))
        await asyncio.sleep(0.2)


def test_a_timer_rings_in_its_session_and_survives_a_reconnect(make_node: Callable[..., Node]) -> None:
    transcripts = iter(["Set a timer for one second.", "Remind me in ten minutes to stretch."])
    node = make_node(stt=lambda audio, window_s: next(transcripts, "Thanks."))

    async def test() -> None:
        served = Served(node)
        ready = await served.hello()
        await served.utterance()
        await served.ws.wait_for_message(p.TurnTiming)
        assert node.engine.llm.calls == []  # the tool answered
        (timers,) = served.ws.of(p.Timers)
        [timer] = timers.timers
        assert timer["kind"] == "timer" and timer["duration_ms"] == 1000.0
        await quiet_microphone(served, 1.6)  # the alert waits for a quiet moment, and gets one
        (fired,) = await served.ws.wait_for_message(p.TimerFired, timeout=2)
        assert fired.id == timer["id"] and fired.text == "Your 1 second timer is done."
        await served.ws.wait_for(lambda ws: any(d.turn_id == fired.turn_id for d in ws.of(p.ReplyDone)))
        assert any(a.turn_id == fired.turn_id for a in served.ws.audio())
        served.ws.feed(*voiced_frames(25), p.Commit())  # a reminder, then the client goes away
        await served.ws.wait_for_message(p.TurnTiming, count=3)
        await served.end()
        assert len(node.store.load(ready.session_id).timers) == 1  # saved with the conversation

        again = Served(node)
        again.ws.feed(p.Hello(session_id=ready.session_id))
        (resumed,) = await again.ws.wait_for_message(p.Ready)
        assert resumed.resumed
        (listed,) = await again.ws.wait_for_message(p.Timers)
        assert [t["kind"] for t in listed.timers] == ["reminder"] and listed.timers[0]["label"] == "stretch"
        again.ws.feed(p.CancelTimer(id=listed.timers[0]["id"]))
        await again.ws.wait_for_message(p.Timers, count=2)
        assert again.ws.of(p.Timers)[-1].timers == []
        await again.end()
        assert node.store.load(ready.session_id).timers == ()

    run(test)


def test_without_local_tools_the_model_answers_what_a_tool_would(make_node: Callable[..., Node]) -> None:
    from app.config import ReplySettings

    node = make_node({"reply": ReplySettings(local_tools=False)}, stt=lambda audio, window_s: "What time is it?")

    async def test() -> None:
        served = Served(node)
        await served.hello()
        await served.utterance()
        (timing,) = await served.ws.wait_for_message(p.TurnTiming)
        assert timing.tool in ("", None) and len(node.engine.llm.calls) == 1  # the model, not the clock
        assert served.ws.of(p.Timers) == []
        await served.end()

    run(test)
