"""Asking about and cancelling pending timers: "How much time is left?", "List my timers", "Cancel the tea timer"."""

from __future__ import annotations

import re

from app.tools.durations import DURATION_RE, format_remaining, parse_duration
from app.tools.text import Utterance
from app.tools.timers import second_person
from app.tools.types import CancelTimers, Timer, ToolAnswer, ToolContext

_NOUN = r"(?P<noun>timers?|reminders?|alarms?|countdowns?)"
_WHICH = (
    rf"(?:(?:the|my|that|this|your|our) )?(?:(?P<dur>{DURATION_RE}) |(?P<pre>[a-z']+(?: [a-z']+)?) )?{_NOUN}"
    r"(?: (?P<conn>for|to|about|called|named|that) (?:the |my )?(?P<post>.+))?"
)
_LEFT_FORMS = tuple(
    re.compile(p)
    for p in (
        rf"(?:how much time|how long|how much longer|how many minutes|how many seconds|how many hours)"
        rf"(?: is| are| do i have| do we have| have i got)?(?P<left> left| remaining| to go)?"
        rf"(?: (?:on|for|in|until|till) {_WHICH})?",
        rf"how (?:long|much time) (?:until|till|before|is it until|is it till) {_WHICH}"
        r"(?: goes off| is done| rings| ends| finishes| is up| fires)?",
        rf"when (?:does|will|is) {_WHICH}(?: go off| be done| ring| end| finish| done| due| up)?",
        rf"(?:time|how much) (?:left|remaining)(?: (?:on|for|in) {_WHICH})?",
        rf"what is left on {_WHICH}",
        rf"(?:check|how is|how are) {_WHICH}(?: doing| going)?",
        rf"is {_WHICH} (?:done|finished|up) yet",
    )
)
_LIST_FORMS = tuple(
    re.compile(p)
    for p in (
        rf"(?:what|which) {_NOUN} (?:do i have|have i got|do we have|are (?:running|set|on|going|active|pending)"
        r"|have i set|did i set|are there)(?: running| set| going| on)?",
        rf"(?:list|show|show me|tell me|read|read me|what are)(?: all)?(?: of)? (?:my|the|our|all)(?: my)? {_NOUN}",
        rf"(?:do i have|have i got|are there|is there|do we have) (?:any|a) {_NOUN}"
        r"(?: running| set| going| on| active)?",
        rf"(?:are|is) (?:any|there any|there a) {_NOUN} (?:running|set|going|on|active)",
        rf"how many {_NOUN} (?:do i have|have i got|are (?:running|set|there)|do we have)",
        rf"my {_NOUN}",
    )
)
_CANCEL_VERB = (
    r"(?:cancel|stop|delete|remove|clear|turn off|switch off|kill|end|dismiss|abort|disable|get rid of|forget"
    r"|shut off|silence|never mind|forget about)"
)
_CANCEL_FORMS = tuple(
    re.compile(p)
    for p in (
        rf"{_CANCEL_VERB} (?P<all>all|all of|all the|all of the|all my|all of my|both|both of my|both the|every)"
        rf" {_NOUN}",
        rf"{_CANCEL_VERB} {_WHICH}",
        rf"(?:turn|switch|shut) {_WHICH} off",
    )
)


_ALL_WORDS = frozenset("all both every any of".split())


def _kind(noun: str) -> str:
    return "reminder" if noun.startswith("reminder") else "timer"


def _pick(utterance: Utterance, match: re.Match[str], context: ToolContext) -> tuple[list[Timer], str]:
    """The timers the words point at, and the noun phrase to say when there are none ("tea timer")."""
    groups = match.groupdict()
    noun = groups.get("noun") or "timer"
    kind = _kind(noun)
    pending = [t for t in context.timers if t.kind == kind]
    if kind == "timer" and not pending and not any(groups.get(g) for g in ("pre", "post", "dur")):
        pending = list(context.timers)  # "how long is left on my timer" about a reminder is still clear
    named = ""
    if groups.get("dur"):
        seconds = parse_duration(groups["dur"])
        pending = [t for t in pending if seconds is not None and abs(t.duration_s - seconds) < 1]
        named = f"{groups['dur']} {kind}"
    for part in ("pre", "post"):
        if groups.get(part) and not set(groups[part].split()) & _ALL_WORDS:
            words = second_person(groups[part]).lower().split()
            pending = [t for t in pending if set(words) <= set(t.label.lower().split())]
            named = f"{groups[part]} {kind}" if part == "pre" else f"{kind} {groups['conn']} {' '.join(words)}"
    return sorted(pending, key=lambda t: t.due_s), named or f"{kind}s"


