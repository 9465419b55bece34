"""Numbers as Whisper writes them ("10", "2.5", "twenty five", "a hundred and five", "one and a half") to floats.

Input is normalized text (lowercase, hyphens and commas inside numbers already removed, see ``text.py``).
"""

from __future__ import annotations

import math
import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_FRACTIONS = {"half": 0.5, "halves": 0.5, "quarter": 0.25, "quarters": 0.25, "third": 1 / 3, "thirds": 1 / 3}
_DIGITS = re.compile(r"\d+(?:\.\d+)?|\.\d+")

NUMBER_WORDS = frozenset(
    [*_UNITS, *_TEENS, *_TENS, *_SCALES, *_FRACTIONS, "hundred", "a", "an", "and", "point", "couple", "of",
     "dozen", "minus", "negative"]
)
"""Every word that may appear inside a spoken number (the parser decides whether a sequence is one)."""

_TOKEN_RE = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b"
NUMBER_RE = rf"(?:{_TOKEN_RE}(?: {_TOKEN_RE})*)"
"""Regex fragment for a run of number tokens; ``parse_number`` validates what it caught."""


def _whole(words: list[str]) -> float | None:
    """A whole number in words ("a hundred and five", "twenty one", "3 thousand"), or None."""
    total = current = 0.0
    last_scale = 0
    last = ""  # kind of the previous token: "", "unit", "teen", "tens", "hundred", "scale", "and"
    seen = False
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word in ("a", "an") and not seen:
            if nxt not in ("hundred", "thousand", "million", "billion", "dozen"):
                return None
            current, last, seen = 1, "unit", True
        elif _DIGITS.fullmatch(word):
            if last not in ("", "scale", "and") or (last == "and" and current % 100):
                return None
            current += float(word)
            last, seen = "digits", True
        elif word in _UNITS:
            if last in ("unit", "teen", "digits") or (last == "and" and current % 10):
                return None
            if word == "zero" and len(words) > 1:
                return None
            current += _UNITS[word]
            last, seen = "unit", True
        elif word in _TEENS or word in _TENS:
            if last in ("unit", "teen", "tens", "digits") or current % 100:
                return None
            current += _TEENS.get(word) or _TENS[word]
            last, seen = ("teen" if word in _TEENS else "tens"), True
        elif word == "hundred":
            if not 1 <= current < 100 or last == "hundred":
                return None
            current *= 100
            last = "hundred"
        elif word in _SCALES:
            scale = _SCALES[word]
            if current < 1 or (last_scale and scale >= last_scale):
                return None  # "a thousand million" is not how anyone says a billion
            total += current * scale
            current, last, last_scale = 0, "scale", scale
        elif word == "dozen":
            current = (current or 1) * 12
            last = "scale"
        elif word == "and":
            if last not in ("hundred", "scale") or not nxt:
                return None
            last = "and"
        else:
            return None
    if not seen or last == "and":
        return None
    return total + current


def _fraction(words: list[str]) -> float | None:
    """ "half", "a half", "a quarter", "three quarters", "two thirds", or None."""
    if not words or words[-1] not in _FRACTIONS:
        return None
    head = words[:-1]
    if head in ([], ["a"], ["an"], ["one"]):
        return _FRACTIONS[words[-1]]
    count = _whole(head)
    return None if count is None else count * _FRACTIONS[words[-1]]


def _decimal(words: list[str]) -> float | None:
    """ "two point five", "three point one four" (digit by digit after "point"), or None."""
    at = words.index("point")
    whole = _whole(words[:at]) if at else 0.0
    digits = words[at + 1:]
    if whole is None or not digits or any(d not in _UNITS and not re.fullmatch(r"\d", d) for d in digits):
        return None
    return float(f"{int(whole)}." + "".join(str(_UNITS.get(d, d)) for d in digits))


def parse_number(text: str) -> float | None:
    """The value of the spoken number ``text`` (the whole text must be one number), or None."""
    words = text.split()
    sign = 1.0
    if words and words[0] in ("minus", "negative"):
        sign, words = -1.0, words[1:]
    if not words:
        return None
    if (words[0] in ("a", "an") and words[1:2] == ["couple"]) or words[0] == "couple":
        words = words[1:] if words[0] == "couple" else words[2:]
        return 2.0 * sign if words in ([], ["of"]) else None
    if "point" in words:
        value = _decimal(words)
    elif len(words) >= 4 and words[-3:] in (["and", "a", "half"], ["and", "a", "quarter"]):
        whole = _whole(words[:-3])
        value = None if whole is None else whole + _FRACTIONS[words[-1]]
    elif words[-1] in _FRACTIONS:
        value = _fraction(words)
    else:
        value = _whole(words)
    return None if value is None else sign * value


def format_number(value: float, *, decimals: int = 4) -> str:
    """``value`` written with digits: integers as "1,440", others with at most ``decimals`` decimals ("12.5").

    Numbers below 1 keep ``decimals`` significant digits instead, so 1/30000 reads "0.00003333", not "0".
    """
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    if abs(value - round(value)) < 1e-9 * max(1.0, abs(value)):
        return f"{round(value):,}"
    if abs(value) < 1:
        places = decimals - 1 - math.floor(math.log10(abs(value)))
        text = f"{value:.{places}f}"
    else:
        text = f"{value:,.{decimals}f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def say_number(value: float, *, decimals: int = 4) -> str:
    """``format_number`` with a spoken sign: "minus 40", since a text-to-speech voice may read "-" as a dash."""
    text = format_number(value, decimals=decimals)
    return f"minus {text[1:]}" if text.startswith("-") else text


def is_exact(value: float, shown: str) -> bool:
    """True when ``shown`` (from ``format_number``) is ``value`` exactly, so no "about" is needed."""
    return abs(float(shown.replace(",", "")) - value) < 1e-9 * max(1.0, abs(value))
