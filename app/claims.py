"""What the model may not claim: the time of day, what day it is, or a live value. It has no
clock and no live data.

The clock and calendar tools answer every such request they understand, exactly. A request they
do not understand (misheard: "What's the time in sending it right out?") reaches the model,
and the 0.5B model then states a time anyway ("The time in sending it right out is typically
2:00 PM."; three different times in three tries). A clause of the model's that states a time of
day as the time now, or today's weekday or date, is therefore never spoken: the reply ends with
:data:`NO_CLOCK` in its place.

Live values are the same case: the live-data tool answers the requests it understands, and a
misheard one ("How much is the share on my build stock today?") got "The share on my build
stock today is $1." A clause that states a price or an amount of money, or a temperature, as
it is now (today, currently, right now, tomorrow's forecast) ends the reply with
:data:`NO_LIVE_DATA`. Prices and temperatures inside facts ("Water boils at 100 degrees", "The
first iPhone cost $499") carry no such word and are left alone.
"""

from __future__ import annotations

import re

NO_CLOCK = "I can't tell that time; ask me the time here, or in a city by name."
"""Said instead of a time or date the model made up."""
NO_LIVE_DATA = "I can't check that from here; I don't have live data on this device."
"""Said instead of a price or a forecast the model made up (the live-data tool's words)."""

_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2} ?(?:a\.? ?m\b\.?|p\.? ?m\b\.?)", re.IGNORECASE)
"""2:00, 10:30 PM, 14:05, 3 PM, 11 a.m."""
_NOW = re.compile(r"\b(?:time|currently|now|right now|it is|it's|clock)\b", re.IGNORECASE)
"""Words that make a time of day the time now ("The time in Bali is 10:35 AM", "It is currently
10:30 AM"), not a fact with a time in it ("The store opens at 9 AM")."""
_DAY_CLAIM = re.compile(
    rf"\b(?:today|tomorrow|yesterday) (?:is|was|will be) (?:a )?(?:{_WEEKDAY}|{_MONTH} \d)"
    rf"|\b(?:it is|it's) (?:currently |now )?(?:{_WEEKDAY}|{_MONTH} \d)"
    r"|\bthe (?:current )?date (?:is|was) (?:now )?\d",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(?:dollars?|euros?|yen|cents?|usd|eur|gbp)\b", re.IGNORECASE
)
"""$1, € 20, 3.50 dollars, 100 euros ("pounds" also weigh: only "£" counts)."""
_TEMPERATURE = re.compile(r"-?\d+(?:\.\d+)?\s?(?:°|degrees?\b)", re.IGNORECASE)
"""72°F, 20 degrees."""
_LIVE = re.compile(
    r"\b(?:today|tonight|tomorrow|currently|current|right now|at the moment|this (?:morning|afternoon|evening|week))\b",
    re.IGNORECASE,
)
"""Words that make a price or a temperature today's, not a fact's."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def invents_clock(clause: str, before: str = "") -> bool:
    """Whether a clause of the model's states the time now, or what day or date it is; ``before``:
    the reply so far, whose unfinished sentence the clause goes on ("The time in" | "Bali is 10 AM.")."""
    return _states_clock(_sentences(clause, before))


def invents_live_value(clause: str, before: str = "") -> bool:
    """Whether a clause of the model's states a price, an amount of money or a temperature as it is
    now or will be ("The share ... today is $1.", "Tomorrow will be sunny, 75°F."); ``before`` as for
    :func:`invents_clock`."""
    return _states_live_value(_sentences(clause, before))


def invented_claim(clause: str, before: str = "") -> str | None:
    """What to say instead of ``clause`` when it states something the model cannot know (the
    time, the date, a live value), else None."""
    sentences = _sentences(clause, before)
    if _states_clock(sentences):
        return NO_CLOCK
    if _states_live_value(sentences):
        return NO_LIVE_DATA
    return None


def _states_clock(sentences: list[str]) -> bool:
    return any(bool(_TIME_OF_DAY.search(s) and _NOW.search(s)) or _DAY_CLAIM.search(s) is not None
               for s in sentences)


def _states_live_value(sentences: list[str]) -> bool:
    return any(bool((_MONEY.search(s) or _TEMPERATURE.search(s)) and _LIVE.search(s)) for s in sentences)


def _sentences(clause: str, before: str) -> list[str]:
    """The sentences of ``clause``, the first one with the start of it that ``before`` left unfinished."""
    unfinished = _SENTENCE_END.split(before.strip())[-1] if before.strip() else ""
    if unfinished.endswith((".", "!", "?")):
        unfinished = ""
    return _SENTENCE_END.split(f"{unfinished} {clause}".replace("\u2019", "'"))
