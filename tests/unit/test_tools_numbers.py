"""Spoken numbers, durations and clock times, and the transcript normalizer, of app.tools."""

from __future__ import annotations

import re

import pytest

from app.tools.durations import (
    CLOCK_RE,
    DURATION_RE,
    duration_adjective,
    format_duration,
    format_remaining,
    parse_clock_time,
    parse_duration,
)
from app.tools.numbers import NUMBER_RE, format_number, parse_number, say_number
from app.tools.text import normalize


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10", 10), ("2.5", 2.5), ("zero", 0), ("seven", 7), ("twelve", 12), ("twenty", 20), ("twenty five", 25),
        ("ninety nine", 99), ("a hundred", 100), ("a hundred and five", 105), ("one hundred twenty three", 123),
        ("two thousand and twenty six", 2026), ("a thousand", 1000), ("3 thousand", 3000),
        ("five hundred thousand", 500_000), ("1.5 million", 1_500_000), ("a million", 1_000_000),
        ("one and a half", 1.5), ("two and a half", 2.5), ("1 and a half", 1.5), ("one and a quarter", 1.25),
        ("half", 0.5), ("a half", 0.5), ("a quarter", 0.25), ("three quarters", 0.75), ("a couple", 2),
        ("a couple of", 2), ("a dozen", 12), ("two dozen", 24), ("two point five", 2.5),
        ("three point one four", 3.14), ("minus forty", -40), ("negative 3", -3),
    ],
)
def test_spoken_numbers(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)
    assert re.fullmatch(NUMBER_RE, text), "the regex fragment catches what the parser reads"


@pytest.mark.parametrize(
    "text", ["", "a", "an", "and", "hundred", "one two", "ten twenty", "twenty 5", "five and", "zero zero", "tea",
             "one and a", "point", "minus"],
)
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10 seconds", 10), ("ten minutes", 600), ("a minute", 60), ("an hour", 3600), ("half an hour", 1800),
        ("an hour and a half", 5400), ("one and a half minutes", 90), ("2 hours and 30 minutes", 9000),
        ("2 hours 30 minutes", 9000), ("a quarter of an hour", 900), ("three quarters of an hour", 2700),
        ("a couple of minutes", 120), ("90 seconds", 90), ("1.5 hours", 5400), ("ten minute", 600),
        ("twenty five minutes", 1500), ("a day", 86_400), ("1 hour 2 minutes and 3 seconds", 3723),
        ("minus 5 minutes", -300),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)
    assert re.fullmatch(DURATION_RE, text)


@pytest.mark.parametrize("text", ["minute", "five", "10 minutes and", "tea minutes", "", "five bananas"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    ("seconds", "noun", "adjective"),
    [
        (10, "10 seconds", "10 second"), (1, "1 second", "1 second"),
        (90, "1 minute and 30 seconds", "1 minute 30 second"),
        (3600, "1 hour", "1 hour"), (9000, "2 hours and 30 minutes", "2 hour 30 minute"),
        (3723, "1 hour, 2 minutes and 3 seconds", "1 hour 2 minute 3 second"), (86_400, "1 day", "1 day"),
    ],
)
def test_duration_wording(seconds: float, noun: str, adjective: str) -> None:
    assert format_duration(seconds) == noun
    assert duration_adjective(seconds) == adjective


def test_time_left_is_rounded_to_minutes_above_an_hour() -> None:
    assert format_remaining(4000) == "1 hour and 7 minutes"
    assert format_remaining(125) == "2 minutes and 5 seconds"
    assert format_remaining(0.2) == "less than a second"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("5", (5, 0, None)), ("5 pm", (17, 0, "pm")), ("5pm", (17, 0, "pm")), ("5:30", (5, 30, None)),
        ("17:30", (17, 30, "pm")), ("08:15", (8, 15, "am")), ("five thirty pm", (17, 30, "pm")),
        ("five o'clock", (5, 0, None)), ("seven in the morning", (7, 0, "am")), ("8 at night", (20, 0, "pm")),
        ("nine tonight", (21, 0, "pm")), ("twelve am", (0, 0, "am")), ("12 pm", (12, 0, "pm")),
        ("noon", (12, 0, "pm")), ("midnight", (0, 0, "am")), ("five oh five", (5, 5, None)), ("10 a m", (10, 0, "am")),
    ],
)
def test_clock_times(text: str, parsed: tuple[int, int, str | None]) -> None:
    assert parse_clock_time(normalize(text).text) == parsed
    assert re.fullmatch(CLOCK_RE, normalize(text).text)


@pytest.mark.parametrize("text", ["13 pm", "five three", "25:00", "5:75", "tea", "0 am"])
def test_not_clock_times(text: str) -> None:
    assert parse_clock_time(text) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [(56, "56"), (1440, "1,440"), (12.5, "12.5"), (10 / 3, "3.3333"), (1 / 30000, "0.00003333"), (0.1 + 0.2, "0.3"),
     (-3.5, "-3.5"), (2**40, "1,099,511,627,776"), (-0.0, "0")],
)
def test_numbers_are_written_with_digits(value: float, text: str) -> None:
    assert format_number(value) == text


def test_negative_numbers_are_said_with_minus() -> None:
    assert say_number(-40) == "minus 40"
    assert say_number(40) == "40"


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("Um, hey, could you tell me what's 7 * 8, please?", "what is 7 times 8"),
        ("What time is it in São Paulo?", "what time is it in sao paulo"),
        ("Set a 10-minute timer.", "set a 10 minute timer"),
        ("Remind me to call Mom at 5 p.m.", "remind me to call mom at 5 pm"),
        ("What's 100/8?", "what is 100 divided by 8"),
        ("convert 60 km/h to mph", "convert 60 km per h to mph"),
        ("What is -40 °F in Celsius?", "what is minus 40 degrees f in celsius"),
        ("15-4", "15 minus 4"),
        ("What's tomorrow's date?", "what is tomorrow date"),
        ("1,000 + 2,500", "1000 plus 2500"),
        ("12x12", "12 times 12"),
        ("10kg in pounds", "10 kg in pounds"),
        ("Twenty-five minutes", "twenty five minutes"),
        ("OK so, uh, what time is it now?", "what time is it"),
        ("It\u2019s 3:05.", "it is 3:05"),
        ("   ", ""),
    ],
)
def test_normalize(transcript: str, text: str) -> None:
    assert normalize(transcript).text == text


def test_normalize_keeps_the_case_of_words_for_labels() -> None:
    utterance = normalize("Remind me to call Alice.")
    start = utterance.text.index("call")
    assert utterance.original(start, len(utterance.text)) == "call Alice"
    assert normalize("Tea timer").cased[0] == "tea", "the first word is capitalized only for being first"
