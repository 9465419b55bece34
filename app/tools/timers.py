"""Setting timers and reminders: "Set a 5 minute timer for the tea", "Remind me at 5 PM to call mom"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from app.tools.clock import clock_text, user_zone
from app.tools.durations import (
    CLOCK_RE,
    DURATION_RE,
    duration_adjective,
    format_duration,
    parse_clock_time,
    parse_duration,
)
from app.tools.text import Utterance
from app.tools.types import SetTimer, Timer, ToolAnswer, ToolContext

MAX_DURATION_S = 24 * 3600.0
MAX_AHEAD_S = 48 * 3600.0
"""A reminder at a clock time ("tomorrow at 9 PM") may lie further ahead than a timer may last."""
MAX_PENDING = 20

_MISHEARD_VERBS = ("it is", "its", "said", "sets")
"""Whisper's "set" in unfamiliar voices ("It's a timer for one hour", "Said a timer for two
minutes"): they set a timer only with a duration said."""
_VERB = (
    r"(?:(?P<verb>set|start|make|create|put on|put|add|run|begin|give me|get me|i need|i want|i would like"
    rf"|can i have|can i get|we need|{'|'.join(_MISHEARD_VERBS)})"
    r"(?: up| me| us| on| of| at)? )?"  # "set of timer", "set at timer": Whisper's "set a timer"
)
_ART = r"(?:(?:a|an|the|one|my|another|a new|new) )?"
_NOUN = r"(?:timer|countdown|alarm)(?: on)?"
_GO_OFF = r"(?:(?:for|of|at|in|lasting|to go off in|that goes off in|to ring in|going off in) )?"
_LABEL = r"[a-z']+(?: [a-z']+){0,3}"
_NAMED = r"(?:for|called|named|labeled|labelled|titled)"
_ROUGHLY = r"(?:(?:like|about|around|roughly|approximately|maybe|just|exactly) )?"
_DUR = rf"{_ROUGHLY}(?P<dur>{DURATION_RE})(?: from now)?"
_TIMER_FORMS = tuple(
    re.compile(pattern)
    for pattern in (
        rf"{_VERB}{_ART}(?:(?P<dur1>{DURATION_RE}) )?(?:(?P<pre>{_LABEL}) )?{_NOUN}(?: {_GO_OFF}{_DUR})?"
        rf"(?: {_NAMED} (?:the |my |a |an )?(?P<post>{_LABEL}))?",
        rf"{_VERB}{_ART}(?:(?P<pre>{_LABEL}) )?{_NOUN} {_NAMED} (?:the |my |a |an )?(?P<post>{_LABEL})"
        rf" (?:for|of|lasting|in) {_DUR}",
        # "a timer for 10 minutes to check the oven" is a reminder in all but name.
        rf"{_VERB}{_ART}(?:(?P<dur1>{DURATION_RE}) )?{_NOUN}(?: {_GO_OFF}{_DUR})? to (?P<todo>.+)",
    )
)
# Words before "timer" that say what kind of timer it is, not what it is for; and words no label has.
_KIND_WORDS = frozenset("new another quick countdown simple kitchen cooking little".split())
_NOT_LABELS = frozenset("a an the my your for of to in is are what how why when this that good name app".split())

_REMIND = (
    r"(?:remind me|remind us|(?:set|create|add|make|schedule|give me|i need|i want) (?:a |an |me a )?reminder"
    r"|reminder|(?P<wake>wake me(?: up)?)|(?:set|create|add|make) (?:an |the |my )?(?P<alarm>alarm))"
)
_DAY = r"(?:today|tomorrow|tonight|this morning|this evening|this afternoon|tomorrow morning|tomorrow afternoon" \
       r"|tomorrow evening|tomorrow night)"
