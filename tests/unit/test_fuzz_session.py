"""Property-based fuzzing of the sans-I/O ``Session``: random and malformed text messages, binary
frames of any length, scripted speech, and turn events for live, finished and unknown turns, all
with a monotonic clock. Whatever the sequence, the session:

- never raises;
- sends only errors with a known ``ErrorCode``, and a fatal one always with exactly one
  ``CloseConnection``, after which it ignores all input;
- is always in a defined phase, and ``CLOSED`` after ``close()``;
- never lets a turn's output (transcript, reply text, reply audio, reply_done, timing, turn
  error) out before the ``speech_stopped`` that commits that turn;
- numbers each turn's reply audio frames 0, 1, 2, ... without gaps;
- cancels every turn still running when ``close()`` is called.

Speech is scripted: a 20 ms frame is voiced when any of its samples is non-zero. Runs are
derandomized for a stable CI; set ``FUZZ_RANDOM=1`` to explore new sequences.
"""

from __future__ import annotations

import json
import os
import typing
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from app import protocol as p
from app.audio import FRAME_SAMPLES, AudioFormat
from app.chat import ChatMessage
from app.config import EndpointSettings, ReplySettings
from app.conversation import (
    CancelTurn,
    CloseConnection,
    DeleteSession,
    Effect,
    LoadSession,
    Phase,
    ReplySpeech,
    ReplyText,
    SaveSession,
    Send,
    SendAudio,
    Session,
    StartTurn,
    Transcribed,
    TurnFailed,
    TurnFinished,
    TurnPredicted,
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=os.environ.get("FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

OUT = AudioFormat(22_050)
EFFECT_TYPES = typing.get_args(Effect)
ERROR_CODES = frozenset(v for k, v in vars(p.ErrorCode).items() if not k.startswith("_") and isinstance(v, str))
CLOSE_CODES = frozenset(v for k, v in vars(p.CloseCode).items() if not k.startswith("_") and isinstance(v, int))
SESSION_ID = "fuzz-session-0123456789"

ENDPOINTS = {
    "default": EndpointSettings(),
    # Everything short, so that turns, continuations, echo checks and the utterance cap are reached
    # within a few dozen frames.
    "quick": EndpointSettings(start_ms=20, preroll_ms=40, speculate_ms=40, complete_ms=60, uncertain_ms=100,
                              incomplete_ms=160, resume_ms=20, min_utterance_ms=40, max_utterance_ms=1_000,
                              continuation_ms=300, echo_tail_ms=200, naive_silence_ms=120),
}


class LevelVad:
    """Speech is any frame with a non-zero sample."""

    def is_speech(self, frame: np.ndarray) -> bool:
        return bool(np.any(frame))


# ------------------------------------------------------------------ actions


@dataclass(frozen=True)
class Text:
    payload: str | bytes
    dt: float


@dataclass(frozen=True)
class InterruptTurn:
    """An ``interrupt`` for a turn picked at run time (``ref``), with a raw ``played_ms`` literal."""

    ref: int
    played_ms: str
    dt: float


@dataclass(frozen=True)
class Audio:
    payload: bytes
    dt: float


@dataclass(frozen=True)
class Speak:
    """Voiced/silent runs of 20 ms frames, cut into messages of ``chunk`` samples, in real time."""

    runs: tuple[tuple[bool, int], ...]
    chunk: int
    level: int


@dataclass(frozen=True)
class Event:
    kind: str
    ref: int
    text: str = ""
    value: float = 0.0
    samples: int = 0
    dt: float = 0.0


@dataclass(frozen=True)
class Resumed:
    history: tuple[tuple[str, str], ...] | None


Action = Text | InterruptTurn | Audio | Speak | Event | Resumed

dts = st.sampled_from([0.0, 0.0, 0.001, 0.02, 0.1, 0.5, 2.0, 30.0])
words = st.sampled_from([
    "", "What time is it?", "and so", "Thank you.", "you", "mhmm", "yeah", "It is noon.",
    "Turn off the lights, please.", "I was wondering,", "ask not what your country can do for you.",
    "Sure, here is a fact about octopuses.", "\u00e9t\u00e9 \u4e2d\u6587 \U0001f600", "It is noon. It is noon.",
])
unicode_text = st.text(st.characters(codec=None), max_size=40)


def hello_text(**fields: Any) -> str:
    return json.dumps({"type": "hello", "protocol": 1, "sample_rate": 16000, **fields})


valid_text = st.one_of(
    st.just(hello_text()),
    st.just(hello_text(pipeline="naive")),
    st.just(hello_text(session_id=SESSION_ID)),
    st.sampled_from([p.Commit().encode(), p.Reset().encode(), p.Forget().encode(), p.GetHistory().encode()]),
    st.builds(lambda t, ms: p.Interrupt(turn_id=t, played_ms=ms).encode(), st.integers(0, 50), st.floats(0, 1e7)),
)
junk_text = st.one_of(
    st.builds(hello_text, protocol=st.integers(-2, 3), sample_rate=st.sampled_from([0, 8000, 16000, 2**63])),
    st.builds(hello_text, pipeline=unicode_text),
    st.builds(hello_text, session_id=st.one_of(unicode_text, st.integers(), st.just("x" * 200))),
    st.builds(lambda k, v: json.dumps({"type": k, "turn_id": v, "played_ms": v, "protocol": v}, allow_nan=True),
              st.sampled_from([*sorted(p.CLIENT_MESSAGES), "dance", ""]),
              st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=5), st.integers(-2**80, 2**80))),
    unicode_text,
    st.sampled_from(["{", "[]", "null", '{"type": 1}', '"hello"', "{}", "1e999", '{"type":"hello"}']),
    st.builds(lambda n: "[" * n + "]" * n, st.integers(1, 200)),
    st.just("x" * (p.MAX_TEXT_MESSAGE_BYTES + 1)),
)
text_actions = st.builds(
    Text,
    st.one_of(valid_text, junk_text, st.one_of(valid_text, junk_text).map(lambda s: s.encode("utf-8", "surrogatepass")),
              st.binary(max_size=40)),
    dts,
)
interrupt_actions = st.builds(
    InterruptTurn, st.integers(-3, 10),
    st.one_of(st.sampled_from(["0", "120.5", "1e9", "-1", "1e999", "NaN", "Infinity"]),
              st.floats(0, 1e6).map(repr)),
    dts,
)
audio_actions = st.builds(
    Audio,
    st.one_of(
        st.binary(max_size=700),
        st.integers(0, p.MAX_AUDIO_FRAME_BYTES + 2000).map(bytes),
        st.sampled_from([b"", b"\x01", bytes(640), b"\x01\x00" * 320, bytes(p.MAX_AUDIO_FRAME_BYTES + 1)]),
    ),
    dts,
)
runs = st.lists(st.tuples(st.booleans(), st.integers(1, 60)), min_size=1, max_size=5).map(tuple)
levels = st.sampled_from([1, 3000, -32768])
speak_actions = st.builds(Speak, runs, st.sampled_from([FRAME_SAMPLES, 2 * FRAME_SAMPLES, 7, 1000, 8000]), levels)
"""Any message size, down to a few samples (floods of those trip the rate limit)."""
paced_speak_actions = st.builds(Speak, runs, st.sampled_from([FRAME_SAMPLES, FRAME_SAMPLES, 160, 1000, 8000]), levels)
"""A microphone's message sizes."""
EVENT_KINDS = ("transcribed", "predicted", "reply_text", "reply_speech", "finished", "failed")
event_actions = st.builds(
    Event,
    st.sampled_from(EVENT_KINDS),
    st.integers(-3, 10),
    words,
    st.floats(0.0, 1.0),
    st.sampled_from([0, 1, 100, 2205, 5000]),
    dts,
)
resumed_actions = st.builds(
    Resumed,
    st.none() | st.lists(st.tuples(st.sampled_from(["user", "assistant"]), words), max_size=4).map(tuple),
)
actions = st.one_of(
    speak_actions, speak_actions, event_actions, event_actions, event_actions,
    text_actions, interrupt_actions, audio_actions, resumed_actions,
)


