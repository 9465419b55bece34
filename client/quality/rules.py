"""The scoring rule language: what a right reply must, may and must not say.

A :class:`Rule` is checked against the reply after :func:`~client.quality.normalize.normalize`
(lowercase, no apostrophes, number words as digits, no commas in numbers). Every *term* is a
Python regular expression matched as a whole word or phrase: it may not start or end inside a
word or a number (so "56" does not match "156" or "5.6", "rome" does not match "romeo"). A reply
is right when every condition that is set holds:

- ``all_of``: every term is found;
- ``any_of``: at least one term is found;
- ``none_of``: no term is found (an invented forecast, a wrong city, a made-up number);
- ``number_in`` (lo, hi): some number in the reply lies in [lo, hi];
- ``duration_in`` (lo, hi): some duration stated ("90 seconds", "1 minute and 30 seconds",
  "half an hour") lies in [lo, hi] seconds;
- ``timer_s``: the reply states exactly this duration (a timer's confirmation);
- ``expect``: a computed answer (:func:`client.quality.expect.check_expectation`): "time",
  "time@Asia/Tokyo" (that hour:minute within +-2 min), "weekday", "weekday+1", "date", "month", "year";
- ``either``: at least one of these sub-rules holds (for "it says X, or else it says Y").

Whatever the rule, a reply that only repeats the question (or its transcript) is wrong.

``timer_s`` also marks a timer request: timers of at most :data:`FIRE_CHECK_MAX_S` seconds are
expected to fire (a ``timer_fired`` message within the duration + :data:`FIRE_GRACE_S`); that is a
separate sub-score, see :mod:`client.quality.report`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from client.benchmark.stats import normalize_text
from client.quality.expect import check_expectation, durations
from client.quality.normalize import normalize, numbers_in

FIRE_CHECK_MAX_S = 20.0
"""Timers up to this long are waited for, and must fire."""
FIRE_GRACE_S = 5.0
"""A short timer must fire within its duration plus this, counted from the request's acoustic end."""


@dataclass(frozen=True)
class Rule:
    """What makes a reply right (see the module docstring)."""

    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    number_in: tuple[float, float] | None = None
    duration_in: tuple[float, float] | None = None
    timer_s: float | None = None
    expect: str = ""
    either: tuple[Rule, ...] = field(default=())

    def describe(self) -> str:
        """The rule in one line, for the report."""
        parts = [f"{name}={list(terms)}" for name, terms in
                 (("all_of", self.all_of), ("any_of", self.any_of), ("none_of", self.none_of)) if terms]
        parts += [f"{name}={value}" for name, value in (("number_in", self.number_in), ("duration_in",
                  self.duration_in), ("timer_s", self.timer_s)) if value is not None]
        parts += [f"expect={self.expect}"] if self.expect else []
        parts += ["either(" + " | ".join(r.describe() for r in self.either) + ")"] if self.either else []
        return " ".join(parts)

    @property
    def fire_check(self) -> bool:
        """Whether the timer this asks for is short enough to wait for."""
        return self.timer_s is not None and self.timer_s <= FIRE_CHECK_MAX_S


@dataclass(frozen=True)
class Verdict:
    """A scored reply: ``right``, and when wrong, what was missing or forbidden."""

    right: bool
    reasons: tuple[str, ...] = ()


def term_pattern(term: str) -> re.Pattern[str]:
    """``term`` as a whole-word regex: not inside a word, not inside a number ("5.6", "15:05")."""
    return re.compile(rf"(?<!\w)(?<!\d[.:])(?:{term})(?!\w)(?![.:]\d)")


def found(term: str, text: str) -> bool:
    """Whether the term occurs in normalized ``text`` as a whole word or phrase."""
    return term_pattern(term).search(text) is not None


def failures(rule: Rule, text: str, now: datetime, zone: str) -> list[str]:
    """Why normalized ``text`` breaks ``rule`` (empty: it keeps it)."""
    out = [f"missing {t!r}" for t in rule.all_of if not found(t, text)]
    if rule.any_of and not any(found(t, text) for t in rule.any_of):
        listed = str(list(rule.any_of))
        out.append(f"none of {listed}" if len(listed) <= 80 else f"none of the {len(rule.any_of)} any_of terms")
    out += [f"forbidden {t!r}" for t in rule.none_of if found(t, text)]
    if rule.number_in is not None:
        lo, hi = rule.number_in
        if not any(lo <= n <= hi for n in numbers_in(text)):
            out.append(f"no number in [{lo:g}, {hi:g}]")
    if rule.duration_in is not None:
        lo, hi = rule.duration_in
        if not any(lo <= d <= hi for d in durations(text)):
            out.append(f"no duration in [{lo:g}, {hi:g}] s")
    if rule.timer_s is not None and not any(abs(d - rule.timer_s) < 0.5 for d in durations(text)):
        out.append(f"duration {rule.timer_s:g} s not confirmed")
    if rule.expect:
        missed = check_expectation(rule.expect, text, now, zone)
        if missed:
            out.append(f"expected {missed}")
    if rule.either:
        alternatives = [failures(r, text, now, zone) for r in rule.either]
        if all(alternatives):
            out.append("no alternative held: " + " / ".join("; ".join(a) for a in alternatives))
    return out


def _bare(text: str) -> str:
    """Words only, numbers as digits: "Set a timer for ten seconds." and "set a timer for 10 seconds" agree."""
    return normalize_text(normalize(text))


def score(rule: Rule, reply: str, now: datetime, zone: str, *, echo_of: tuple[str, ...] = ()) -> Verdict:
    """Score a raw reply; ``now`` (aware) is when it was answered, ``zone`` the session's IANA time zone.

    A reply that only repeats ``echo_of`` (the question, what was heard) is wrong whatever it says:
    "Set a timer for 10 seconds." parroted back names the duration but sets nothing.
    """
    if not reply.strip():
        return Verdict(False, ("no reply",))
    if _bare(reply) in {_bare(e) for e in echo_of if e.strip()}:
        return Verdict(False, ("echoes the question",))
    why = failures(rule, normalize(reply), now, zone)
    return Verdict(not why, tuple(why))


def check_rule(rule: Rule) -> None:
    """Raise ValueError when a term does not compile or an expectation is unknown (for the set's tests)."""
    for term in (*rule.all_of, *rule.any_of, *rule.none_of):
        try:
            term_pattern(term)
        except re.error as exc:
            raise ValueError(f"bad term {term!r}: {exc}") from None
    if rule.expect:
        try:
            check_expectation(rule.expect, "", datetime.now().astimezone(), "UTC")
        except (AttributeError, KeyError, ValueError) as exc:
            raise ValueError(f"bad expectation {rule.expect!r}: {exc}") from None
    for sub in rule.either:
        check_rule(sub)
