"""Setting timers and reminders, their alerts, and the Timer value's stored and wire forms."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.tools import SetTimer, Timer, ToolAnswer, ToolContext, answer

NOW_S = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()  # 1 PM in Paris


def ask(transcript: str, timezone: str = "Europe/Paris", now_s: float = NOW_S,
        timers: tuple[Timer, ...] = ()) -> ToolAnswer | None:
    return answer(transcript, ToolContext(now_s=now_s, timezone=timezone, timers=timers, next_id="t7"))


def set_timer(transcript: str, **kwargs: object) -> tuple[str, Timer]:
    found = ask(transcript, **kwargs)  # type: ignore[arg-type]
    assert found is not None and found.tool == "timer", transcript
    assert isinstance(found.action, SetTimer), found.text
    return found.text, found.action.timer


@pytest.mark.parametrize(
    ("transcript", "seconds", "label", "text"),
    [
        ("Set a timer for 10 seconds", 10, "", "OK, a 10 second timer, starting now."),
        ("set a ten minute timer", 600, "", "OK, a 10 minute timer, starting now."),
        ("Set a 10-minute timer.", 600, "", "OK, a 10 minute timer, starting now."),
        ("timer for one and a half minutes", 90, "", "OK, a 1 minute 30 second timer, starting now."),
        ("Set a 5 minute timer for the tea", 300, "tea", "OK, a 5 minute tea timer, starting now."),
        ("set a tea timer for five minutes", 300, "tea", "OK, a 5 minute tea timer, starting now."),
        ("Set a timer for the pasta for 8 minutes.", 480, "pasta", "OK, an 8 minute pasta timer, starting now."),
        ("Set a timer for 5 minutes called eggs.", 300, "eggs", "OK, a 5 minute eggs timer, starting now."),
        ("Start a timer for 2 hours and 30 minutes", 9000, "", "OK, a 2 hour 30 minute timer, starting now."),
        ("Set a timer for half an hour.", 1800, "", "OK, a 30 minute timer, starting now."),
        ("set a timer for an hour and a half", 5400, "", "OK, a 1 hour 30 minute timer, starting now."),
        ("Set a timer for a minute.", 60, "", "OK, a 1 minute timer, starting now."),
        ("Can you set a timer for twenty-five minutes, please?", 1500, "", "OK, a 25 minute timer, starting now."),
        ("Um, set a timer for, uh, 3 minutes.", 180, "", "OK, a 3 minute timer, starting now."),
        ("set timer 90 seconds", 90, "", "OK, a 1 minute 30 second timer, starting now."),
        ("10 minute timer", 600, "", "OK, a 10 minute timer, starting now."),
        ("A timer for 11 minutes.", 660, "", "OK, an 11 minute timer, starting now."),
        ("Set a kitchen timer for 3 minutes.", 180, "", "OK, a 3 minute timer, starting now."),
        ("Set an alarm for 20 minutes.", 1200, "", "OK, a 20 minute timer, starting now."),
        ("Set a timer for a couple of minutes.", 120, "", "OK, a 2 minute timer, starting now."),
        ("Okay, um, can you set a timer for like 5 minutes?", 300, "", "OK, a 5 minute timer, starting now."),
        ("Put a timer on for 15 minutes.", 900, "", "OK, a 15 minute timer, starting now."),
        ("Set a countdown for 30 seconds.", 30, "", "OK, a 30 second timer, starting now."),
        ("Set a timer for 24 hours.", 86_400, "", "OK, a 1 day timer, starting now."),
    ],
)
def test_set_a_timer(transcript: str, seconds: float, label: str, text: str) -> None:
    said, timer = set_timer(transcript)
    assert said == text
    assert (timer.id, timer.kind, timer.label) == ("t7", "timer", label)
    assert timer.duration_s == pytest.approx(seconds)
    assert timer.due_s == pytest.approx(NOW_S + seconds)


@pytest.mark.parametrize(
    ("transcript", "seconds", "label", "text"),
    [
        ("Remind me in 5 minutes to call mom", 300, "call mom", "OK, I'll remind you to call mom in 5 minutes."),
        ("remind me to call my mom in five minutes", 300, "call your mom",
         "OK, I'll remind you to call your mom in 5 minutes."),
        ("Remind me to call Alice in an hour.", 3600, "call Alice", "OK, I'll remind you to call Alice in 1 hour."),
        ("remind me to put the cake in the oven in 5 minutes", 300, "put the cake in the oven",
         "OK, I'll remind you to put the cake in the oven in 5 minutes."),
        ("Remind me about the meeting in half an hour.", 1800, "about the meeting",
         "OK, I'll remind you about the meeting in 30 minutes."),
        ("Set a reminder for the dentist in 10 minutes.", 600, "about the dentist",
         "OK, I'll remind you about the dentist in 10 minutes."),
        ("Remind me that I am late in 2 minutes.", 120, "that you are late",
         "OK, I'll remind you that you are late in 2 minutes."),
        ("Remind me in an hour.", 3600, "", "OK, I'll remind you in 1 hour."),
        ("In ten minutes remind me to check the oven.", 600, "check the oven",
         "OK, I'll remind you to check the oven in 10 minutes."),
        ("Set a timer for 10 minutes to check the oven.", 600, "check the oven",
         "OK, I'll remind you to check the oven in 10 minutes."),
        ("Wake me up in 20 minutes.", 1200, "wake up", "OK, I'll remind you to wake up in 20 minutes."),
    ],
)
def test_set_a_reminder_in_a_while(transcript: str, seconds: float, label: str, text: str) -> None:
    said, timer = set_timer(transcript)
    assert said == text
    assert (timer.kind, timer.label) == ("reminder", label)
    assert timer.due_s == pytest.approx(NOW_S + seconds)


def paris(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo("Europe/Paris")).timestamp()


@pytest.mark.parametrize(
    ("transcript", "due_s", "text"),
    [
        ("Remind me at 5 PM to take my pills", paris(1, 17), "OK, I'll remind you to take your pills at 5 PM."),
        ("remind me to take my pills at 5 pm", paris(1, 17), "OK, I'll remind you to take your pills at 5 PM."),
        ("Set a reminder for 5:30 pm to leave.", paris(1, 17, 30), "OK, I'll remind you to leave at 5:30 PM."),
        ("remind me at 5 to call Alice", paris(1, 17), "OK, I'll remind you to call Alice at 5 PM."),  # next 5 o'clock
        ("Remind me at 11 AM to stretch.", paris(2, 11), "OK, I'll remind you to stretch at 11 AM tomorrow."),
        ("Remind me at noon to eat.", paris(2, 12), "OK, I'll remind you to eat at 12 PM tomorrow."),
        ("remind me tomorrow at 9 to call the bank", paris(2, 9),
         "OK, I'll remind you to call the bank at 9 AM tomorrow."),
        ("Remind me to call the bank tomorrow at 3.", paris(2, 15),
         "OK, I'll remind you to call the bank at 3 PM tomorrow."),
        ("Remind me tonight at 8 to lock the door.", paris(1, 20), "OK, I'll remind you to lock the door at 8 PM."),
        ("remind me at 17:45 to go home", paris(1, 17, 45), "OK, I'll remind you to go home at 5:45 PM."),
        ("Set an alarm for 7 AM.", paris(2, 7), "OK, I'll remind you at 7 AM tomorrow."),
    ],
)
def test_set_a_reminder_at_a_clock_time(transcript: str, due_s: float, text: str) -> None:
    said, timer = set_timer(transcript)
    assert said == text
    assert timer.kind == "reminder"
    assert timer.due_s == pytest.approx(due_s)
    assert timer.duration_s == pytest.approx(due_s - NOW_S)


def test_a_reminder_across_the_spring_dst_change_lands_on_the_wall_clock_time() -> None:
    zone = ZoneInfo("America/New_York")
    now_s = datetime(2026, 3, 7, 12, 0, tzinfo=zone).timestamp()  # the clocks spring forward overnight
    _, timer = set_timer("Remind me tomorrow at 9 AM to call Bob.", timezone="America/New_York", now_s=now_s)
    assert datetime.fromtimestamp(timer.due_s, zone).hour == 9
    assert timer.duration_s == pytest.approx(20 * 3600), "21 wall-clock hours, 20 real ones"


def test_a_reminder_at_a_clock_time_rolls_to_tomorrow_in_the_users_zone() -> None:
    _, timer = set_timer("Remind me at 9 AM to run.", timezone="Asia/Tokyo")  # 9 PM in Tokyo now
    due = datetime.fromtimestamp(timer.due_s, ZoneInfo("Asia/Tokyo"))
    assert (due.day, due.hour) == (2, 9)


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("Set a timer for 25 hours.", "I can only set timers and reminders up to 24 hours ahead."),
        ("set a timer for zero seconds", "A timer needs a duration longer than zero."),
        ("Set a timer for minus 5 minutes.", "A timer needs a duration longer than zero."),
        ("Remind me in 2 days to water the plants.", "I can only set timers and reminders up to 24 hours ahead."),
        ("Set a timer.", "How long should the timer be? For example, say: set a timer for 10 minutes."),
        ("Remind me to call mom.", "When should I remind you? For example, say: remind me in 10 minutes."),
        ("Set a reminder.", "When should I remind you? For example, say: remind me in 10 minutes."),
        ("Can you remind me?", "When should I remind you? For example, say: remind me in 10 minutes."),
        ("Remind me at 9 AM today to stretch.", "That time has already passed today."),
    ],
)
def test_refusals_and_questions_back(transcript: str, text: str) -> None:
    found = ask(transcript)
    assert found is not None and (found.tool, found.text, found.action) == ("timer", text, None)


def test_at_most_twenty_pending_timers() -> None:
    pending = tuple(Timer(f"t{i}", "timer", "", NOW_S + 60 + i, 60) for i in range(20))
    found = ask("Set a timer for 5 minutes.", timers=pending)
    assert found is not None and found.action is None
    assert found.text == "You already have 20 timers and reminders; cancel one first."
    assert isinstance(ask("Set a timer for 5 minutes.", timers=pending[:19]).action, SetTimer)


@pytest.mark.parametrize(
    ("timer", "alert"),
    [
        (Timer("t1", "timer", "", NOW_S, 10), "Your 10 second timer is done."),
        (Timer("t1", "timer", "", NOW_S, 600), "Your 10 minute timer is done."),
        (Timer("t1", "timer", "", NOW_S, 9000), "Your 2 hour 30 minute timer is done."),
        (Timer("t1", "timer", "tea", NOW_S, 300), "Your tea timer is done."),
        (Timer("t1", "reminder", "call your mom", NOW_S, 300), "Reminder: call your mom."),
        (Timer("t1", "reminder", "about the meeting", NOW_S, 300), "Reminder: the meeting."),
        (Timer("t1", "reminder", "that you are late", NOW_S, 300), "Reminder: you are late."),
        (Timer("t1", "reminder", "", NOW_S, 300), "This is your reminder."),
    ],
)
def test_alerts(timer: Timer, alert: str) -> None:
    assert timer.alert() == alert


def test_the_alert_of_a_set_reminder_speaks_to_the_user() -> None:
    _, timer = set_timer("Remind me to call my mom in five minutes.")
    assert timer.alert() == "Reminder: call your mom."


def test_stored_and_wire_forms_round_trip() -> None:
    timer = Timer("t3", "reminder", "call your mom", NOW_S + 300.5, 300.5)
    stored = json.loads(json.dumps(timer.to_dict()))
    assert Timer.from_dict(stored) == timer
    wire = json.loads(json.dumps(timer.to_wire()))
    assert wire == {"id": "t3", "kind": "reminder", "label": "call your mom", "due_ms": (NOW_S + 300.5) * 1000,
                    "duration_ms": 300500.0}
    assert Timer.from_dict(wire) == timer


@pytest.mark.parametrize(
    "bad",
    [{"id": "bad"}, {"id": "t1", "kind": "egg", "label": "", "due_s": 1.0, "duration_s": 1.0},
     {"id": "t1", "kind": "timer", "label": "", "due_s": "soon", "duration_s": 1.0},
     {"id": "t1", "kind": "timer", "label": "", "due_s": float("nan"), "duration_s": 1.0},
     {"id": "", "kind": "timer", "label": "", "due_s": 1.0, "duration_s": 1.0}],
)
def test_from_dict_rejects_what_is_not_a_timer(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Timer.from_dict(bad)


@pytest.mark.parametrize(
    "transcript",
    ["What's a good name for a timer app?", "I have a timer app.", "My timer broke yesterday.", "Timer.",
     "Set the table.", "Remind me who won the 1998 World Cup.", "Can you remind me what we talked about?",
     "What is a timer?", "How do egg timers work?", "Set a goal for this week.", "Five minutes.",
     "I need a minute.", "Give me a second."],
)
def test_not_timer_requests(transcript: str) -> None:
    assert ask(transcript) is None