_IN = rf"(?:in|for|after) {_ROUGHLY}(?P<dur>{DURATION_RE})(?: from now)?"
_AT = rf"(?:(?P<day1>{_DAY}) )?(?:at|for|by|around) (?P<time>{CLOCK_RE})(?: (?P<day2>{_DAY}))?"
# Lazy: "to call the bank tomorrow at 3" leaves "tomorrow" to the time, not to the label.
_ABOUT = r"(?P<conn>to|about|that|of|for) (?P<label>.+?)"
_REMINDER_FORMS = tuple(
    re.compile(pattern)
    for pattern in (
        *(f"{_REMIND} {rest}" for rest in (_IN, _AT, f"{_IN} {_ABOUT}", f"{_AT} {_ABOUT}", f"{_ABOUT} {_IN}",
                                            f"{_ABOUT} {_AT}", _ABOUT)),
        f"{_IN} {_REMIND} {_ABOUT}",
        f"{_AT} {_REMIND} {_ABOUT}",
    )
)
_REMINDER_ALONE = re.compile(r"(?:set|create|add|make) (?:a |an |me a )?reminder|remind me")
_PRONOUNS = {"my": "your", "me": "you", "i": "you", "myself": "yourself", "mine": "yours", "am": "are",
             "we": "you", "our": "your", "us": "you", "ourselves": "yourselves"}


_ASK_WHEN = ToolAnswer("timer", "When should I remind you? For example, say: remind me in 10 minutes.")


def second_person(words: str) -> str:
    """ "call my mom" -> "call your mom": a label is said back to the user."""
    return " ".join(_PRONOUNS.get(w.lower(), w) for w in words.split())


def _article(seconds: float) -> str:
    """ "a" or "an" before the spoken duration: "an 8 minute timer", "an 11 second timer"."""
    lead = duration_adjective(seconds).split()[0]
    eleven = lead in ("11", "18") or (len(lead) == 5 and lead[:2] in ("11", "18"))  # eleven, eighteen thousand
    return "an" if lead.startswith("8") or eleven else "a"


def _refusal(seconds: float, context: ToolContext, limit: float, kind: str = "timer") -> str | None:
    """Why this timer may not be set, or None when it may."""
    if seconds <= 0:
        return "A timer needs a duration longer than zero." if kind == "timer" else "A reminder needs a later time."
    if seconds > limit:
        return f"I can only set timers and reminders up to {round(limit / 3600)} hours ahead."
    if len(context.timers) >= MAX_PENDING:
        return f"You already have {MAX_PENDING} timers and reminders; cancel one first."
    return None


def _timer_label(utterance: Utterance, match: re.Match[str]) -> str | None:
    """What the timer is for ("tea"), "" when unsaid, None when the words before "timer" are no label."""
    label = ""
    if match["pre"]:
        words = match["pre"].split()
        if any(w in _NOT_LABELS for w in words):
            return None  # "a good name for a timer": not a request
        said = utterance.original(*match.span("pre")).split()
        label = " ".join(w for w, low in zip(said, words, strict=True) if low not in _KIND_WORDS)
    post = match.groupdict().get("post")
    if post and any(w in ("for", "of", "in", "timer") for w in post.split()):
        return None
    if post:
        label = second_person(utterance.original(*match.span("post")))
    return label


