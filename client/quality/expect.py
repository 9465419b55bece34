"""Answers known only when asked: the time of day (anywhere), today's weekday, date, month, year,
and durations mentioned in a reply. All functions read text already passed through
:func:`client.quality.normalize.normalize`.

Times are read as a listener would: "3:05 pm", "15:05", "3 05", "3 oh 5" (from "three oh five"),
"3 pm", "3 oclock", "half past 3", "quarter to 4", "10 past 3", "noon", "midnight"; with am/pm
(or "in the morning/afternoon/evening", "at night") the hour is taken on the 24-hour clock, a
bare hour above 12 (or 0) is 24-hour, any other bare hour is compared on the 12-hour dial.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from client.quality.normalize import normalize

TIME_TOLERANCE_MIN = 2
"""A stated time is right within this many minutes of the true one."""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
             "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()

_UNIT_ORDINALS = "|".join(_ORDINALS[:9])
_AMPM = r"(?:\s*([ap])\.?\s?m\b\.?|\s+(in the morning|in the afternoon|in the evening|at night|tonight))?"
_CLOCK = [
    re.compile(r"(?<![\d.:])(\d{1,2}):(\d{2})(?!\d)" + _AMPM),
    re.compile(r"(?<![\d.:])(\d{1,2})\s+(?:oh\s+(\d)|(\d{2}))(?!\d)(?![.:]\d)" + _AMPM),
    # Not the minutes of "3 05 pm" or "3 oh 5 pm".
    re.compile(r"(?<![\d.:])(?<!\d\s)(?<!oh\s)(\d{1,2})(?:\s*([ap])\.?\s?m\b\.?|\s+oclock" + _AMPM + ")"),
]
_PAST = re.compile(r"\b(half|quarter|\d{1,2})(?: minutes?)? (past|after|to|before|till) (\d{1,2})(?![\d:])" + _AMPM)


def _hour24(hour: int, marker: str | None) -> int | None:
    """The hour on the 24-hour clock when ``marker`` (a/p or a phrase) fixes it; None: 12-hour dial."""
    if not marker:
        return hour if hour > 12 or hour == 0 else None
    pm = marker in ("p", "in the afternoon", "in the evening", "at night", "tonight")
    if hour > 12:
        return hour
    return hour % 12 + (12 if pm else 0)


def clock_times(text: str) -> list[tuple[int, int, bool]]:
    """Times of day stated in ``text``: (hour, minute, on_24h_clock); on the 12-hour dial the hour is 0..11."""
    found: list[tuple[int, int, bool]] = []

    def add(hour: int, minute: int, marker: str | None) -> None:
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            return
        h24 = _hour24(hour, marker)
        found.append((h24, minute, True) if h24 is not None else (hour % 12, minute, False))

    for m in _CLOCK[0].finditer(text):
        add(int(m.group(1)), int(m.group(2)), m.group(3) or m.group(4))
    for m in _CLOCK[1].finditer(text):
        add(int(m.group(1)), int(m.group(2) or m.group(3)), m.group(4) or m.group(5))
    for m in _CLOCK[2].finditer(text):
        add(int(m.group(1)), 0, m.group(2) or m.group(3) or m.group(4))
    for m in _PAST.finditer(text):
        amount = {"half": 30, "quarter": 15}.get(m.group(1)) or int(m.group(1))
        hour = int(m.group(3))
        if m.group(2) in ("past", "after"):
            add(hour, amount, m.group(4) or m.group(5))
        else:
            add((hour - 1) % 24 if hour != 1 else 12, 60 - amount, m.group(4) or m.group(5))
    if re.search(r"\bnoon\b|\bmidday\b", text):
        found.append((12, 0, True))
    if re.search(r"\bmidnight\b", text):
        found.append((0, 0, True))
    return found


def time_matches(text: str, now: datetime, tolerance_min: int = TIME_TOLERANCE_MIN) -> bool:
    """Whether ``text`` states the time of ``now`` (an aware datetime in the zone asked about)."""
    true_min = now.hour * 60 + now.minute  # a stated time drops the seconds, as a clock does
    for hour, minute, full in clock_times(text):
        period = 24 * 60 if full else 12 * 60
        diff = abs((hour * 60 + minute) - true_min % period) % period
        if min(diff, period - diff) <= tolerance_min:
            return True
    return False


def _first(text: str, names: tuple[str, ...]) -> str | None:
    hits = [(m.start(), name) for name in names for m in re.finditer(rf"\b{name}\b", text)]
    return min(hits)[1] if hits else None


def day_words(day: int) -> tuple[str, ...]:
    """How day ``day`` of a month may appear after normalization: "21", "21st", "20 first", "twentieth"."""
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(day % 10 if day not in (11, 12, 13) else 0, "th")
    ordinal = _ORDINALS[day - 1] if day <= 20 else ("thirtieth" if day == 30 else (
        normalize(("twenty " if day < 30 else "thirty ") + _ORDINALS[day % 10 - 1])))
    return str(day), f"{day}{suffix}", ordinal


def date_matches(text: str, when: datetime) -> bool:
    """``text`` names the date of ``when``: month and day in words, or written m/d, d/m or y-m-d."""
    month = MONTHS[when.month - 1]
    day = "|".join(re.escape(w) for w in day_words(when.day))
    # The guards keep "20 first" (21st, normalized) from reading as the 20th or as the 1st.
    spoken = (rf"\b{month}\s+(?:the\s+)?(?:{day})(?!\w)(?![.:]\d)(?!\s+(?:{_UNIT_ORDINALS})\b)",
              rf"(?<!\w)(?<!\d\s)(?:the\s+)?(?:{day})\s+(?:of\s+)?{month}\b")
    written = (rf"(?<![\d/.]){when.month}/{when.day}(?!\d)", rf"(?<![\d/.]){when.day}/{when.month}(?!\d)",
               rf"\b{when.year}-{when.month:02d}-{when.day:02d}\b")
    return any(re.search(p, text) for p in spoken + written)


def year_matches(text: str, when: datetime) -> bool:
    """The year as digits ("2026") or as spoken in two halves ("20 26", from "twenty twenty-six")."""
    year = str(when.year)
    return bool(re.search(rf"(?<![\d.]){year}(?!\d)|(?<![\d.]){year[:2]} {year[2:]}(?!\d)", text))


def check_expectation(expect: str, text: str, now: datetime, zone: str) -> str | None:
    """None when ``text`` meets the computed expectation ``expect``; else what was expected.

    ``expect``: "time" (in ``zone``) or "time@Area/City", "weekday", "weekday+N" / "weekday-N" (N days
    from today), "date" / "date+N", "month", "year". ``now``: aware, when the question was asked.
    """
    name, _, where = expect.partition("@")
    base, sign, offset = re.fullmatch(r"([a-z]+)(?:([+-])(\d+))?", name).groups()  # type: ignore[union-attr]
    local = now.astimezone(ZoneInfo(where or zone))
    when = local + timedelta(days=int(offset or 0) * (-1 if sign == "-" else 1))
    if base == "time":
        ok = time_matches(text, local)
        return None if ok else f"the time {local:%H:%M} ({where or zone}) +-{TIME_TOLERANCE_MIN} min"
    if base == "weekday":
        weekday = WEEKDAYS[when.weekday()]
        return None if _first(text, WEEKDAYS) == weekday else f"weekday {weekday} named first"
    if base == "date":
        return None if date_matches(text, when) else f"the date {MONTHS[when.month - 1]} {when.day}"
    if base == "month":
        month = MONTHS[when.month - 1]
        return None if _first(text, MONTHS) == month else f"month {month} named first"
    if base == "year":
        return None if year_matches(text, when) else f"the year {when.year}"
    raise ValueError(f"unknown expectation {expect!r}")


_UNIT_S = {"hour": 3600, "hr": 3600, "minute": 60, "min": 60, "second": 1, "sec": 1}
_AMOUNT = re.compile(r"\b(\d+(?:\.\d+)?|half an?|a half|an?)(?: and (?:a )?half)? (hour|hr|minute|min|second|sec)s?"
                     r"(?: and a half)?\b")


def durations(text: str) -> list[float]:
    """Durations in seconds stated in ``text``; adjacent amounts add up ("1 minute and 30 seconds" -> 90),
    and each single amount counts too."""
    found: list[float] = []
    run: list[float] = []
    last_end = -1
    for m in _AMOUNT.finditer(text):
        amount_text = m.group(1)
        amount = 0.5 if "half" in amount_text else (1.0 if amount_text in ("a", "an") else float(amount_text))
        if " and" in m.group(0) and "half" in m.group(0).split(" and", 1)[1]:
            amount += 0.5
        seconds = amount * _UNIT_S[m.group(2)]
        between = text[last_end : m.start()] if last_end >= 0 else None
        if between is not None and re.fullmatch(r"\s*(?:,|and|,\s*and)?\s*", between):
            run.append(seconds)
        else:
            run = [seconds]
        found.append(seconds)
        if len(run) > 1:
            found.append(sum(run))
        last_end = m.end()
    return found
