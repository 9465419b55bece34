"""The tool router as a whole: its public API, what it leaves to the model, and that it never breaks."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import app.tools as tools
from app.tools import CancelTimers, SetTimer, Timer, ToolAnswer, ToolContext, answer

NOW_S = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()
TEA = Timer("t1", "timer", "tea", NOW_S + 180, 300)
CONTEXT = ToolContext(now_s=NOW_S, timezone="Europe/Paris", timers=(TEA,), next_id="t2")
TOOLS = {"clock", "calendar", "timer", "arithmetic", "units", "memory", "live_facts", "about"}
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,  # nothing written into the work tree
    derandomize=os.environ.get("FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_public_api() -> None:
    assert set(tools.__all__) == {"CancelTimers", "SetTimer", "Timer", "TimerAction", "ToolAnswer", "ToolContext",
                                  "answer"}
    assert tools.TimerAction == SetTimer | CancelTimers
    found = answer("What time is it?", ToolContext(NOW_S, "Europe/Paris", (), "t1"))
    assert found == ToolAnswer("clock", "It's 1:00 PM.")


# The brief's false positives, and more of what users say to an assistant.
LEFT_TO_THE_MODEL = [
    "What's the capital of France?", "Tell me a joke.", "My name is a secret.", "What is my IP address?",
    "What's a good name for a timer app?", "What time does the sun set?", "Thank you.", "Stop.", "Hi.", "",
    "   ", "Who is the president?", "What is the meaning of life?", "How old is the universe?", "I'm cold.",
    "It is raining.", "Can you set the table?", "What's the time complexity of quicksort?", "Time flies.",
    "What is time?", "How long is a marathon?", "How long does it take to boil an egg?", "Why is the sky blue?",
    "What is the boiling point of water?", "What is a stock market?", "Remind me who won the 1998 World Cup.",
    "Can you remind me what we talked about?", "I have a timer app.", "Let's play a game.",
    "What did I just say?", "What do you think about the news industry?", "Tell me about Tokyo.",
    "How many people live in Tokyo?", "What's the best way to learn French?", "Write me a poem about time.",
    "What should I cook tonight?", "Who won the war of 1812?", "What is two?", "Thanks, that's all.",
    "Okay.", "Yes.", "No.", "Um.", "Set the mood.", "What is five minutes in French?",
]


@pytest.mark.parametrize("transcript", LEFT_TO_THE_MODEL)
def test_what_no_tool_answers(transcript: str) -> None:
    assert answer(transcript, CONTEXT) is None


@pytest.mark.parametrize(
    ("transcript", "tool"),
    [
        ("How much time is left?", "timer"), ("What time is it?", "clock"), ("What's tomorrow's date?", "calendar"),
        ("Set a timer for 5 minutes.", "timer"), ("What is 7 times 8?", "arithmetic"),
        ("How many pounds is 10 kg?", "units"), ("10 pounds in kilograms", "units"),
        ("10 pounds in dollars", "live_facts"), ("What's the weather?", "live_facts"),
        ("How many minutes are in a day?", "units"), ("What is 100 fahrenheit in celsius?", "units"),
        ("My name is Alice.", "memory"), ("What is my name?", "memory"), ("What can you do?", "about"),
        ("How can you help me?", "about"),
    ],
)
def test_each_request_goes_to_the_narrowest_tool(transcript: str, tool: str) -> None:
    found = answer(transcript, CONTEXT)
    assert found is not None and found.tool == tool


def test_a_long_turn_is_the_models() -> None:
    assert answer("What time is it? " + "and then " * 40, CONTEXT) is None


def test_actions_carry_the_next_id_and_the_context_timers() -> None:
    found = answer("Set a timer for one minute.", CONTEXT)
    assert found is not None and isinstance(found.action, SetTimer) and found.action.timer.id == "t2"
    found = answer("Cancel the tea timer.", CONTEXT)
    assert found is not None and found.action == CancelTimers(("t1",))


SENTENCE = re.compile(r"[A-Z0-9][^*#`\n]*[.?!]")

words = st.sampled_from(
    "what is the time timer set remind me to in at for a an one two ten twenty hundred and half minutes hours "
    "seconds plus times divided by minus percent of square root miles kilometers in celsius degrees weather "
    "cancel all my how much left tokyo new york date tomorrow pm am 5 10 30 0 12:30 1.5 - / * % : , . ? ' s"
    .split()
)


@FUZZ
@given(st.lists(words, max_size=14).map(" ".join) | st.text(max_size=80))
@example("set a timer for " + "one hundred and " * 12 + "minutes")
@example("what is 9 to the power of 9 to the power of 9")
@example("remind me at 24:00 to x")
@example("what time is it in ''")
@example("what is today")
@example("put a timer on")
def test_the_router_never_breaks_and_speaks_in_sentences(transcript: str) -> None:
    found = answer(transcript, CONTEXT)
    if found is not None:
        assert found.tool in TOOLS
        assert SENTENCE.fullmatch(found.text), found.text
        if isinstance(found.action, SetTimer):
            timer = found.action.timer
            assert 0 < timer.duration_s <= 48 * 3600 and timer.due_s > NOW_S
        elif isinstance(found.action, CancelTimers):
            assert set(found.action.ids) <= {"t1"}
