"""The clock and calendar tools: the time and date here or in a named place, with time zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.tools import ToolContext, answer
from app.tools.places import find_place

NOW_S = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()  # a Tuesday, noon UTC
JULY_S = datetime(2026, 7, 1, 12, 0, tzinfo=UTC).timestamp()  # a Wednesday, noon UTC


def reply(transcript: str, timezone: str = "America/New_York", now_s: float = NOW_S) -> tuple[str, str] | None:
    found = answer(transcript, ToolContext(now_s=now_s, timezone=timezone, timers=(), next_id="t1"))
    return None if found is None else (found.tool, found.text)


@pytest.mark.parametrize(
    "transcript",
    ["What time is it?", "what's the time", "What is the time?", "what's the current time", "the time please",
     "Could you tell me what time it is?", "Do you know what time it is?", "Hey, um, what time is it right now?",
     "what time is it here", "Current time.", "What's the local time?", "What hour is it?", "Tell me the time."],
)
def test_the_time_here(transcript: str) -> None:
    assert reply(transcript) == ("clock", "It's 7:00 AM.")


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("What time is it in Tokyo?", "It's 9:00 PM in Tokyo."),
        ("time in New York", "It's 7:00 AM in New York."),
        ("What's the time in London?", "It's 12:00 PM in London."),
        ("What time is it in Paris right now?", "It's 1:00 PM in Paris."),
        ("What time is it in São Paulo?", "It's 9:00 AM in Sao Paulo."),
        ("what time is it in los angeles", "It's 4:00 AM in Los Angeles."),
        ("What time is it in San Francisco?", "It's 4:00 AM in San Francisco."),
        ("What time is it in Seattle?", "It's 4:00 AM in Seattle."),
        ("What time is it in Beijing?", "It's 8:00 PM in Beijing."),
        ("what time is it in mumbai", "It's 5:30 PM in Mumbai."),
        ("What time is it in New Delhi?", "It's 5:30 PM in New Delhi."),
        ("what time is it in kathmandu", "It's 5:45 PM in Kathmandu."),
        ("What time is it in Japan?", "It's 9:00 PM in Japan."),
        ("What time is it in the UK?", "It's 12:00 PM in the UK."),
        ("What time is it in England?", "It's 12:00 PM in England."),
        ("What time is it in Germany?", "It's 1:00 PM in Germany."),
        ("What's the time in India?", "It's 5:30 PM in India."),
        ("What time is it in Dubai?", "It's 4:00 PM in Dubai."),
        ("what time is it in Hong Kong", "It's 8:00 PM in Hong Kong."),
        ("What time is it in Mexico City?", "It's 6:00 AM in Mexico City."),
        ("What time is it in Paris, France?", "It's 1:00 PM in Paris, France."),
        ("what time is it in UTC", "It's 12:00 PM in UTC."),
        ("what time is it in Honolulu", "It's 2:00 AM in Honolulu."),
        ("What time is it in the Faroe Islands?", "It's 12:00 PM in Faroe."),
        ("what time is it in the bahamas", "It's 7:00 AM in the Bahamas."),
    ],
)
def test_the_time_in_a_place(transcript: str, text: str) -> None:
    assert reply(transcript) == ("clock", text)


def test_a_place_already_on_another_day_says_which() -> None:
    late_s = datetime(2026, 12, 1, 20, 0, tzinfo=UTC).timestamp()  # 3 PM Tuesday in New York
    assert reply("What time is it in Tokyo?", now_s=late_s) == ("clock", "It's 5:00 AM on Wednesday in Tokyo.")
    assert reply("What time is it in Honolulu?", now_s=late_s, timezone="Asia/Tokyo") == (
        "clock", "It's 10:00 AM on Tuesday in Honolulu.")


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("What time is it in Atlantis?", "I don't know the time zone of Atlantis."),
        ("what time is it in narnia", "I don't know the time zone of Narnia."),
        ("What time is it in the US?", "The United States has several time zones; which city do you mean?"),
        ("What time is it in Australia?", "Australia has several time zones; which city do you mean?"),
    ],
)
def test_a_place_without_one_zone_is_said_so(transcript: str, text: str) -> None:
    assert reply(transcript) == ("clock", text)


@pytest.mark.parametrize(
    ("timezone", "now_s", "text"),
    [
        ("America/New_York", NOW_S, "It's 7:00 AM."),  # EST, UTC-5
        ("America/New_York", JULY_S, "It's 8:00 AM."),  # EDT, UTC-4
        ("Europe/London", NOW_S, "It's 12:00 PM."),
        ("Europe/London", JULY_S, "It's 1:00 PM."),  # BST
        ("Australia/Sydney", NOW_S, "It's 11:00 PM."),  # AEDT in the southern summer
        ("Australia/Sydney", JULY_S, "It's 10:00 PM."),
        ("", NOW_S, "It's 12:00 PM."),  # no zone: UTC
    ],
)
def test_daylight_saving_time(timezone: str, now_s: float, text: str) -> None:
    assert reply("What time is it?", timezone, now_s) == ("clock", text)


def test_the_time_in_a_dst_place_from_elsewhere() -> None:
    assert reply("What time is it in New York?", "Asia/Tokyo", JULY_S) == ("clock", "It's 8:00 AM in New York.")
    assert reply("What time is it in New York?", "Asia/Tokyo", NOW_S) == ("clock", "It's 7:00 AM in New York.")


def test_the_node_zone_stands_in_for_an_unsaid_one() -> None:
    context = ToolContext(now_s=NOW_S, timezone="", timers=(), next_id="t1", node_timezone="Europe/Paris")
    assert answer("What time is it?", context).text == "It's 1:00 PM."
    bad = ToolContext(now_s=NOW_S, timezone="Not/AZone", timers=(), next_id="t1")
    assert answer("What time is it?", bad).text == "It's 12:00 PM."


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("What's the date today?", "Today is Tuesday, December 1, 2026."),
        ("What day is it?", "Today is Tuesday, December 1, 2026."),
        ("What day is today?", "Today is Tuesday, December 1, 2026."),
        ("What day of the week is it?", "Today is Tuesday, December 1, 2026."),
        ("what's today's date", "Today is Tuesday, December 1, 2026."),
        ("What is the date?", "Today is Tuesday, December 1, 2026."),
        ("what date is it", "Today is Tuesday, December 1, 2026."),
        ("Today's date, please.", "Today is Tuesday, December 1, 2026."),
        ("What's tomorrow's date?", "Tomorrow is Wednesday, December 2, 2026."),
        ("What day is tomorrow?", "Tomorrow is Wednesday, December 2, 2026."),
        ("What's the date tomorrow?", "Tomorrow is Wednesday, December 2, 2026."),
        ("What day will it be tomorrow?", "Tomorrow is Wednesday, December 2, 2026."),
        ("What day was yesterday?", "Yesterday was Monday, November 30, 2026."),
        ("what was the date yesterday", "Yesterday was Monday, November 30, 2026."),
        ("What was yesterday's date?", "Yesterday was Monday, November 30, 2026."),
        ("What is the date in Tokyo?", "In Tokyo, today is Tuesday, December 1, 2026."),
        ("What's the date and time?", "It's 7:00 AM on Tuesday, December 1, 2026."),
        ("Do you know what day it is?", "Today is Tuesday, December 1, 2026."),
        ("Can you tell me what the date is?", "Today is Tuesday, December 1, 2026."),
        ("What's today?", "Today is Tuesday, December 1, 2026."),
        ("Tell me the date.", "Today is Tuesday, December 1, 2026."),
    ],
)
def test_the_date(transcript: str, text: str) -> None:
    assert reply(transcript) == ("calendar", text)


def test_the_date_follows_the_users_zone() -> None:
    late_s = datetime(2026, 12, 1, 23, 30, tzinfo=UTC).timestamp()
    assert reply("What day is it?", "Asia/Tokyo", late_s) == ("calendar", "Today is Wednesday, December 2, 2026.")
    assert reply("What day is it?", "America/Los_Angeles", late_s) == (
        "calendar", "Today is Tuesday, December 1, 2026.")


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("What year is it?", "It's 2026."), ("what's the year", "It's 2026."), ("What year are we in?", "It's 2026."),
        ("What month is it?", "It's December."), ("Do you know what year it is?", "It's 2026."),
        ("what is the current month", "It's December."),
        ("Is it Tuesday today?", "Yes, today is Tuesday, December 1, 2026."),
        ("Is today Friday?", "No, today is Tuesday, December 1, 2026."),
    ],
)
def test_year_month_weekday(transcript: str, text: str) -> None:
    assert reply(transcript) == ("calendar", text)


def test_new_year_is_in_the_users_zone() -> None:
    eve_s = datetime(2026, 12, 31, 20, 0, tzinfo=UTC).timestamp()
    assert reply("What year is it?", "Asia/Tokyo", eve_s) == ("calendar", "It's 2027.")
    assert reply("What year is it?", "America/New_York", eve_s) == ("calendar", "It's 2026.")


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("What's my time zone?", "Your time zone is New York time, 5 hours behind UTC."),
        ("What time zone is India in?", "India is on Kolkata time, 5 hours and 30 minutes ahead of UTC."),
        ("What time zone is London in?", "London is on London time, the same as UTC."),
    ],
)
def test_time_zones(transcript: str, text: str) -> None:
    assert reply(transcript) == ("clock", text)


@pytest.mark.parametrize(
    "transcript",
    ["What time does the sun set?", "What time is it in the morning?", "Time.", "What time is the game tonight?",
     "What's the time complexity of quicksort?", "Time flies.", "What is time?", "What's the date of Christmas?",
     "What time do you close?", "What day is Christmas this year?", "I had a great day.", "Have a nice day!",
     "What time should I go to bed?", "what time is it there", "What is the date in the Chinese calendar?",
     "What time is it in 1985?", "What time is it in military time?", "What time is it in your dream?"],
)
def test_not_clock_questions(transcript: str) -> None:
    assert reply(transcript) is None


@pytest.mark.parametrize(
    ("name", "zone"),
    [("tokyo", "Asia/Tokyo"), ("new york", "America/New_York"), ("the uk", "Europe/London"),
     ("sao paulo", "America/Sao_Paulo"), ("rio", "America/Sao_Paulo"), ("washington dc", "America/New_York"),
     ("kiev", "Europe/Kyiv"), ("san jose costa rica", "America/Costa_Rica"), ("vancouver canada", "America/Vancouver"),
     ("new york city", "America/New_York"), ("buenos aires", "America/Argentina/Buenos_Aires")],
)
def test_places(name: str, zone: str) -> None:
    found = find_place(name)
    assert found is not None
    assert found[0] in (zone, "Europe/Kiev")


def test_unknown_places() -> None:
    assert find_place("atlantis") is None
    assert find_place("portland maine") is None, "an unknown second word is not dropped"
    assert find_place("casey") is None, "Antarctic stations are people's names more often than places"
