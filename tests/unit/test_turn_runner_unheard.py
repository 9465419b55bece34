"""Turns with no words to hear (an answer from the history alone) and turns not spoken (text
replies), on the fake engine: what the model is prompted with, and that TTS never runs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.chat import ChatMessage
from app.conversation import ReplySpeech, ReplyText, StartTurn, Transcribed, TurnFinished
from app.engine import Engine
from tests.unit.test_turn_runner import AUDIO, CLAUSES, DELTAS, REPLY, kinds, make_engine, run

__all__ = ["make_engine"]  # the fixture, shared
HISTORY = (ChatMessage("system", "Greet the user."),)
NO_AUDIO = np.zeros(0, dtype=np.int16)


def test_a_turn_from_the_history_alone_hears_nothing_and_is_spoken(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(llm=lambda messages: ["Hello ", "there! ", "How ", "can ", "I ", "help?"])
    events = run(engine, StartTurn(1, NO_AUDIO, HISTORY, naive=False, from_history=True))
    assert engine.stt.calls == [] and not [e for e in events if isinstance(e, Transcribed)]  # nothing to hear
    [call] = engine.llm.calls
    assert call.messages == (ChatMessage("system", REPLY.system_prompt), *HISTORY)  # no user message
    speech = [e for e in events if isinstance(e, ReplySpeech)]
    assert " ".join(e.text for e in speech) == "Hello there! How can I help?"
    assert all(e.pcm.shape[0] > 0 for e in speech) and engine.tts.calls
    assert isinstance(events[-1], TurnFinished)


def test_a_turn_not_spoken_sends_its_text_and_never_synthesizes(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(llm=lambda messages: DELTAS)
    events = run(engine, StartTurn(1, AUDIO, (), naive=False, speak=False))
    assert engine.tts.calls == []
    assert [e.text for e in events if isinstance(e, ReplyText)] == ["Sure,", " it is noon now.", " The sun is high."]
    speech = [e for e in events if isinstance(e, ReplySpeech)]
    assert [e.text for e in speech] == CLAUSES and all(e.pcm.shape == (0,) for e in speech)  # said in no time
    order = kinds(events)
    assert order.index("ReplySpeech") > order.index("ReplyText") and order[-1] == "TurnFinished"


def test_an_answer_from_the_history_in_text(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(llm=lambda messages: ["Hi!"])
    events = run(engine, StartTurn(1, NO_AUDIO, (), naive=False, from_history=True, speak=False))
    assert engine.tts.calls == [] and [e.text for e in events if isinstance(e, ReplyText)] == ["Hi!"]
    assert engine.llm.calls[0].messages == (ChatMessage("system", REPLY.system_prompt),)  # an empty history is fine
