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


@pytest.mark.parametrize(("heard", "text"), [
    # a unit name misheard: the other side names its unit, so one unit of that dimension is meant
    ("How many inches are in a food?", "There are 12 inches in a foot."),
    ("How many letters are in a gallon?", "There are about 3.79 liters in a gallon."),
    ("Convert 3 mails to kilometers.", "3 miles is about 4.83 kilometers."),
    # the "in" between the units lost
    ("What is 100 degrees Fahrenheit Celsius?", "100 degrees Fahrenheit is about 37.78 degrees Celsius."),
    ("What is 5 miles kilometers?", "5 miles is about 8.05 kilometers."),
])
def test_misheard_conversions_name_the_units_they_used(heard: str, text: str) -> None:
    found = answer(heard, CONTEXT)
    assert found is not None and (found.tool, found.text) == ("units", text)


@pytest.mark.parametrize("heard", [
    "How many calories are in a food?",  # calories: no unit, so nothing fixes the dimension
    "How many cups are in a food?",  # foot is no volume
    "How many letters are in a word?", "What is 5 apples oranges?", "What is 2 pounds kilograms grams?",
])
def test_near_unit_names_alone_are_no_conversion(heard: str) -> None:
    found = answer(heard, CONTEXT)
    assert found is None or found.tool != "units"


@pytest.mark.parametrize(("heard", "text"), [
    ("What is due to the power on ten?", "2 to the power of 10 is 1,024."),
    ("What is ten to the power of too?", "10 to the power of 2 is 100."),
    ("What is for times ate?", "4 times 8 is 32."),
])
def test_numbers_heard_as_words_that_sound_alike(heard: str, text: str) -> None:
    found = answer(heard, CONTEXT)
    assert found is not None and (found.tool, found.text) == ("arithmetic", text)


@pytest.mark.parametrize("heard", ["Go to the store.", "I want to go for a walk.", "What is 12 to 4?",
                                   "What do you want to eat?", "What is the way to go?", "I won for once."])
def test_sound_alike_words_in_other_requests_stay_words(heard: str) -> None:
    found = answer(heard, CONTEXT)
    assert found is None or found.tool != "arithmetic"
