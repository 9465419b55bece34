"""Numbers as words: cardinals, ordinals, years, decades, decimals, digit strings and fractions."""

from __future__ import annotations

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_IRREGULAR_ORDINALS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth",
    "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}
_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}
MAX_WORDED = 10**15
"""Numbers from here on (16 digits and more) are read digit by digit."""


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    elif rest or not words:
        words.append(_ONES[rest])
    return words


def number_words(n: int) -> str:
    """``1440`` -> ``"one thousand four hundred forty"``; ``-5`` -> ``"minus five"``."""
    if n < 0:
        return "minus " + number_words(-n)
    if n >= MAX_WORDED:
        return digit_words(str(n))
    words: list[str] = []
    for scale, name in _SCALES:
        count, n = divmod(n, scale)
        if count:
            words += [*_below_thousand(count), name]
    if n or not words:
        words += _below_thousand(n)
    return " ".join(words)


def ordinal_words(n: int) -> str:
    """``23`` -> ``"twenty-third"``."""
    head, sep, last = number_words(n).rpartition(" ")
    stem, hyphen, unit = last.rpartition("-")
    if unit in _IRREGULAR_ORDINALS:
        unit = _IRREGULAR_ORDINALS[unit]
    elif unit.endswith("y"):
        unit = unit[:-1] + "ieth"
    else:
        unit += "th"
    return f"{head}{sep}{stem}{hyphen}{unit}"


def year_words(year: int) -> str:
    """``1969`` -> ``"nineteen sixty-nine"``, ``2005`` -> ``"two thousand five"``, ``2026`` -> ``"twenty
    twenty-six"``."""
    if not 1000 <= year <= 9999 or 2000 <= year <= 2009 or year % 1000 == 0:
        return number_words(year)
    century, rest = divmod(year, 100)
    if rest == 0:
        return f"{number_words(century)} hundred"
    if rest < 10:
        return f"{number_words(century)} oh {_ONES[rest]}"
    return f"{number_words(century)} {number_words(rest)}"


def plural_words(words: str) -> str:
    """The plural of a worded number: ``"nineteen ninety"`` -> ``"nineteen nineties"``, ``"six"`` -> ``"sixes"``."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith(("x", "s")):
        return words + "es"
    return words + "s"


def decade_words(digits: str) -> str:
    """``"1990"`` -> ``"nineteen nineties"``, ``"80"`` -> ``"eighties"``, ``"2000"`` -> ``"two thousands"``, ``"6"``
    -> ``"sixes"``."""
    value = int(digits)
    if len(digits) == 1:
        return plural_words(number_words(value))
    if len(digits) == 2:
        return plural_words(number_words(value)) if value else "two thousands"
    return plural_words(year_words(value))


def digit_words(digits: str) -> str:
    """Each digit said on its own: ``"007"`` -> ``"zero zero seven"``; anything else in ``digits`` is skipped."""
    return " ".join(_ONES[int(ch)] for ch in digits if ch.isdigit())


def decimal_words(text: str) -> str:
    """``"3.14"`` -> ``"three point one four"``, ``".5"`` -> ``"point five"``; a version, ``"2.5.1"`` -> ``"two point
    five point one"``."""
    whole, _, rest = text.partition(".")
    parts = [cardinal_text(whole)] if whole else []
    for index, part in enumerate(rest.split(".")):
        if not part:
            continue
        # After the first point the digits are read one by one; in a version (2.5.1) each part is a number.
        spoken = digit_words(part) if index == 0 and "." not in rest else cardinal_text(part)
        parts += ["point", spoken]
    return " ".join(parts)


def cardinal_text(digits: str) -> str:
    """A written integer (``"1,440"``, ``"007"``, ``"42"``) as words; a leading zero or 16+ digits: digit by digit."""
    plain = digits.replace(",", "")
    if not plain.isdigit():
        return digits
    if (len(plain) > 1 and plain[0] == "0") or len(plain) > 15:
        return digit_words(plain)
    return number_words(int(plain))


def fraction_words(numerator: int, denominator: int) -> str:
    """``1/2`` -> ``"one half"``, ``3/4`` -> ``"three quarters"``, ``5/8`` -> ``"five eighths"``, ``8/10`` ->
    ``"eight out of ten"``; ``7/25`` -> ``"seven over twenty-five"`` (above 10, except 12 and 16, "over")."""
    top = number_words(numerator)
    if denominator in (10, 100) and numerator > 1:  # a score: 8/10 -> "eight out of ten"
        return f"{top} out of {number_words(denominator)}"
    if denominator == 1 or denominator == 0 or (denominator > 10 and denominator not in (12, 16)):
        return f"{top} over {number_words(denominator)}"
    singular, plural = _FRACTION_NAMES.get(denominator) or (ordinal_words(denominator),) * 2
    if plural == singular:
        plural = singular + "s"
    return f"{top} {singular if numerator == 1 else plural}"


def mixed_fraction_words(whole: int, numerator: int, denominator: int) -> str:
    """``1 1/2`` -> ``"one and a half"``, ``2 3/4`` -> ``"two and three quarters"``."""
    part = fraction_words(numerator, denominator)
    if numerator == 1 and " over " not in part:
        part = "a " + part.split(" ", 1)[1]
    return f"{number_words(whole)} and {part}"
