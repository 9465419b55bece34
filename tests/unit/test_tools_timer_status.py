"""Asking about pending timers and cancelling them, answered from the session's timers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.tools import CancelTimers, Timer, ToolAnswer, ToolContext, answer

NOW_S = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()
TEA = Timer("t1", "timer", "tea", NOW_S + 180, 300)
TEN = Timer("t2", "timer", "", NOW_S + 490, 600)
MOM = Timer("t3", "reminder", "call your mom", NOW_S + 245, 300)


def ask(transcript: str, *timers: Timer) -> ToolAnswer | None:
    return answer(transcript, ToolContext(now_s=NOW_S, timezone="Europe/Paris", timers=timers, next_id="t4"))


def said(transcript: str, *timers: Timer) -> str:
    found = ask(transcript, *timers)
    assert found is not None and found.tool == "timer", transcript
    return found.text


@pytest.mark.parametrize(
    "transcript",
    ["How much time is left on my timer?", "how long left", "How much longer?", "How much time is left?",
     "How long is left on the timer?", "When does my timer go off?", "How long until the timer is done?",
     "Is my timer done yet?", "Check my timer.", "Time left on the tea timer?", "How many minutes are left?"],
)
def test_time_left_on_the_only_timer(transcript: str) -> None:
    assert said(transcript, TEA) == "Your tea timer has 3 minutes left."


def test_time_left_on_each_timer_and_by_name() -> None:
    assert said("How much time is left on my timers?", TEA, TEN) == (
        "Your tea timer has 3 minutes left. Your 10 minute timer has 8 minutes and 10 seconds left.")
    assert said("How much time is left on the tea timer?", TEA, TEN) == "Your tea timer has 3 minutes left."
    assert said("how long until my reminder", MOM) == "Your reminder to call your mom is in 4 minutes and 5 seconds."
    assert said("How long is left on my timer?", MOM) == "Your reminder to call your mom is in 4 minutes and 5 seconds."
    assert said("How much time is left on the pasta timer?", TEA) == "You have no pasta timer."


def test_time_left_rounds_long_timers_to_minutes() -> None:
    long = Timer("t1", "timer", "", NOW_S + 2 * 3600 + 10 * 60 + 20, 3 * 3600)
    assert said("How much time is left?", long) == "Your 3 hour timer has 2 hours and 10 minutes left."


def test_a_timer_due_but_not_yet_rung() -> None:
    assert said("How much time is left?", Timer("t1", "timer", "", NOW_S - 0.2, 60)) == (
        "Your 1 minute timer has less than a second left.")


@pytest.mark.parametrize(
    "transcript",
    ["What timers do I have?", "list my timers", "Show me my timers.", "Do I have any timers?", "What are my timers?",
     "Are there any timers running?", "How many timers do I have?", "My timers."],
)
def test_list_the_timers(transcript: str) -> None:
    assert said(transcript) == "You have no timers."
    assert said(transcript, TEA) == "You have 1 timer. Your tea timer has 3 minutes left."
    assert said(transcript, TEA, MOM, TEN) == (
        "You have 2 timers and 1 reminder. Your tea timer has 3 minutes left. Your reminder to call your mom is in "
        "4 minutes and 5 seconds. Your 10 minute timer has 8 minutes and 10 seconds left.")


def test_list_the_reminders_only() -> None:
    assert said("What reminders do I have?", TEA) == "You have no reminders."
    assert said("Do I have any reminders?", TEA, MOM) == (
        "You have 1 reminder. Your reminder to call your mom is in 4 minutes and 5 seconds.")


@pytest.mark.parametrize(
    ("transcript", "timers", "ids", "text"),
    [
        ("Cancel the timer", (TEA,), ("t1",), "OK, I canceled your tea timer."),
        ("Stop the timer.", (TEA,), ("t1",), "OK, I canceled your tea timer."),
        ("Turn the timer off.", (TEN,), ("t2",), "OK, I canceled your 10 minute timer."),
        ("Never mind the timer.", (TEN,), ("t2",), "OK, I canceled your 10 minute timer."),
        ("cancel my tea timer", (TEA, TEN), ("t1",), "OK, I canceled your tea timer."),
        ("Cancel the timer for the tea.", (TEA, TEN), ("t1",), "OK, I canceled your tea timer."),
        ("Cancel the 10 minute timer.", (TEA, TEN), ("t2",), "OK, I canceled your 10 minute timer."),
        ("cancel all timers", (TEA, TEN), ("t1", "t2"), "OK, I canceled both timers."),
        ("Cancel all my timers.", (TEA, TEN, Timer("t5", "timer", "", NOW_S + 900, 900)), ("t1", "t2", "t5"),
         "OK, I canceled all 3 timers."),
        ("Delete both timers.", (TEA, TEN), ("t1", "t2"), "OK, I canceled both timers."),
        ("Cancel my reminder to call my mom.", (TEA, MOM), ("t3",), "OK, I canceled your reminder to call your mom."),
        ("Cancel the reminder.", (TEA, MOM), ("t3",), "OK, I canceled your reminder to call your mom."),
        ("Cancel all my timers.", (TEA, MOM), ("t1",), "OK, I canceled your tea timer."),
    ],
)
def test_cancel(transcript: str, timers: tuple[Timer, ...], ids: tuple[str, ...], text: str) -> None:
    found = ask(transcript, *timers)
    assert found is not None
    assert (found.text, found.action) == (text, CancelTimers(ids))


@pytest.mark.parametrize(
    ("transcript", "timers", "text"),
    [
        ("Cancel the timer.", (), "You have no timers."),
        ("Cancel all timers.", (), "You have no timers."),
        ("Cancel my tea timer.", (TEN,), "You have no tea timer."),
        ("Cancel the reminder.", (TEA,), "You have no reminders."),
        ("Cancel the timer.", (TEA, TEN),
         "You have 2 timers. Which one should I cancel: the tea timer or the 10 minute timer?"),
    ],
)
def test_cancel_nothing_or_ask_which(transcript: str, timers: tuple[Timer, ...], text: str) -> None:
    found = ask(transcript, *timers)
    assert found is not None
    assert (found.text, found.action) == (text, None)


@pytest.mark.parametrize(
    "transcript",
    ["Stop.", "Cancel.", "Stop talking.", "How long is a marathon?", "How long does it take to boil an egg?",
     "How much time is left in the game?", "How long", "How many minutes are in an hour and a half?",
     "Cancel my subscription.", "Stop the music."],
)
def test_not_timer_questions(transcript: str) -> None:
    found = ask(transcript, TEA)
    assert found is None or found.tool != "timer"
