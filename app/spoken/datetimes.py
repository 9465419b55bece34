"""Phone numbers, dates, times, years, decades and ordinals, said the way people say them."""

from __future__ import annotations

import re

from app.spoken.numbers import (
    cardinal_text,
    decade_words,
    digit_words,
    number_words,
    ordinal_words,
    plural_words,
    year_words,
)

MONTHS = "January February March April May June July August September October November December".split()
_SHORT = {m[:3]: m for m in MONTHS} | {"Sept": "September"}
_MONTH = r"(?P<month>(?:January|February|March|April|May|June|July|August|September|October|November|December)\b|" \
         r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?)"
_DAY = r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?![\d:.,]\d|\w)"

_PHONES = (
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w])"),
    re.compile(r"(?<![\w(])\(\d{3}\)\s?\d{3}[-.\s]\d{4}(?!\w)"),
    re.compile(r"(?<![\w.-])(?:1[-.])?\d{3}[-.]\d{3}[-.]\d{4}(?![\w-])"),
    re.compile(r"(?<![\w.-])\d{3}-\d{4}(?![\w-])"),
)
_ISO = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")
_NUMERIC_DATE = re.compile(r"(?<![\w/.])(\d{1,2})([/.])(\d{1,2})\2(\d{4}|\d{2})(?![\w/]|\.\d)")
_MONTH_DAY = re.compile(_MONTH + r"\s+" + _DAY + r"(?:\s?[-–]\s?(?P<last>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b)?"
                        r"(?:(?P<comma>,?)\s+(?P<year>1[1-9]\d\d|20\d\d)(?!\w|[.,]\d))?")
_DAY_MONTH = re.compile(r"(?<![\w.,])" + _DAY.replace(r"(?![\d:.,]\d|\w)", "") + r"\s+(?:of\s+)?" + _MONTH)
_MONTH_YEAR = re.compile(_MONTH + r",?\s+(?P<year>1[1-9]\d\d|20\d\d)(?!\w|[.,]\d)")
_CLOCK = re.compile(
    r"(?<![\w:.])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:]|\.\d)(?:\s?([AaPp])\.?\s?([Mm])(\.?)(?!\w))?"
)
_DOT_CLOCK = re.compile(r"(?<![\w:.])(\d{1,2})\.(\d{2})()\s?([AaPp])\.?\s?([Mm])(\.?)(?!\w)")
_HOUR = re.compile(r"(?<![\w:.,])(1[0-2]|0?[1-9])\s?([AaPp])\.?\s?([Mm])(\.?)(?!\w)")
_RATIO = re.compile(r"(?<![\w:.])(\d+):(\d+)(?![\d:]|\.\d)")
_YEAR = r"(1[1-9]\d\d|20\d\d)"
UNIT_WORDS = (
    "people persons users students men women children words steps times points items votes years days hours "
    "minutes seconds meters metres miles kilometers feet pounds kilograms calories dollars euros"
).split()
"""Nouns after "the 1995" that make it a count, not a year."""
_YEAR_RANGE = re.compile(r"(?<![\w.,-])" + _YEAR + r"\s?[-–]\s?(\d{4}|\d{2})(?![\w.,-]|\s?%)")
_YEAR_CONTEXT = re.compile(
    r"(?i:\b(?:in|since|by|from|until|till|during|before|after|year|circa|around|early|late|mid|of|between|"
    r"spring|summer|autumn|fall|winter|copyright|happy|Q[1-4])\b[ -]|\bFY ?)" + _YEAR + r"(?![\w%°]|[.,]\d)"
    r"|(?i:\bthe) (19\d\d|20\d\d)(?= [a-z])(?! (?:" + "|".join(UNIT_WORDS) + r")\b)"
    r"|(?:^|(?<=[.!?] ))(19\d\d|20\d\d)(?= (?:was|is|will|saw|had|has|marked|brought|began|ended|became)\b)"
)
_YEAR_AND = re.compile(r"\b(?:between|from) (?:[a-z-]+ ){1,4}?(?:and|to) " + _YEAR + r"(?![\w%°]|[.,]\d)")
_DIGIT_RUN = re.compile(r"\d{3}")
_YEAR_ERA = re.compile(r"(?<![\w.,])(\d{1,4})(?=\s?(?:AD|BC|BCE|CE)\b)|(?<=\()" + _YEAR + r"(?=\))")
_DECADE = re.compile(r"(?<![\w'\u2019.,])['\u2019]?(\d0|1[1-9]\d0|20\d0|\d)['\u2019]?s\b")
_ROUND_PLURAL = re.compile(r"(?<![\w.,])(100|1,?000|1,000,000|1000000)s\b")
_ORDINAL = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)


def phones(text: str) -> str:
    """``555-123-4567`` -> ``"five five five, one two three, four five six seven"``; ``+44 20`` -> ``"plus four four,
    two zero"``."""
    for pattern in _PHONES:
        text = pattern.sub(_phone, text)
    return text


def _phone(match: re.Match[str]) -> str:
    spoken = match[0]
    if match.re is _PHONES[0] and sum(ch.isdigit() for ch in spoken) < 7:
        return spoken
    if match.re is _PHONES[3]:
        first, second = spoken.split("-")
        if first.endswith("0") and int(first) < int(second):  # "200-1000" is a range, not a number to dial
            return spoken
    groups = [digit_words(group) for group in re.split(r"[^\d]+", spoken) if group]
    return ("plus " if spoken.startswith("+") else "") + ", ".join(groups)


