"""Requests as Whisper hears them (small mishearings) and live-data questions found missing in use."""

from __future__ import annotations

import pytest

from app.tools import SetTimer, ToolContext, answer

CONTEXT = ToolContext(now_s=1_800_000_000.0, timezone="America/New_York")


@pytest.mark.parametrize(("heard", "seconds"), [
    ("set of timer for 10 seconds", 10), ("Start at 20 second timer.", 20), ("Set at timer for five minutes.", 300),
    # tune set, espeak-ng voices: the model answered "OK, a 1 hour timer, starting now." and set none
    ("It's a timer for one hour", 3600), ("Said a timer for two minutes.", 120),
])
def test_misheard_timer_requests_still_set_a_timer(heard: str, seconds: float) -> None:
    found = answer(heard, CONTEXT)
    assert found is not None and isinstance(found.action, SetTimer)
    assert found.action.timer.duration_s == seconds


@pytest.mark.parametrize("question", [
    "How hot it is outside right now.", "What's the current price of gold?", "How much is gold right now?",
    "What is the price of oil today?", "How much is a share of Apple stock today?", "What's the petrol price?",
    "Is it raining right now?", "What's the temperature outside now?",
])
def test_live_data_questions_get_the_honest_sentence(question: str) -> None:
    found = answer(question, CONTEXT)
    assert found is not None and found.tool == "live_facts" and "live data" in found.text


@pytest.mark.parametrize("question", ["What is gold?", "Set of rules for chess?", "Why is oil black?",
                                      "Set at the table.", "Where does coffee come from?", "It is a good timer.",
                                      "It's a timer for the oven, isn't it?"])
def test_general_knowledge_is_left_to_the_model(question: str) -> None:
    assert answer(question, CONTEXT) is None