# ------------------------------------------------------------------ the checking harness


TURN_OUTPUT = (p.Transcript, p.ReplyDelta, p.ReplyDone, p.TurnTiming, p.Interrupted)
UNKNOWN_IDS = (0, 999, 2**31, 2**40)
LATEST = 1_000
"""A turn ref meaning the most recently started turn."""


@dataclass
class Harness:
    session: Session
    now: float = 0.0
    started: list[int] = field(default_factory=list)
    cancelled: set[int] = field(default_factory=set)
    finished: set[int] = field(default_factory=set)
    committed: set[int] = field(default_factory=set)
    next_seq: dict[int, int] = field(default_factory=dict)
    closes: int = 0
    effects_seen: int = 0
    kinds: set[str] = field(default_factory=set)

    def tick(self, dt: float) -> float:
        assert dt >= 0
        self.now += dt
        return self.now

    def turn(self, ref: int) -> int:
        if ref == LATEST and self.started:
            return self.started[-1]
        if ref >= 0 and self.started:
            return self.started[ref % len(self.started)]
        return UNKNOWN_IDS[abs(ref) % len(UNKNOWN_IDS)]

    # Every call goes through here: effects are checked as the connection would carry them out.
    def check(self, effects: list[Effect], *, is_input: bool) -> list[Effect]:
        assert isinstance(effects, list)
        closed_before = self.closes > 0
        if closed_before and is_input:
            assert effects == [], f"a closed session reacted to input: {effects}"
        fatal = False
        close_here = 0
        for effect in effects:
            self.effects_seen += 1
            self.kinds.add(type(effect).__name__ if not isinstance(effect, Send) else effect.message.type)
            if isinstance(effect, Send) and isinstance(effect.message, p.Error):
                self.kinds.add(f"error {effect.message.code}")
            if isinstance(effect, Send):
                message = effect.message
                message.encode().encode("utf-8")  # what the connection sends must be valid UTF-8 JSON
                if isinstance(message, p.Error):
                    assert message.code in ERROR_CODES, f"unknown error code {message.code!r}"
                    fatal = fatal or message.fatal
                    if message.turn_id is not None and message.code != p.ErrorCode.UTTERANCE_TOO_LONG:
                        # A turn's failure is turn output: never before its commit.
                        assert message.turn_id in self.committed, f"error for turn {message.turn_id} before commit"
                elif isinstance(message, p.SpeechStopped):
                    assert message.turn_id in self.started, "speech_stopped for a turn never started"
                    self.committed.add(message.turn_id)
                elif isinstance(message, TURN_OUTPUT):
                    assert message.turn_id in self.committed, (
                        f"{message.type} of turn {message.turn_id} sent before its speech_stopped")
            elif isinstance(effect, SendAudio):
                frame = effect.frame
                assert frame.turn_id in self.committed, f"reply audio of turn {frame.turn_id} before speech_stopped"
                expected = self.next_seq.get(frame.turn_id, 0)
                assert frame.seq == expected, f"turn {frame.turn_id}: seq {frame.seq} after {expected - 1}"
                self.next_seq[frame.turn_id] = expected + 1
                assert len(frame.pcm) % 2 == 0 and len(frame.pcm) > 0
                assert p.ReplyAudio.decode(frame.encode()) == frame
            elif isinstance(effect, StartTurn):
                assert effect.turn_id not in self.started, "turn id reused"
                assert effect.audio.dtype == np.int16 and effect.audio.ndim == 1 and effect.audio.size > 0
                assert isinstance(effect.history, tuple)
                assert all(isinstance(m, ChatMessage) for m in effect.history)
                self.started.append(effect.turn_id)
            elif isinstance(effect, CancelTurn):
                assert effect.turn_id in self.started, "cancel of a turn never started"
                self.cancelled.add(effect.turn_id)
            elif isinstance(effect, CloseConnection):
                assert effect.code in CLOSE_CODES
                close_here += 1
            elif isinstance(effect, LoadSession | SaveSession | DeleteSession):
                assert effect.session_id == self.session.id
                if isinstance(effect, SaveSession):
                    assert all(isinstance(m, ChatMessage) for m in effect.history)
            else:
                # Other turn controls (pause, resume, ...): declared effects about started turns.
                assert isinstance(effect, EFFECT_TYPES), f"undeclared effect {effect!r}"
                turn_id = getattr(effect, "turn_id", None)
                assert turn_id is None or turn_id in self.started, f"{effect!r} for a turn never started"
        # A fatal error comes with exactly one close, and only a fatal error closes.
        assert close_here == (1 if fatal else 0), f"fatal={fatal} with {close_here} CloseConnection"
        self.closes += close_here
        assert self.closes <= 1, "more than one CloseConnection"
        assert isinstance(self.session.phase, Phase)
        if self.closes:
            assert self.session.phase is Phase.CLOSED
        return effects

    # ---- inputs

    def run(self, action: Action) -> None:
        s = self.session
        if isinstance(action, Text):
            self.check(s.receive_text(action.payload, self.tick(action.dt)), is_input=True)
        elif isinstance(action, InterruptTurn):
            raw = f'{{"type":"interrupt","turn_id":{self.turn(action.ref)},"played_ms":{action.played_ms}}}'
            self.check(s.receive_text(raw, self.tick(action.dt)), is_input=True)
        elif isinstance(action, Audio):
            self.check(s.receive_audio(action.payload, self.tick(action.dt)), is_input=True)
        elif isinstance(action, Speak):
            frames = [np.full(FRAME_SAMPLES, action.level if voiced else 0, dtype="<i2")
                      for voiced, n in action.runs for _ in range(n)]
            pcm = np.concatenate(frames)
            for start in range(0, pcm.shape[0], action.chunk):
                chunk = pcm[start : start + action.chunk]
                self.check(s.receive_audio(chunk.tobytes(), self.tick(chunk.shape[0] / 16_000)), is_input=True)
        elif isinstance(action, Event):
            self.check(s.turn_event(self.event(action), self.tick(action.dt)), is_input=True)
        elif isinstance(action, Resumed):
            history = None if action.history is None else [ChatMessage(r, c) for r, c in action.history]
            self.check(s.resumed(history), is_input=True)
        else:
            raise TypeError(action)

    def event(self, action: Event) -> Any:
        tid = self.turn(action.ref)
        if action.kind in ("finished", "failed"):
            self.finished.add(tid)
        if action.kind == "transcribed":
            return Transcribed(tid, action.text)
        if action.kind == "predicted":
            return TurnPredicted(tid, action.value)
        if action.kind == "reply_text":
            return ReplyText(tid, action.text)
        if action.kind == "reply_speech":
            pcm = (np.arange(action.samples) % 200 - 100).astype(np.int16)
            return ReplySpeech(tid, action.text, pcm)
        if action.kind == "finished":
            return TurnFinished(tid, {"stt_ms": 10.0, "llm_first_token_ms": action.value})
        return TurnFailed(tid, p.ErrorCode.STAGE_FAILED, "the tts stage failed; try again")

    def report(self) -> None:
        """What this example reached (``pytest --hypothesis-show-statistics`` shows the shares)."""
        for name, reached in (("a turn committed", bool(self.committed)), ("reply audio sent", bool(self.next_seq)),
                              ("closed by a fatal error", self.closes > 0),
                              ("turns running at close", bool(set(self.started) - self.cancelled - self.finished))):
            if reached:
                event(name)
        for name in sorted(self.kinds):
            event(f"sent {name}")

    def close(self) -> None:
        self.report()
        running = set(self.started) - self.cancelled - self.finished
        effects = self.check(self.session.close(), is_input=False)
        assert all(isinstance(e, CancelTurn) for e in effects), effects
        cancels = {e.turn_id for e in effects if isinstance(e, CancelTurn)}
        assert running <= cancels, f"close() left turns {sorted(running - cancels)} running"
        assert self.session.phase is Phase.CLOSED
        # Closed for good: nothing reacts any more.
        assert self.session.receive_text(p.GetHistory().encode(), self.tick(0.1)) == []
        assert self.session.receive_audio(bytes(640), self.tick(0.02)) == []
        for tid in self.started[-3:]:
            assert self.session.turn_event(ReplyText(tid, "late"), self.tick(0.0)) == []


