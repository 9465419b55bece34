"""Reply text normalized for scoring: lowercase, apostrophes dropped, number words as digits.

Steps, in order (:func:`normalize`):

1. lowercase; curly quotes straightened; apostrophes dropped ("can't" -> "cant", "it's" -> "its");
2. a hyphen between letters becomes a space ("fifty-six" -> "fifty six"); "a hundred" -> "one hundred";
3. runs of cardinal number words become digits: "fifty six" -> "56", "one hundred and twenty" -> "120",
   "three thousand two hundred" -> "3200", "two point five" -> "2.5". Words that cannot continue a
   number start a new one ("three fifteen" -> "3 15", as a clock reads); "million" and "billion"
   stay words ("two million" -> "2 million"), so "2.8 million" and "two point eight million" agree;
4. commas inside numbers are dropped ("1,000" -> "1000") and a digit number followed by "hundred"
   or "thousand" is multiplied out ("5 thousand" -> "5000");
5. whitespace collapsed. Other punctuation stays, so "15:05", "3.5", "$4" and "20°" survive.

Ordinal words ("first", "twenty-first") are left alone: "second" is also a unit of time. The date
check of :mod:`client.quality.expect` reads them itself.
"""

from __future__ import annotations

import re

UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i >= 2}
SCALES = {"hundred": 100, "thousand": 1000}
NUMBER_WORDS = {**UNITS, **TENS, **SCALES}

_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_RUN = re.compile(rf"\b(?:{_WORD})(?:(?:\s+and)?\s+(?:{_WORD})|\s+point(?:\s+(?:{'|'.join(UNITS)}))+)*\b")
_DIGIT_SCALE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s+(hundred|thousand)\b")
_NUMBER_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


def words_to_numbers(words: list[str]) -> list[str]:
    """One run of number words (plus "and"/"point") as digit tokens; see the module docstring."""
    out: list[str] = []
    total = current = 0  # total: thousands and up so far; current: below a thousand
    last: str | None = None  # kind of the last word taken: "unit", "teen", "tens", "hundred", "thousand"
    started = False

    def flush() -> None:
        nonlocal total, current, started, last
        if started:
            out.append(str(total + current))
        total = current = 0
        started, last = False, None

    i = 0
    while i < len(words):
        w = words[i]
        if w == "and":  # only joins within a number ("one hundred and five"); else it is a word
            if last in ("hundred", "thousand") and i + 1 < len(words) and words[i + 1] in NUMBER_WORDS:
                i += 1
                continue
            flush()
            out.append(w)
        elif w == "point":
            digits = []
            while i + 1 < len(words) and words[i + 1] in UNITS and UNITS[words[i + 1]] < 10:
                i += 1
                digits.append(str(UNITS[words[i]]))
            whole = total + current if started else 0
            total = current = 0
            started, last = False, None
            out.append(f"{whole}.{''.join(digits)}" if digits else f"{whole} point")
        elif w in SCALES:
            if not started:  # a bare "thousand" is a word ("2.5 thousand" is multiplied out later)
                out.append(w)
                i += 1
                continue
            if w == "hundred" and last not in ("hundred", "thousand"):
                current = (current or 1) * 100
            elif w == "thousand" and last != "thousand":
                total, current = (total + (current or 1)) * 1000, 0
            else:
                flush()
                current, started = SCALES[w], True
            last = w
        else:
            value = NUMBER_WORDS[w]
            kind = "tens" if w in TENS else ("teen" if value >= 10 else "unit")
            # A word continues the number only where a number can go on: a unit after tens
            # ("twenty six"), anything after a scale word ("hundred five", "thousand twenty").
            fits = not started or (kind == "unit" and last == "tens" and value > 0) or (
                last in ("hundred", "thousand") and current % 100 == 0)
            if not fits:
                flush()
            current += value
            started, last = True, kind
        i += 1
    flush()
    return out


def _run_to_digits(match: re.Match[str]) -> str:
    return " ".join(words_to_numbers(match.group(0).split()))


def normalize(text: str) -> str:
    """The text as the rules see it (see the module docstring)."""
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    t = t.replace("'", "")
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)
    t = re.sub(r"\ba (hundred|thousand)\b", r"one \1", t)
    t = _NUMBER_COMMA.sub("", t)
    # "1. 4 million": a decimal the model wrote with a space (heard as "one. four million"); read
    # as 1.4 million, so "4 million" in it cannot pass for a right answer.
    t = re.sub(r"(?<=\d)\. (?=\d)", ".", t)
    t = _RUN.sub(_run_to_digits, t)
    t = _DIGIT_SCALE.sub(lambda m: _fmt(float(m.group(1)) * SCALES[m.group(2)]), t)
    return " ".join(t.split())


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\d])")


def numbers_in(normalized: str) -> list[float]:
    """Every number in a normalized text ("-40", "3.5", "1000"), in order."""
    return [float(m.group(0)) for m in NUMBER.finditer(normalized)]