def dates(text: str) -> str:
    """ISO and numeric dates, "March 3, 2024", "3 March", "May 2024" as spoken dates."""
    if any(ch.isdigit() for ch in text):
        text = _ISO.sub(lambda m: _date(int(m[2]), int(m[3]), m[1]) or m[0], text)
        text = _NUMERIC_DATE.sub(_numeric_date, text)
        text = _MONTH_DAY.sub(_month_day, text)
        text = _DAY_MONTH.sub(_day_month, text)
        text = _MONTH_YEAR.sub(lambda m: f"{_month(m['month'])} {year_words(int(m['year']))}", text)
    return text


def _month(name: str) -> str:
    return _SHORT.get(name.rstrip("."), name.rstrip("."))


def _date(month: int, day: int, year: str) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if len(year) == 2:
        year = str((2000 if int(year) < 50 else 1900) + int(year))
    return f"{MONTHS[month - 1]} {ordinal_words(day)}, {year_words(int(year))}"


def _numeric_date(match: re.Match[str]) -> str:
    first, second = int(match[1]), int(match[3])
    # Month first (US) unless the first number cannot be a month, or the date is written with dots (day first).
    month_first = first <= 12 and match[2] == "/"
    spoken = _date(first, second, match[4]) if month_first else _date(second, first, match[4])
    return spoken or match[0]


def _month_day(match: re.Match[str]) -> str:
    spoken = f"{_month(match['month'])} {ordinal_words(int(match['day']))}"
    if match["last"]:
        spoken += f" to {ordinal_words(int(match['last']))}"
    if match["year"]:
        spoken += f", {year_words(int(match['year']))}"
    return spoken


def _day_month(match: re.Match[str]) -> str:
    before = match.string[: match.start()].rstrip().lower()
    article = "" if before.endswith("the") else "the "
    return f"{article}{ordinal_words(int(match['day']))} of {_month(match['month'])}"


def times(text: str) -> str:
    """``3:05 PM`` -> ``"three oh five PM"``, ``12:00`` -> ``"twelve o'clock"``, ``14:30`` -> ``"fourteen thirty"``,
    ``7am`` -> ``"seven AM"``; a colon between other numbers is a ratio: ``16:9`` -> ``"sixteen to nine"``."""
    if ":" in text:
        text = _CLOCK.sub(_clock, text)
        text = _RATIO.sub(lambda m: f"{cardinal_text(m[1])} to {cardinal_text(m[2])}", text)
    if "." in text:
        text = _DOT_CLOCK.sub(_clock, text)
    return _HOUR.sub(lambda m: number_words(int(m[1])) + _meridiem(m, 2), text)


def _meridiem(match: re.Match[str], group: int) -> str:
    """`` AM``/`` PM`` (espeak says the capitals as letters); a final dot is kept where it ends the sentence."""
    if not match[group]:
        return ""
    after = match.string[match.end() :]
    ends = match[group + 2] == "." and (not after.strip() or re.match(r"\s+[A-Z\"'“]", after) is not None)
    return f" {match[group].upper()}M" + ("." if ends else "")


def _clock(match: re.Match[str]) -> str:
    hour, minute = int(match[1]), int(match[2])
    if hour > 24 or minute > 59:
        return match[0]
    suffix = _meridiem(match, 4)
    if minute == 0 and hour in (0, 24) and not suffix:
        spoken = "midnight"
    elif minute == 0:
        spoken = number_words(hour) + ("" if suffix else " o'clock" if hour <= 12 else " hundred")
    elif minute < 10:
        spoken = f"{number_words(hour)} oh {number_words(minute)}"
    else:
        spoken = f"{number_words(hour)} {number_words(minute)}"
    if match[3] and int(match[3]):
        spoken += f" and {number_words(int(match[3]))} seconds"
    return spoken + suffix


def year_ranges(text: str) -> str:
    """``1939-1945`` -> ``"nineteen thirty-nine to nineteen forty-five"``; ``2020-21`` -> ``"twenty twenty to
    twenty-one"``."""
    return _YEAR_RANGE.sub(_year_range, text)


def years(text: str) -> str:
    """4-digit years (1100 to 2099) where the words around say it is a year: "in 1969", "(1969)", "1969 BC"."""
    if not _DIGIT_RUN.search(text):
        return text
    text = _YEAR_CONTEXT.sub(lambda m: m[0][:-4].replace("FY", "FY ") + year_words(int(m[0][-4:])), text)
    text = _YEAR_AND.sub(lambda m: m[0][:-4] + year_words(int(m[1])), text)
    return _YEAR_ERA.sub(lambda m: year_words(int(m[1] or m[2])), text)


def _year_range(match: re.Match[str]) -> str:
    first, second = match[1], match[2]
    if len(second) == 2:
        if int(second) <= int(first[2:]):
            return match[0]
        return f"{year_words(int(first))} to {number_words(int(second))}"
    if not (1100 <= int(second) <= 2099 and int(second) > int(first)):
        return match[0]
    return f"{year_words(int(first))} to {year_words(int(second))}"


def decades(text: str) -> str:
    """``1990s`` -> ``"nineteen nineties"``, ``'80s`` -> ``"eighties"``, ``5s`` -> ``"fives"``."""
    text = _ROUND_PLURAL.sub(lambda m: plural_words(number_words(int(m[1].replace(",", ""))).split()[-1]), text)
    return _DECADE.sub(lambda m: decade_words(m[1]), text)


def ordinals(text: str) -> str:
    """``1st`` -> ``"first"``, ``23rd`` -> ``"twenty-third"``."""
    return _ORDINAL.sub(lambda m: ordinal_words(int(m[1].replace(",", ""))), text)