def new_session(endpoint: str, bound: bool) -> Session:
    return Session(vad=LevelVad(), output_format=OUT, endpoint=ENDPOINTS[endpoint], reply=ReplySettings(),
                   bound_session_id=SESSION_ID if bound else None)


openings = st.sampled_from([
    (), (Text(hello_text(), 0.0),), (Text(hello_text(), 0.0),), (Text(hello_text(pipeline="naive"), 0.0),),
    (Text(hello_text(session_id=SESSION_ID), 0.0), Resumed((("user", "hi"), ("assistant", "Hello.")))),
    (Text(hello_text(session_id=SESSION_ID), 0.0),),
])


# ------------------------------------------------------------------ the properties

# A committed turn interrupted with a non-finite position (found by this fuzzer).
NAN_INTERRUPT = (
    Text(hello_text(), 0.0), Speak(((True, 10), (False, 10)), FRAME_SAMPLES, 3000),
    Event("transcribed", 0, "What time is it?"), Event("reply_speech", 0, "It is noon.", samples=2205),
    InterruptTurn(0, "NaN", 0.1),
)


@FUZZ
@given(endpoint=st.sampled_from(sorted(ENDPOINTS)), bound=st.booleans(), opening=openings,
       script=st.lists(actions, max_size=25))
@example(endpoint="quick", bound=False, opening=(), script=list(NAN_INTERRUPT))
@example(endpoint="quick", bound=False, opening=(), script=[*NAN_INTERRUPT[:-1], InterruptTurn(0, "1e999", 0.1)])
def test_random_sessions_keep_every_invariant(endpoint: str, bound: bool, opening: tuple[Action, ...],
                                              script: list[Action]) -> None:
    harness = Harness(new_session(endpoint, bound))
    for action in (*opening, *script):
        harness.run(action)
    harness.close()


