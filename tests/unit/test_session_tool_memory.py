"""Which tool answers the conversation keeps: a tool's "I can't ... from here" stays out of the
model's context (the small model copied it into unrelated answers); its other answers stay in."""

from __future__ import annotations

import numpy as np
import pytest

from app import protocol as p
from app.chat import ChatMessage
from app.conversation import ReplySpeech, ReplyText, Session, ToolUsed, Transcribed, TurnFinished, TurnPredicted
from tests.unit.test_session import hello, new_session, speak, speculate

WEATHER = "I can't check the weather from here; I don't have live data on this device."


def tool_turn(session: Session, question: str, tool: str, reply: str, *, remember: bool) -> int:
    tid = speculate(session).turn_id
    session.turn_event(Transcribed(tid, question), 1.0)
    session.turn_event(ToolUsed(tid, tool, remember=remember), 1.0)
    session.turn_event(TurnPredicted(tid, 0.9), 1.0)
    speak(session, "....")
    session.turn_event(ReplyText(tid, reply), 1.0)
    session.turn_event(ReplySpeech(tid, reply, np.ones(22_050, dtype=np.int16)), 1.0)
    return tid


@pytest.mark.parametrize(("remember", "kept"), [(False, False), (True, True)])
def test_a_finished_tool_answer_is_kept_only_if_it_is_remembered(remember: bool, kept: bool) -> None:
    session = new_session(complete_ms=240)
    hello(session)
    tid = tool_turn(session, "Will it rain tomorrow?", "live_facts", WEATHER, remember=remember)
    session.turn_event(TurnFinished(tid, {}), 1.2)
    expected = [ChatMessage("user", "Will it rain tomorrow?")] + ([ChatMessage("assistant", WEATHER)] if kept else [])
    assert session.history == expected


def test_an_interrupted_answer_that_is_not_remembered_stays_out_too() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    tid = tool_turn(session, "Open the garage door.", "devices",
                    "I can't open the garage door from here; I'm not connected to any devices.", remember=False)
    session.receive_text(p.Interrupt(turn_id=tid, played_ms=500).encode(), 1.3)
    assert session.history == [ChatMessage("user", "Open the garage door.")]
