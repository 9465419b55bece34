"""The clock and the calendar: "What time is it in Tokyo?", "What's tomorrow's date?", "What year is it?"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.tools.durations import format_duration
from app.tools.places import find_place, multi_zone_country
from app.tools.text import Utterance
from app.tools.types import ToolAnswer, ToolContext

_PLACE = r"(?: (?:over |out |right |down |up )?in (?P<place>[a-z' ]{2,40}?))?"
_TIME = re.compile(
    r"(?:what time is it|what time it is|what is the (?:current |local |exact )?time(?: (?:is it|of day))?"
    r"|(?:the )?(?:current|local|exact) time|the time|what hour is it|do you have the time|what time do you have"
    r"|time check|what is the time of day|(?P<bare>time))" + _PLACE + r"(?: today| here)?"
)
_WHEN = r"(?: (?P<when>today|tomorrow|yesterday))?"
_DAY = r"(?:date|day(?: of the (?:week|month))?)"
_DATES = tuple(
    re.compile(pattern)
    for pattern in (
        r"(?:what|which) (?:is|was|will be) (?:the )?(?:(?P<when1>today|tomorrow|yesterday) )?" + _DAY
        + r"(?: going to be| be)?" + _PLACE + _WHEN,
        r"(?:what|which) " + _DAY + r" (?:is it|is|was it|was|will it be|will be|would it be|is it going to be"
        r"|are we|do we have)" + _PLACE + _WHEN,
        r"what (?:is|was) (?P<when1>today|tomorrow|yesterday)",
        # What is left of "do you know what day it is" and "can you tell me what the date is".
        r"what " + _DAY + r" (?:it is|it was|it will be|today is|tomorrow is|yesterday was)" + _PLACE + _WHEN,
        r"what (?:the |today |tomorrow )?date is" + _PLACE + _WHEN,
        r"(?:the )?(?:(?P<when1>today|tomorrow|yesterday) )?date" + _PLACE + _WHEN,
        r"(?P<and_time>(?:what is )?the (?:date and time|time and date))" + _PLACE,
    )
)
_YEAR_MONTH = re.compile(
    r"(?:what|which) (?P<what>year|month) (?:is it|is this|are we in|is it today|it is|we are in)"
    r"|what is the (?:current )?(?P<what2>year|month)(?: today)?"
)
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_IS_WEEKDAY = re.compile(r"is (?:it|today) (?P<day>" + "|".join(_WEEKDAYS) + r")(?: today)?")
_MY_ZONE = re.compile(r"what (?:is my time zone|time zone am i in|time zone is this|is the time zone here)")
_ZONE_OF = re.compile(r"what (?:is the )?time zone (?:is|of|for|in) (?P<place>[a-z' ]{2,40}?)(?: in)?")
# Words after "in" that are a time of day or a figure of speech, not a place: leave those to the model.
_NOT_PLACES = frozenset(
    "the morning|the afternoon|the evening|the world|your opinion|the movie|the film|the show|the game|the book"
    "|the story|real life|the song|the video|binary|roman numerals|military time|words|24 hour time".split("|")
)
# An unknown "place" with these words is not a place at all ("the date in the Chinese calendar").
_NOT_PLACE_WORDS = frozenset(
    "a an my your his her our their this that these those of and or in on at for to with is are was what how when"
    " calendar year years format numbers numerals binary words letters military hour hours minutes seconds time"
    " zone zones real life game movie history past future dream space heaven hell".split()
)
_SAID_ZONES = {
    "utc": ("UTC", "UTC"), "gmt": ("UTC", "GMT"), "eastern time": ("America/New_York", "Eastern Time"),
    "pacific time": ("America/Los_Angeles", "Pacific Time"), "central time": ("America/Chicago", "Central Time"),
    "mountain time": ("America/Denver", "Mountain Time"),
}


def user_zone(context: ToolContext) -> ZoneInfo:
    """The user's zone: theirs, else the node's, else UTC (also when a name is not a zone)."""
    for name in (context.timezone, context.node_timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def clock_text(moment: datetime, *, short: bool = False) -> str:
    """ "3:05 PM" (``short``: "3 PM" on the hour)."""
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    return f"{hour} {suffix}" if short and moment.minute == 0 else f"{hour}:{moment.minute:02d} {suffix}"


def date_text(moment: datetime) -> str:
    """ "Tuesday, December 1, 2026"."""
    return f"{moment:%A}, {moment:%B} {moment.day}, {moment.year}"


def _place(utterance: Utterance, match: re.Match[str]) -> tuple[ZoneInfo, str] | str | None:
    """(zone, display) of the place named; a sentence saying why not when its zone is unknown; "" when the
    words after "in" are no place name at all; None when no place is named."""
    name = match.groupdict().get("place")
    if not name or name in ("here", "this place"):
        return None
    if name in _SAID_ZONES:
        zone, display = _SAID_ZONES[name]
        return ZoneInfo(zone), display
    found = find_place(name)
    if found is not None:
        return ZoneInfo(found[0]), found[1]
    country = multi_zone_country(name)
    if country is not None:
        return f"{country[0].upper()}{country[1:]} has several time zones; which city do you mean?"
    words = name.removeprefix("the ").split()
    if len(words) > 3 or any(w in _NOT_PLACE_WORDS or not w.isalpha() for w in words):
        return ""  # not a place: the model's question
    said = utterance.original(*match.span("place"))
    said = said if said != said.lower() else said.title()
    said = "the " + said[4:] if said.startswith("The ") else said
    return f"I don't know the time zone of {said}."


def _time(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    match = _TIME.fullmatch(utterance.text)
    if match is None or (match["bare"] and not match["place"]) or match["place"] in _NOT_PLACES:
        return None
    here = datetime.fromtimestamp(context.now_s, user_zone(context))
    place = _place(utterance, match)
    if isinstance(place, str):
        return ToolAnswer("clock", place) if place else None
    if place is None:
        return ToolAnswer("clock", f"It's {clock_text(here)}.")
    there = datetime.fromtimestamp(context.now_s, place[0])
    day = "" if there.date() == here.date() else f" on {there:%A}"  # Tokyo may already be tomorrow
    return ToolAnswer("clock", f"It's {clock_text(there)}{day} in {place[1]}.")


def _date(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    match = next((m for m in (p.fullmatch(utterance.text) for p in _DATES) if m), None)
    if match is None or match.groupdict().get("place") in _NOT_PLACES:
        return None
    groups = match.groupdict()
    when = groups.get("when") or groups.get("when1") or "today"
    place = _place(utterance, match)
    if isinstance(place, str):
        return ToolAnswer("calendar", place) if place else None
    zone, where = (user_zone(context), "") if place is None else (place[0], f"In {place[1]}, ")
    moment = datetime.fromtimestamp(context.now_s, zone)
    if groups.get("and_time"):
        sentence = f"It's {clock_text(moment)} on {date_text(moment)}."
        return ToolAnswer("calendar", f"{where}{sentence[0].lower()}{sentence[1:]}" if where else sentence)
    shift = {"today": 0, "tomorrow": 1, "yesterday": -1}[when]
    day = moment + timedelta(days=shift)
    verb = "was" if when == "yesterday" else "is"
    sentence = f"{when.capitalize()} {verb} {date_text(day)}."
    return ToolAnswer("calendar", f"{where}{sentence[0].lower()}{sentence[1:]}" if where else sentence)


def _year_month(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    match = _YEAR_MONTH.fullmatch(utterance.text)
    if match is None:
        return None
    moment = datetime.fromtimestamp(context.now_s, user_zone(context))
    return ToolAnswer("calendar", f"It's {moment.year}." if "year" in (match["what"], match["what2"])
                      else f"It's {moment:%B}.")


def _weekday(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    match = _IS_WEEKDAY.fullmatch(utterance.text)
    if match is None:
        return None
    today = datetime.fromtimestamp(context.now_s, user_zone(context))
    if _WEEKDAYS[today.weekday()] == match["day"]:
        return ToolAnswer("calendar", f"Yes, today is {date_text(today)}.")
    return ToolAnswer("calendar", f"No, today is {date_text(today)}.")


def _offset(zone: ZoneInfo, now_s: float) -> str:
    """ "9 hours ahead of UTC", "5 hours and 30 minutes ahead of UTC", "the same as UTC" at ``now_s``."""
    offset = datetime.fromtimestamp(now_s, zone).utcoffset() or timedelta(0)
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "the same as UTC"
    return f"{format_duration(abs(minutes) * 60)} {'ahead of' if minutes > 0 else 'behind'} UTC"


def _zone_name(zone: ZoneInfo) -> str:
    """ "Europe/Paris" -> "Paris time"; "UTC" stays."""
    return zone.key if "/" not in zone.key else zone.key.rsplit("/", 1)[1].replace("_", " ") + " time"


def _zone(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    if _MY_ZONE.fullmatch(utterance.text):
        zone = user_zone(context)
        return ToolAnswer("clock", f"Your time zone is {_zone_name(zone)}, {_offset(zone, context.now_s)}.")
    match = _ZONE_OF.fullmatch(utterance.text)
    if match is None or match["place"] in _NOT_PLACES:
        return None
    place = _place(utterance, match)
    if place is None or isinstance(place, str):
        return ToolAnswer("clock", place) if place else None
    zone, display = place
    sentence = f"{display} is on {_zone_name(zone)}, {_offset(zone, context.now_s)}."
    return ToolAnswer("clock", sentence[0].upper() + sentence[1:])


def answer_clock(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """The time, the date, the weekday, the month or the year, here or in a named place; else None."""
    for tool in (_time, _date, _year_month, _weekday, _zone):
        found = tool(utterance, context)
        if found is not None:
            return found
    return None