@st.composite
def conversations(draw: st.DrawFn) -> list[Action]:
    """Mostly well-formed conversations: speech, pauses, and a runner that answers each turn in
    order (sometimes late, sometimes failing), with barge-ins and control messages mixed in."""
    script: list[Action] = []
    for _ in range(draw(st.integers(1, 6))):
        script.append(draw(paced_speak_actions))
        for kind in draw(st.lists(st.sampled_from(EVENT_KINDS), max_size=6)):
            target = st.just(LATEST) | st.just(LATEST) | st.integers(-1, 10)
            script.append(draw(st.builds(Event, st.just(kind), target, words,
                                         st.floats(0.0, 1.0), st.sampled_from([0, 100, 2205, 5000]), dts)))
        if draw(st.booleans()):
            script.append(draw(st.one_of(interrupt_actions, text_actions, paced_speak_actions)))
    return script


@FUZZ
@given(endpoint=st.sampled_from(sorted(ENDPOINTS)), pipeline=st.sampled_from(["fast", "naive"]),
       script=conversations())
def test_conversations_keep_every_invariant(endpoint: str, pipeline: str, script: list[Action]) -> None:
    harness = Harness(new_session(endpoint, bound=False))
    harness.run(Text(hello_text(pipeline=pipeline), 0.0))
    for action in script:
        harness.run(action)
    harness.close()


@FUZZ
@given(script=st.lists(st.one_of(text_actions, audio_actions), min_size=1, max_size=15))
def test_after_a_fatal_error_the_session_ignores_everything(script: list[Action]) -> None:
    harness = Harness(new_session("default", bound=False))
    harness.run(Text(hello_text(), 0.0))
    harness.run(Audio(bytes(p.MAX_AUDIO_FRAME_BYTES + 2), 0.0))  # fatal: frame_too_large
    assert harness.closes == 1 and harness.session.phase is Phase.CLOSED
    for action in script:
        harness.run(action)  # check() asserts every call returns no effects
    harness.close()
