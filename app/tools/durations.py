"""Spoken durations ("ten minutes", "half an hour", "2 hours and 30 minutes") and clock times ("5:30 pm")."""

from __future__ import annotations

import re

from app.tools.numbers import NUMBER_RE, parse_number

_UNIT_SECONDS = {
    "second": 1, "seconds": 1, "sec": 1, "secs": 1,
    "minute": 60, "minutes": 60, "min": 60, "mins": 60,
    "hour": 3600, "hours": 3600, "hr": 3600, "hrs": 3600,
    "day": 86_400, "days": 86_400,
}
_UNIT_RE = "|".join(sorted(_UNIT_SECONDS, key=len, reverse=True))
_PART_RE = rf"{NUMBER_RE} (?:{_UNIT_RE})\b(?: and a (?:half|quarter)\b)?"
DURATION_RE = rf"(?:{_PART_RE}(?:(?: and)? {_PART_RE})*)"
"""Regex fragment for a duration; ``parse_duration`` validates what it caught."""

_NAMES = ((86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def parse_duration(text: str) -> float | None:
    """Seconds in the spoken duration ``text`` (the whole text), or None when it is not one.

    "minus 5 minutes" is -300: a duration, but not one a timer may have; the caller says so."""
    words = text.split()
    total, number = 0.0, []
    i = 0
    while i < len(words):
        word = words[i]
        if word not in _UNIT_SECONDS:
            number.append(word)
            i += 1
            continue
        # "half an hour", "a quarter of an hour": the article belongs to the unit, not to the number.
        if len(number) >= 2 and number[-1] in ("a", "an") and number[-2] in ("half", "quarter", "quarters", "of"):
            number = number[:-1]
        if number and number[-1] == "of" and len(number) >= 2 and number[-2] in ("quarter", "quarters"):
            number = number[:-1]
        value = 1.0 if number in (["a"], ["an"]) else parse_number(" ".join(number))
        if value is None:
            return None
        unit = _UNIT_SECONDS[word]
        total += value * unit
        i += 1
        if words[i:i + 3] in (["and", "a", "half"], ["and", "a", "quarter"]):
            total += unit * (0.5 if words[i + 2] == "half" else 0.25)  # "an hour and a half"
            i += 3
        if i < len(words) and words[i] == "and":
            i += 1
            if i == len(words):
                return None
        number = []
    return total if words and not number else None


def _parts(seconds: float) -> list[tuple[int, str]]:
    """Whole ``seconds`` split into (count, unit) pairs, largest first, zeros left out."""
    rest = round(seconds)
    parts = []
    for size, name in _NAMES:
        if rest >= size:
            parts.append((rest // size, name))
            rest %= size
    return parts or [(0, "second")]


def format_duration(seconds: float) -> str:
    """``seconds`` as a noun phrase: "1 minute", "2 hours and 30 minutes", "1 hour, 2 minutes and 3 seconds"."""
    words = [f"{n} {unit}" + ("" if n == 1 else "s") for n, unit in _parts(seconds)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def duration_adjective(seconds: float) -> str:
    """``seconds`` before a noun: "10 second" (timer), "2 hour 30 minute" (timer)."""
    return " ".join(f"{n} {unit}" for n, unit in _parts(seconds))


def format_remaining(seconds: float) -> str:
    """Time left, as precise as is useful: seconds under an hour, whole minutes above."""
    if seconds < 0.5:
        return "less than a second"
    if seconds >= 3600:
        seconds = round(seconds / 60) * 60
    return format_duration(seconds)


_HOURS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
CLOCK_RE = (
    r"(?:noon|midday|midnight|(?:\d{1,2}(?::\d{2})?|" + "|".join(list(_HOURS)[1:]) + r")\b"
    rf"(?: o'clock| oh {NUMBER_RE}| {NUMBER_RE})?"
    r"(?: ?(?:am|pm|a m|p m)\b| in the (?:morning|afternoon|evening)| at night| tonight)?)"
)
"""Regex fragment for a clock time; ``parse_clock_time`` validates what it caught."""


def parse_clock_time(text: str) -> tuple[int, int, str | None] | None:
    """(hour 0-23, minute, meridiem) of "5 pm", "5:30", "17:30", "five thirty pm", "noon", or None if not a time.

    meridiem is "am" or "pm", or None when unsaid ("at 5"): then hour is 1-12 and either half may be meant."""
    text = re.sub(r"\b([ap]) m\b", r"\1m", text.strip())
    fixed = {"noon": (12, 0, "pm"), "midday": (12, 0, "pm"), "midnight": (0, 0, "am")}
    if text in fixed:
        return fixed[text]
    meridiem = None
    said = re.fullmatch(r"(?P<t>.+?) ?(?P<ap>am|pm)|(?P<t2>.+) (?:in the (?P<part>\w+)|(?P<night>at night|tonight))",
                        text)
    if said:
        text = said["t"] or said["t2"]
        part = {"morning": "am", "afternoon": "pm", "evening": "pm", None: None}.get(said["part"], "?")
        meridiem = said["ap"] or part or ("pm" if said["night"] else None)
        if meridiem == "?":
            return None
    match = re.fullmatch(r"(?P<h>\d{1,2}|[a-z]+)(?::(?P<mm>\d{2})| o'clock| oh (?P<oh>[a-z]+)| (?P<mw>[a-z0-9 ]+))?",
                         text)
    if match is None:
        return None
    hour = int(match["h"]) if match["h"].isdigit() else _HOURS.get(match["h"], -1)
    minute: float | None = 0.0
    if match["mm"]:
        minute = int(match["mm"])
    elif match["oh"]:
        minute = _HOURS.get(match["oh"], 10) if _HOURS.get(match["oh"], 10) < 10 else None
    elif match["mw"]:
        minute = parse_number(match["mw"])
        minute = minute if minute is not None and minute >= 10 else None  # "five three" is not a time
    if minute is None or not (0 <= minute < 60 and minute == int(minute)) or not 0 <= hour <= 23:
        return None
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif hour > 12 or hour == 0 or (match["mm"] and match["h"].startswith("0")):
        meridiem = "pm" if hour >= 12 else "am"  # "17:30", "08:15": a 24-hour clock says which half
    return hour, int(minute), meridiem
