"""The native session's turns without the user's audio: an answer from the history alone
(``respond``), a reply not spoken, the stream clock moved on by audio the client dropped
(``skip_audio``), and a new turn that waits for the reply being made (barge-in off)."""

from __future__ import annotations

import numpy as np

from app import protocol as p
from app.chat import ChatMessage
from app.conversation import (
    CancelTurn,
    ReplySpeech,
    ReplyText,
    SendAudio,
    Session,
    StartTurn,
    Transcribed,
    TurnFinished,
    TurnPredicted,
)
from tests.unit.test_session import OUT, hello, messages, new_session, of, speak


def test_respond_answers_from_the_history_and_keeps_the_reply() -> None:
    session = new_session()
    hello(session)
    [start] = of(session.respond(1.0), StartTurn)
    assert start.from_history and start.history == () and start.audio.shape == (0,) and start.transcript is None
    effects = session.turn_event(ReplyText(start.turn_id, "Hello!"), 1.1)
    effects += session.turn_event(ReplySpeech(start.turn_id, "Hello!", np.ones(OUT.sample_rate // 2, np.int16)), 1.2)
    effects += session.turn_event(TurnFinished(start.turn_id, {}), 1.3)
    assert of(effects, SendAudio) and [m.type for m in messages(effects)][-2:] == ["reply_done", "turn_timing"]
    assert session.history == [ChatMessage("assistant", "Hello!")]


def test_respond_needs_an_open_session() -> None:
    session = new_session()
    [error] = messages(session.respond(0.0))
    assert isinstance(error, p.Error) and error.code == p.ErrorCode.HELLO_REQUIRED


def test_a_reply_said_in_no_time_sends_no_audio() -> None:
    session = new_session()
    hello(session)
    [start] = of(session.respond(1.0), StartTurn)
    effects = session.turn_event(ReplyText(start.turn_id, "Hi."), 1.1)
    effects += session.turn_event(ReplySpeech(start.turn_id, "Hi.", np.zeros(0, np.int16)), 1.1)
    effects += session.turn_event(TurnFinished(start.turn_id, {}), 1.2)
    done = next(m for m in messages(effects) if isinstance(m, p.ReplyDone))
    assert not of(effects, SendAudio) and done.audio_ms == 0 and done.text == "Hi."


def asked(session: Session, question: str) -> StartTurn:
    effects = speak(session, "x" * 20 + "....")
    start = next(e for e in effects if isinstance(e, StartTurn))
    session.turn_event(Transcribed(start.turn_id, question), 0.0)
    session.turn_event(TurnPredicted(start.turn_id, 0.95), 0.0)
    speak(session, "." * 40)
    return start


def test_skipped_audio_moves_the_clock_so_the_next_question_is_no_continuation() -> None:
    session = new_session()
    hello(session)
    first = asked(session, "What time is it?")
    session.turn_event(ReplyText(first.turn_id, "Noon."), 0.0)
    session.turn_event(TurnFinished(first.turn_id, {}), 0.0)
    session.skip_audio(16_000 * 4)  # 4 s the client dropped
    second = asked(session, "And in Tokyo?")
    assert second.audio.shape[0] < 2 * first.audio.shape[0]
    assert session.history[-1] == ChatMessage("user", "And in Tokyo?")
    assert ChatMessage("user", "What time is it?") in session.history


def test_with_barge_in_off_a_new_turn_waits_for_the_reply_being_made() -> None:
    session = new_session()
    hello(session)
    session.use_endpointing(session.node_endpoint, barge_in=False)
    first = asked(session, "Tell me a story.")
    session.turn_event(ReplyText(first.turn_id, "Once upon a time."), 0.0)
    speak(session, "." * 150)
    effects = speak(session, "x" * 20 + "....")
    second = next(e for e in effects if isinstance(e, StartTurn))
    effects += session.turn_event(Transcribed(second.turn_id, "What time is it?"), 0.0)
    effects += session.turn_event(TurnPredicted(second.turn_id, 0.95), 0.0) + speak(session, "." * 40)
    effects += session.turn_event(ReplyText(second.turn_id, "Noon."), 0.0)
    effects += session.turn_event(TurnFinished(second.turn_id, {}), 0.0)
    assert CancelTurn(first.turn_id) not in effects
    assert not [m for m in messages(effects) if isinstance(m, p.ReplyDelta | p.ReplyDone)]  # held: it waits
    released = session.turn_event(TurnFinished(first.turn_id, {}), 0.0)
    done = [(m.turn_id, m.text) for m in messages(released) if isinstance(m, p.ReplyDelta | p.ReplyDone)]
    assert done == [(first.turn_id, "Once upon a time."), (second.turn_id, "Noon."), (second.turn_id, "Noon.")]
    history = ["Tell me a story.", "Once upon a time.", "What time is it?", "Noon."]
    assert [m.content for m in session.history] == history