def _none(named: str) -> str:
    return f"You have no {named}."


def _left(timer: Timer, now_s: float) -> str:
    """ "your tea timer has 3 minutes left", "your reminder to call your mom is in 4 minutes"."""
    remaining = format_remaining(max(0.0, timer.due_s - now_s))
    if timer.kind == "reminder":
        return f"your {timer.describe()} is {'due now' if remaining.startswith('less') else 'in ' + remaining}"
    return f"your {timer.describe()} has {remaining} left"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def _count(timers: list[Timer]) -> str:
    """ "2 timers and 1 reminder"."""
    parts = []
    for kind in ("timer", "reminder"):
        n = sum(t.kind == kind for t in timers)
        if n:
            parts.append(f"{n} {kind}{'' if n == 1 else 's'}")
    return " and ".join(parts)


def _answer_left(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    match = next((m for m in (f.fullmatch(utterance.text) for f in _LEFT_FORMS) if m), None)
    if match is None:
        return None
    groups = match.groupdict()
    if groups.get("noun") is None and not groups.get("left") and not utterance.text.startswith("how much longer"):
        return None  # "how long" alone, "how many minutes" alone: not about a timer
    timers, named = _pick(utterance, match, context)
    if not timers:
        return ToolAnswer("timer", _none(named))
    return ToolAnswer("timer", " ".join(_sentence(_left(t, context.now_s)) for t in timers))


def _answer_list(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    match = next((m for m in (f.fullmatch(utterance.text) for f in _LIST_FORMS) if m), None)
    if match is None:
        return None
    timers, named = _pick(utterance, match, context)
    if not match["noun"].startswith("reminder"):
        timers = sorted(context.timers, key=lambda t: t.due_s)  # reminders are timers too, to most people
    if not timers:
        return ToolAnswer("timer", _none(named))
    # One sentence a timer: "4 minutes and 5 seconds" already has an "and" that a list would blur.
    items = " ".join(_sentence(_left(t, context.now_s)) for t in timers)
    return ToolAnswer("timer", f"You have {_count(timers)}. {items}")


def _answer_cancel(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    match = next((m for m in (f.fullmatch(utterance.text) for f in _CANCEL_FORMS) if m), None)
    if match is None:
        return None
    timers, named = _pick(utterance, match, context)
    if not timers:
        return ToolAnswer("timer", _none(named))
    pre = match.groupdict().get("pre") or ""
    every = match.groupdict().get("all") or match["noun"].endswith("s") or set(pre.split()) & _ALL_WORDS
    if len(timers) > 1 and not every:
        names = _join([f"the {t.describe()}" for t in timers]).replace(" and ", " or ")
        return ToolAnswer("timer", f"You have {_count(timers)}. Which one should I cancel: {names}?")
    ids = tuple(t.id for t in timers)
    kinds = {t.kind for t in timers}
    if len(timers) == 1:
        text = f"OK, I canceled your {timers[0].describe()}."
    elif len(kinds) > 1:
        text = f"OK, I canceled your {_count(timers)}."
    else:
        text = f"OK, I canceled {'both' if len(timers) == 2 else f'all {len(timers)}'} {timers[0].kind}s."
    return ToolAnswer("timer", text, CancelTimers(ids))


def answer_timer_status(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """Time left, the list, or a cancellation of the session's timers; None when the words are about none."""
    for tool in (_answer_left, _answer_list, _answer_cancel):
        found = tool(utterance, context)
        if found is not None:
            return found
    return None
