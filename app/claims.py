"""What the model may not claim: the time of day, or what day it is. It has no clock.

The clock and calendar tools answer every such request they understand, exactly. A request they
do not understand (misheard: "What's the time in sending it right out?") reaches the model,
and the 0.5B model then states a time anyway ("The time in sending it right out is typically
2:00 PM."; three different times in three tries). A clause of the model's that states a time of
day as the time now, or today's weekday or date, is therefore never spoken: the reply ends with
:data:`NO_CLOCK` in its place.
"""

from __future__ import annotations

import re

NO_CLOCK = "I can't tell that time; ask me the time here, or in a city by name."
"""Said instead of a time or date the model made up."""

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


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def invents_clock(clause: str, before: str = "") -> bool:
    """Whether a clause of the model's states the time now, or what day or date it is; ``before``:
    the reply so far, whose unfinished sentence the clause goes on ("The time in" | "Bali is 10 AM.")."""
    unfinished = _SENTENCE_END.split(before.strip())[-1] if before.strip() else ""
    if unfinished.endswith((".", "!", "?")):
        unfinished = ""
    text = f"{unfinished} {clause}".replace("\u2019", "'")
    return any(bool(_TIME_OF_DAY.search(s) and _NOW.search(s)) or _DAY_CLAIM.search(s) is not None
               for s in _SENTENCE_END.split(text))
