"""The turn runner and its gate, on a fake engine: real threads and executors, no models."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from app.chat import ChatMessage
from app.claims import NO_CLOCK, NO_LIVE_DATA
from app.config import ReplySettings
from app.conversation import (
    ReplySpeech,
    ReplyText,
    StartTurn,
    ToolUsed,
    Transcribed,
    TurnEvent,
    TurnFailed,
    TurnFinished,
    TurnPredicted,
    WordsPredicted,
)
from app.engine import Engine
from app.stages.base import StageError
from app.token_stream import TurnGate
from app.tools import SetTimer, ToolContext
from app.turn_runner import run_turn
from tests.fakes import fake_engine

AUDIO = np.zeros(16_000, dtype=np.int16)  # one second of the user's voice
REPLY = ReplySettings()
DELTAS = ["Sure, ", "it ", "is ", "noon ", "now. ", "The ", "sun ", "is ", "high."]
CLAUSES = ["Sure,", "it is noon now.", "The sun is high."]


class ListSink:
    """``TurnEventSink`` that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[TurnEvent] = []

    def deliver(self, event: TurnEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def make_engine() -> Iterator[Callable[..., Engine]]:
    engines: list[Engine] = []

    def make(**handlers: Any) -> Engine:
        engine = fake_engine(**handlers)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def start(turn_id: int = 1, *, naive: bool = False, transcript: str | None = None,
          history: tuple[ChatMessage, ...] = ()) -> StartTurn:
    return StartTurn(turn_id, AUDIO, history, naive=naive, transcript=transcript)


def run(engine: Engine, turn: StartTurn, reply: ReplySettings = REPLY) -> list[TurnEvent]:
    """Run one turn to its end on a fresh event loop; the events it delivered."""
    sink = ListSink()

    async def main() -> None:
        await asyncio.wait_for(run_turn(turn, engine, reply, sink, affinity="conversation-1"), 10)

    asyncio.run(main())
    return sink.events


def kinds(events: list[TurnEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def llm_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "llm-generate"]


# ---------------------------------------------------------------- a normal turn


def test_normal_turn_events_in_order(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(llm=lambda messages: DELTAS, turn=lambda audio: 0.9)
    events = run(engine, start(history=(ChatMessage("user", "Hi."), ChatMessage("assistant", "Hello!"))))

    assert events[0] == Transcribed(1, "Tell me about the sun.")
    assert isinstance(events[-1], TurnFinished)
    # The turn model runs beside the LLM: its verdict comes once, somewhere before the end.
    assert [e.p_complete for e in events if isinstance(e, TurnPredicted)] == [0.9]
    # Text goes out a clause at a time, as it is cut for speech: what is read is what is heard.
    assert [e.text for e in events if isinstance(e, ReplyText)] == ["Sure,", " it is noon now.", " The sun is high."]
    speech = [e for e in events if isinstance(e, ReplySpeech)]
    assert [e.text for e in speech] == CLAUSES
    assert all(e.pcm.dtype == np.int16 and e.pcm.shape == (2205,) for e in speech)
    assert all(e.turn_id == 1 for e in events)
    # Each clause is spoken after the text that completes it.
    order = kinds(events)
    assert order.index("ReplySpeech") > order.index("ReplyText")

    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert not finished.truncated
    for key in ("utterance_ms", "stt_ms", "llm_first_token_ms", "first_clause_ms", "tts_first_audio_ms",
                "llm_total_ms", "turn_model_ms"):
        assert finished.stages[key] >= 0, key
    assert finished.stages["utterance_ms"] == 1000.0
    assert finished.stages["turn_p_complete"] == 0.9
    assert "reply_tokens" not in finished.stages

    # STT got a window sized to the audio; the LLM the system prompt, the history and the words.
    assert [c.window_s for c in engine.stt.calls] == [1.0]
    (call,) = engine.llm.calls
    assert call.affinity == "conversation-1"
    assert [m.role for m in call.messages] == ["system", "user", "assistant", "user"]
    assert call.messages[0].content == REPLY.system_prompt
    assert call.messages[-1] == ChatMessage("user", "Tell me about the sun.")
    assert engine.tts.calls == CLAUSES


def test_without_turn_model_no_prediction(make_engine: Callable[..., Engine]) -> None:
    events = run(make_engine(), start())
    assert kinds(events) == ["Transcribed", "ReplyText", "ReplySpeech", "TurnFinished"]
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert "turn_model_ms" not in finished.stages and "turn_p_complete" not in finished.stages


def test_first_clause_spoken_first_the_rest_as_bulk_work(make_engine: Callable[..., Engine]) -> None:
    threads: list[str] = []

    def tts(text: str) -> np.ndarray:
        threads.append(threading.current_thread().name)
        return np.zeros(100, np.int16)

    run(make_engine(llm=lambda messages: DELTAS, tts=tts), start())
    assert threads[0].startswith("stage")
    assert all(name.startswith("bulk") for name in threads[1:]) and len(threads) == 3


@pytest.mark.parametrize("noise", ["", "you", "Thanks for watching!"])
def test_noise_transcript_ends_the_turn_without_llm(make_engine: Callable[..., Engine], noise: str) -> None:
    engine = make_engine(stt=lambda audio, window_s: noise, turn=lambda audio: 0.9)
    events = run(engine, start())
    # The turn model runs beside Whisper, so its verdict may or may not be in before the end.
    assert [k for k in kinds(events) if k != "TurnPredicted"] == ["Transcribed", "TurnFinished"]
    assert events[0] == Transcribed(1, noise)
    assert engine.llm.calls == [] and engine.tts.calls == []
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and not finished.truncated
    assert {"utterance_ms", "stt_ms"} <= set(finished.stages) <= {"utterance_ms", "stt_ms", "turn_model_ms",
                                                                   "turn_p_complete"}


def test_known_transcript_skips_stt(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(turn=lambda audio: 0.9)
    events = run(engine, start(transcript="Tell me a joke."))
    assert events[0] == Transcribed(1, "Tell me a joke.")
    assert engine.stt.calls == []
    assert engine.turn.calls == 0  # the endpoint was decided long ago
    assert engine.llm.calls[0].messages[-1] == ChatMessage("user", "Tell me a joke.")
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and "stt_ms" not in finished.stages


def test_the_model_is_asked_not_to_copy_the_users_words_or_the_tools(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(turn=lambda audio: 0.9)
    earlier = (ChatMessage("user", "I have a dog called Max."), ChatMessage("assistant", "Nice!"))
    run(engine, start(transcript="Tell me a joke.", history=earlier))
    avoid = engine.llm.calls[0].avoid
    # The earlier line's first words, a tool's opening, and the whole question said back.
    assert "i have a" in avoid and "I can't check" in avoid and avoid[-1] == "tell me a joke"


def test_naive_pipeline_speaks_the_whole_reply_once(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(llm=lambda messages: DELTAS, turn=lambda audio: 0.9)
    events = run(engine, start(naive=True))
    assert kinds(events) == ["Transcribed", "ReplyText", "ReplySpeech", "TurnFinished"]
    whole = "".join(DELTAS)
    assert events[1] == ReplyText(1, whole)
    speech = events[2]
    assert isinstance(speech, ReplySpeech) and speech.text == whole
    assert engine.tts.calls == [whole]
    assert [c.window_s for c in engine.stt.calls] == [None]  # Whisper's whole 30 s window
    assert engine.turn.calls == 0
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert finished.stages["first_clause_ms"] == finished.stages["llm_total_ms"]


@pytest.mark.parametrize(("tokens", "truncated"), [(5, True), (4, False)])
def test_truncated_when_the_reply_reaches_the_token_limit(make_engine: Callable[..., Engine], tokens: int,
                                                          truncated: bool) -> None:
    engine = make_engine(llm=lambda messages: ["word "] * tokens)
    events = run(engine, start(), ReplySettings(max_reply_tokens=3, sentence_overrun_tokens=2))
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert finished.truncated is truncated


def test_a_long_reply_stops_at_the_first_sentence_end_past_the_soft_limit(
        make_engine: Callable[..., Engine]) -> None:
    deltas = ["One ", "two ", "three ", "four. ", "Five ", "six ", "seven. ", "Eight ", "nine."]
    engine = make_engine(llm=lambda messages: deltas)
    events = run(engine, start(), ReplySettings(max_reply_tokens=5, sentence_overrun_tokens=10))
    text = "".join(e.text for e in events if isinstance(e, ReplyText))
    assert text == "One two three four. Five six seven."
    assert [e.text for e in events if isinstance(e, ReplySpeech)] == ["One two three", "four.", "Five six seven."]
    assert not events[-1].truncated  # type: ignore[union-attr]
    assert engine.llm.calls[0].cancel.is_set()  # generation was stopped there, not run to the end


def test_at_the_hard_limit_the_unfinished_sentence_is_left_out(make_engine: Callable[..., Engine]) -> None:
    deltas = ["It ", "is ", "noon. ", "The ", "sun ", "is ", "very ", "high ", "and ", "the "]
    engine = make_engine(llm=lambda messages: deltas)
    events = run(engine, start(), ReplySettings(max_reply_tokens=4, sentence_overrun_tokens=4))
    text = "".join(e.text for e in events if isinstance(e, ReplyText))
    assert text == "It is noon."
    assert events[-1].truncated  # type: ignore[union-attr]


def test_one_unfinished_sentence_is_still_said_at_the_hard_limit(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(llm=lambda messages: ["word "] * 8)
    events = run(engine, start(), ReplySettings(max_reply_tokens=4, sentence_overrun_tokens=4))
    assert "".join(e.text for e in events if isinstance(e, ReplyText)) == " ".join(["word"] * 8)


# ---------------------------------------------------------------- failures


def test_tts_stage_error_fails_the_turn_once(make_engine: Callable[..., Engine]) -> None:
    def llm(messages: object) -> Iterator[str]:
        for delta in DELTAS:  # slow enough that the first clause holds the gate before the end
            time.sleep(0.01)
            yield delta

    def tts(text: str) -> np.ndarray:
        time.sleep(0.05)  # fails once generation is held behind the first clause
        raise StageError("tts", "boom")

    engine = make_engine(llm=llm, tts=tts)
    events = run(engine, start())
    failed = [e for e in events if isinstance(e, TurnFailed)]
    assert failed == [TurnFailed(1, "stage_failed", "the tts stage failed; try again")]
    assert events[-1] is failed[0]
    assert not [e for e in events if isinstance(e, TurnFinished | ReplySpeech)]
    assert wait_until(engine.llm.calls[0].finished.is_set)


@pytest.mark.parametrize("stage", ["stt", "llm"])
def test_other_stage_errors_fail_the_turn(make_engine: Callable[..., Engine], stage: str) -> None:
    def stt(audio: np.ndarray, window_s: float | None) -> str:
        raise StageError("stt", "decoder crashed")

    def llm(messages: object) -> Iterator[str]:
        yield "It "
        raise StageError("llm", "context overflow")

    engine = make_engine(**({"stt": stt} if stage == "stt" else {"llm": llm}))
    events = run(engine, start())
    assert events[-1] == TurnFailed(1, "stage_failed", f"the {stage} stage failed; try again")
    assert sum(isinstance(e, TurnFailed) for e in events) == 1
    if stage == "stt":
        assert kinds(events) == ["TurnFailed"] and engine.llm.calls == []


def test_bug_in_a_stage_is_internal(make_engine: Callable[..., Engine]) -> None:
    def llm(messages: object) -> Iterator[str]:
        yield "It "
        raise ValueError("a bug")

    events = run(make_engine(llm=llm), start())
    assert kinds(events) == ["Transcribed", "TurnFailed"]  # "It" never made a clause
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and failed.code == "internal"


# ---------------------------------------------------------------- cancellation


def test_cancel_mid_generation_stops_the_llm_thread(make_engine: Callable[..., Engine]) -> None:
    def llm(messages: object) -> Iterator[str]:
        for _ in range(1000):  # ten seconds of tokens unless cancelled
            time.sleep(0.01)
            yield "word "

    engine = make_engine(llm=llm)
    sink = ListSink()

    async def main() -> None:
        long_replies = ReplySettings(max_reply_tokens=2000)
        task = asyncio.create_task(run_turn(start(), engine, long_replies, sink, affinity="a"))
        async with asyncio.timeout(5):
            while len(sink.of(ReplyText)) < 1 or len(engine.llm.calls[0].deltas) < 10:
                await asyncio.sleep(0.005)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()

    asyncio.run(main())
    call = engine.llm.calls[0]
    assert call.cancel.is_set()
    assert call.finished.wait(2), "the generator did not stop after the cancel"
    assert wait_until(lambda: not llm_threads()), "an llm-generate thread outlived its turn"
    assert len(call.deltas) < 1000
    assert not sink.of(TurnFinished) and not sink.of(TurnFailed)


# ---------------------------------------------------------------- the gate


def _waiter(gate: TurnGate, cancel: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=gate.wait, args=(cancel,), name="gate-waiter", daemon=True)
    thread.start()
    return thread


def test_gate_open_does_not_block() -> None:
    thread = _waiter(TurnGate(), threading.Event())
    thread.join(1)
    assert not thread.is_alive()


def test_gate_hold_blocks_until_every_hold_is_released() -> None:
    gate, cancel = TurnGate(), threading.Event()
    gate.hold("first-clause")
    gate.hold("other")
    thread = _waiter(gate, cancel)
    thread.join(0.1)
    assert thread.is_alive()
    gate.release("first-clause")
    thread.join(0.1)
    assert thread.is_alive()
    gate.release("other")
    thread.join(1)
    assert not thread.is_alive()


def test_gate_cancel_frees_a_waiting_thread() -> None:
    gate, cancel = TurnGate(), threading.Event()
    gate.hold("first-clause")
    thread = _waiter(gate, cancel)
    thread.join(0.1)
    assert thread.is_alive()
    cancel.set()
    thread.join(1)
    assert not thread.is_alive()


def test_the_words_verdict_comes_before_the_reply_when_the_model_gives_one(
        make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(llm=lambda messages: DELTAS, p_end=0.02)
    events = run(engine, start())
    assert events[0] == Transcribed(1, "Tell me about the sun.", words_pending=True)
    order = kinds(events)
    assert order.index("WordsPredicted") < order.index("ReplyText")
    assert [e.p_end for e in events if isinstance(e, WordsPredicted)] == [0.02]
    assert events[-1].stages["words_p_end"] == 0.02



# ---------------------------------------------------------------- local tools and alerts


def run_with_tools(engine: Engine, turn: StartTurn, tools: ToolContext) -> list[TurnEvent]:
    sink = ListSink()

    async def main() -> None:
        await asyncio.wait_for(run_turn(turn, engine, REPLY, sink, affinity="c", tools=tools), 10)

    asyncio.run(main())
    return sink.events


def test_a_tool_answers_instead_of_the_model(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(stt=lambda audio, window_s: "Set a timer for ten seconds.", turn=lambda audio: 0.2)
    events = run_with_tools(engine, start(), ToolContext(now_s=1_800_000_000.0, next_id="t4"))
    assert engine.llm.calls == []  # the model is never asked
    assert events[0] == Transcribed(1, "Set a timer for ten seconds.", words_pending=False)
    [used] = [e for e in events if isinstance(e, ToolUsed)]
    assert used.tool == "timer" and isinstance(used.action, SetTimer)
    assert used.action.timer.id == "t4" and used.action.timer.duration_s == 10.0
    assert abs(used.action.timer.due_s - time.time() - 10.0) < 5  # due from the time the tool ran
    assert WordsPredicted(1, 1.0) in events  # a whole request: the words say finished
    text = "".join(e.text for e in events if isinstance(e, ReplyText))
    assert text == "OK, a 10 second timer, starting now."
    assert engine.tts.calls and "10" not in " ".join(engine.tts.calls)  # spoken as words: "ten second"
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert "tool_ms" in finished.stages and "llm_first_token_ms" not in finished.stages
    # The exchange the model never read is evaluated after the turn, for the next one's prefix.
    [(prefilled, affinity)] = engine.llm.prefills
    assert affinity == "c" and prefilled[-1] == ChatMessage("assistant", text)
    assert prefilled[-2] == ChatMessage("user", "Set a timer for ten seconds.")


def test_without_a_matching_tool_the_model_answers(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(llm=lambda messages: DELTAS)
    events = run_with_tools(engine, start(), ToolContext(now_s=1_800_000_000.0))
    assert len(engine.llm.calls) == 1 and not [e for e in events if isinstance(e, ToolUsed)]
    assert engine.llm.prefills == []  # the model evaluated its own reply as it generated it
    assert "tool_ms" in events[-1].stages  # type: ignore[union-attr]


def test_an_alert_is_only_spoken(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    events = run(engine, StartTurn(7, np.zeros(0, dtype=np.int16), (), naive=False, say="Your tea timer is done."))
    assert engine.stt.calls == [] and engine.llm.calls == []
    assert sorted(kinds(events)) == ["ReplySpeech", "ReplySpeech", "ReplyText", "ReplyText", "TurnFinished"]
    assert "".join(e.text for e in events if isinstance(e, ReplyText)) == "Your tea timer is done."


def test_a_made_up_time_is_never_spoken(make_engine: Callable[..., Engine]) -> None:
    # The first clause ("The time in") is cut before the time is said: the claim spans two clauses.
    invented = ["The ", "time ", "in ", "sending ", "it ", "right ", "out ", "is ", "10:30 ", "AM. ", "Enjoy ", "it."]
    engine = make_engine(llm=lambda messages: invented, turn=lambda audio: 0.9)
    events = run(engine, start(transcript="What's the time in sending it right out?"))
    said = "".join(e.text for e in events if isinstance(e, ReplyText))
    assert "10:30" not in said and said.endswith(NO_CLOCK)
    spoken = [e.text for e in events if isinstance(e, ReplySpeech)]
    assert spoken[-1] == NO_CLOCK and not any("10:30" in t or "Enjoy" in t for t in spoken)
    assert isinstance(events[-1], TurnFinished)


def test_a_made_up_price_is_never_spoken(make_engine: Callable[..., Engine]) -> None:
    # Answer-quality tune: a misheard stock question the live-data tool could not read.
    invented = ["The ", "share ", "on ", "my ", "build ", "stock ", "today ", "is ", "$1. ", "Buy ", "now."]
    engine = make_engine(llm=lambda messages: invented, turn=lambda audio: 0.9)
    events = run(engine, start(transcript="How much is the share on my build stock today?"))
    said = "".join(e.text for e in events if isinstance(e, ReplyText))
    assert "$1" not in said and said.endswith(NO_LIVE_DATA) and "Buy" not in said
    assert isinstance(events[-1], TurnFinished)