def _set_timer(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    match = next((m for m in (form.fullmatch(utterance.text) for form in _TIMER_FORMS) if m), None)
    if match is None:
        return None
    groups = match.groupdict()
    said = groups.get("dur") or groups.get("dur1")
    if groups.get("todo"):
        return None if said is None else _remind(context, parse_duration(said), None, "to",
                                                 second_person(utterance.original(*match.span("todo"))))
    label = _timer_label(utterance, match)
    if label is None:
        return None
    if not said:
        if not match["verb"] or match["verb"] in _MISHEARD_VERBS:
            return None  # "It's a timer for the oven": said of a timer, not asked for one
        return ToolAnswer("timer", "How long should the timer be? For example, say: set a timer for 10 minutes.")
    seconds = parse_duration(said)
    if seconds is None:
        return None
    refusal = _refusal(seconds, context, MAX_DURATION_S)
    if refusal:
        return ToolAnswer("timer", refusal)
    timer = Timer(context.next_id, "timer", label, context.now_s + seconds, seconds)
    name = f"{duration_adjective(seconds)} {label} timer" if label else f"{duration_adjective(seconds)} timer"
    return ToolAnswer("timer", f"OK, {_article(seconds)} {name}, starting now.", SetTimer(timer))


def _clock_due(context: ToolContext, time: str, day: str | None) -> tuple[float, str] | str | None:
    """(Unix time of the next ``time`` on ``day``, how to say it), a refusal, or None when ``time`` is none."""
    parsed = parse_clock_time(time)
    if parsed is None:
        return None
    hour, minute, meridiem = parsed
    zone = user_zone(context)
    now = datetime.fromtimestamp(context.now_s, zone)
    day = day or ""
    if meridiem is None and any(w in day for w in ("afternoon", "evening", "night", "tonight")):
        hour, meridiem = hour % 12 + 12, "pm"
    elif meridiem is None and "morning" in day:
        hour, meridiem = hour % 12, "am"
    hours = [hour % 12, hour % 12 + 12] if meridiem is None else [hour]
    if day.startswith("tomorrow") and meridiem is None:
        hours = [hour % 12 if 7 <= hour <= 11 else hour % 12 + 12]  # "tomorrow at 9" is the morning, "at 3" not
    first = 1 if day.startswith("tomorrow") else 0
    candidates = []
    for shift in (first, first + 1):
        date = now.date() + timedelta(days=shift)
        for h in hours:
            moment = datetime(date.year, date.month, date.day, h, minute, tzinfo=zone)
            if moment > now:
                candidates.append(moment)
    due = min(candidates)
    if day in ("today", "this morning", "this afternoon", "this evening", "tonight") and due.date() != now.date():
        return "That time has already passed today."
    when = clock_text(due, short=True) + (" tomorrow" if due.date() != now.date() else "")
    return due.timestamp(), when


def _remind(context: ToolContext, seconds: float | None, at: tuple[float, str] | None, conn: str,
            label: str) -> ToolAnswer | None:
    """The reminder ``seconds`` from now or ``at`` a clock time, about ``label`` ("call your mom")."""
    if seconds is None and at is None:
        return None
    label = label.removesuffix(" please").strip()
    if conn in ("about", "of", "for"):
        label = f"about {label}"
    elif conn == "that":
        label = f"that {label}"
    due = at[0] if at else context.now_s + (seconds or 0)
    refusal = _refusal(due - context.now_s, context, MAX_AHEAD_S if at else MAX_DURATION_S, "reminder")
    if refusal:
        return ToolAnswer("timer", refusal)
    timer = Timer(context.next_id, "reminder", label, due, due - context.now_s)
    what = f" {timer.describe().removeprefix('reminder ')}" if label else ""
    when = f"at {at[1]}" if at else f"in {format_duration(seconds or 0)}"
    return ToolAnswer("timer", f"OK, I'll remind you{what} {when}.", SetTimer(timer))


def _set_reminder(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    match = next((m for m in (form.fullmatch(utterance.text) for form in _REMINDER_FORMS) if m), None)
    if match is None:
        return _ASK_WHEN if _REMINDER_ALONE.fullmatch(utterance.text) else None
    groups = match.groupdict()
    if match["alarm"] and not groups.get("time"):
        return None  # "set an alarm for 5 minutes" is a timer
    conn, label = groups.get("conn") or "to", ""
    if groups.get("label"):
        label = second_person(utterance.original(*match.span("label")))
    if match["wake"]:
        conn, label = "to", label or "wake up"
    at = None
    if groups.get("time"):
        at = _clock_due(context, groups["time"], groups.get("day1") or groups.get("day2"))
        if isinstance(at, str):
            return ToolAnswer("timer", at)
        if at is None:
            return None
    seconds = parse_duration(groups["dur"]) if groups.get("dur") else None
    if seconds is None and at is None:
        if groups.get("dur"):
            return None
        return _ASK_WHEN
    return _remind(context, seconds, at, conn, label)


def answer_set_timer(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """A new timer or reminder from a request to set one, a refusal, a question back, or None."""
    return _set_reminder(utterance, context) or _set_timer(utterance, context)
