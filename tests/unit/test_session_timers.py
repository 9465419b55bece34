"""Timers in the sans-I/O session: set by a tool's answer, announced, saved, rung as a turn of their own."""

from __future__ import annotations

import numpy as np

from app import protocol as p
from app.conversation import (
    ReplySpeech,
    ReplyText,
    SaveSession,
    Send,
    Session,
    StartTurn,
    ToolUsed,
    Transcribed,
    TurnFinished,
    TurnPredicted,
    WakeAt,
)
from app.tools import CancelTimers, SetTimer, Timer
from tests.unit.test_session import hello, messages, new_session, of, speak, speculate

NOW_S = 1_800_000_000.0
"""A fixed Unix time (2027-01-15)."""


def tea(due_s: float = NOW_S + 300, timer_id: str = "t1") -> Timer:
    return Timer(id=timer_id, kind="timer", label="tea", due_s=due_s, duration_s=300.0)


def answered_by_tool(session: Session, action: SetTimer | CancelTimers, *, commit: bool = True) -> tuple[int, list]:
    """A speculative turn that a tool answers; the endpoint confirmed unless ``commit`` is False."""
    tid = speculate(session).turn_id
    effects = session.turn_event(Transcribed(tid, "Set a tea timer for five minutes."), 1.0)
    effects += session.turn_event(ToolUsed(tid, "timer", action), 1.0)
    effects += session.turn_event(TurnPredicted(tid, 0.9), 1.0)
    effects += session.turn_event(ReplyText(tid, "OK, a tea timer for 5 minutes."), 1.0)
    if commit:
        effects += speak(session, "....")
        effects += session.turn_event(TurnFinished(tid, {}), 1.2)
    return tid, effects


def timers_messages(effects: list) -> list[p.Timers]:
    return [m for m in messages(effects) if isinstance(m, p.Timers)]


def test_a_committed_tool_turn_sets_the_timer_announces_and_saves_it() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    _, effects = answered_by_tool(session, SetTimer(tea()))
    assert session.timers == (tea(),)
    [snapshot] = timers_messages(effects)
    assert snapshot.timers == [tea().to_wire()]
    assert of(effects, WakeAt) == [WakeAt(NOW_S + 300)]
    saves = of(effects, SaveSession)
    assert saves and saves[-1].timers == (tea().to_dict(),)
    [timing] = [m for m in messages(effects) if isinstance(m, p.TurnTiming)]
    assert timing.tool == "timer"


def test_a_speculation_the_user_talks_over_sets_nothing() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    _, effects = answered_by_tool(session, SetTimer(tea()), commit=False)
    effects += speak(session, "x" * 10)  # the user goes on: the speculative turn is dropped
    assert session.timers == ()
    assert timers_messages(effects) == []


def test_the_tool_context_gives_the_next_id_and_the_time_zone() -> None:
    session = new_session(complete_ms=240)
    session.receive_text(p.Hello(timezone="Asia/Tokyo").encode(), 0.0)
    answered_by_tool(session, SetTimer(tea()))
    context = session.tool_context(NOW_S)
    assert context.timezone == "Asia/Tokyo" and context.now_s == NOW_S
    assert context.timers == (tea(),) and context.next_id == "t2"


def test_cancelling_by_tool_and_by_message() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    answered_by_tool(session, SetTimer(tea()))
    answered_by_tool(session, SetTimer(tea(NOW_S + 600, "t2")))
    effects = session.receive_text(p.CancelTimer(id="t1").encode(), 3.0)
    assert [t.id for t in session.timers] == ["t2"]
    assert timers_messages(effects)[0].timers == [tea(NOW_S + 600, "t2").to_wire()]
    answered_by_tool(session, CancelTimers(("t2",)))
    assert session.timers == ()


def test_cancelling_an_unknown_timer_is_a_clear_error() -> None:
    session = new_session()
    hello(session)
    [error] = messages(session.receive_text(p.CancelTimer(id="t9").encode(), 0.0))
    assert isinstance(error, p.Error) and error.code == p.ErrorCode.BAD_MESSAGE and not error.fatal


def test_a_due_timer_rings_as_a_turn_of_its_own_outside_the_history() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    answered_by_tool(session, SetTimer(tea()))
    history = session.history
    speak(session, "." * 10)
    assert session.wake(NOW_S + 299, 5.0) == [] or session.timers  # not yet due
    effects = session.wake(NOW_S + 301, 6.0)
    [fired] = [m for m in messages(effects) if isinstance(m, p.TimerFired)]
    assert fired.id == "t1" and fired.text == "Your tea timer is done." and fired.late_ms == 1000.0
    [start] = of(effects, StartTurn)
    assert start.say == fired.text and start.turn_id == fired.turn_id
    assert session.timers == () and timers_messages(effects)[0].timers == []
    pcm = np.ones(2205, dtype=np.int16)
    out = session.turn_event(ReplyText(start.turn_id, fired.text), 6.1)
    out += session.turn_event(ReplySpeech(start.turn_id, fired.text, pcm), 6.1)
    out += session.turn_event(TurnFinished(start.turn_id, {}), 6.2)
    assert any(isinstance(m, p.ReplyDone) and m.text == fired.text for m in messages(out))
    assert session.history == history  # the alert is not something the model should go on from


def test_an_alert_waits_while_the_user_speaks() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    answered_by_tool(session, SetTimer(tea()))
    speak(session, "." * 10)
    speak(session, "x" * 5)  # the user starts talking
    assert of(session.wake(NOW_S + 400, 6.0), StartTurn) == []
    effects = speak(session, "x" * 5)
    assert of(effects, StartTurn) == []  # still talking
    effects = speak(session, "." * 60)  # the turn ends (a StartTurn of the user's) and it is quiet
    alerts = [s for s in of(effects, StartTurn) if s.say is not None]
    assert alerts == []  # the user's own turn is generating: still not quiet
    for start in of(effects, StartTurn):
        session.turn_event(Transcribed(start.turn_id, ""), 7.0)  # noise after all: dropped
    alerts = [s for s in of(speak(session, ".."), StartTurn) if s.say is not None]
    assert len(alerts) == 1


def test_resumed_timers_are_announced_after_ready_and_woken_at_once_when_overdue() -> None:
    session = new_session()
    sid = "abcdefghijklmnopqrstuv"
    session.receive_text(p.Hello(session_id=sid).encode(), 0.0)
    effects = session.resumed([], [tea(NOW_S - 5).to_dict(), {"id": "bad"}])
    sent = messages(effects)
    assert isinstance(sent[0], p.Ready) and isinstance(sent[1], p.Timers)
    assert of(effects, WakeAt) == [WakeAt(NOW_S - 5)]
    assert not of(effects, SaveSession)  # nothing changed: it came from the store
    fired = [m for m in messages(session.wake(NOW_S, 1.0)) if isinstance(m, p.TimerFired)]
    assert fired[0].late_ms == 5000.0


def test_forget_drops_the_timers_without_saving_them() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    answered_by_tool(session, SetTimer(tea()))
    effects = session.receive_text(p.Forget().encode(), 3.0)
    assert session.timers == ()
    assert not of(effects, SaveSession)
    assert of(effects, WakeAt) == [WakeAt(None)]


def test_no_more_than_twenty_timers() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    for i in range(21):
        answered_by_tool(session, SetTimer(tea(NOW_S + 60 + i, f"t{i + 1}")))
    assert len(session.timers) == 20


def test_every_timer_message_is_sent_as_a_send_effect() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    _, effects = answered_by_tool(session, SetTimer(tea()))
    assert all(isinstance(e, Send) for e in effects if hasattr(e, "message"))
