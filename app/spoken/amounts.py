"""Signs and ranges, money, percents, degrees, units, fractions, arithmetic, and the numbers left over."""

from __future__ import annotations

import re
from collections.abc import Callable

from app.spoken.numbers import cardinal_text, decimal_words, fraction_words, mixed_fraction_words, number_words

NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+"
"""A written number: 1,440 / 1440 / 3.14 / .5 (no sign; signs are words by then)."""

_EN_DASH_RANGE = re.compile(r"(?<=\d)\s?[–—]\s?(?=[$€£¥₹]?\.?\d)")
_RANGE = re.compile(r"(?<=\d)-(?=[$€£¥₹]?\.?\d)")
_SPACED_MINUS = re.compile(r"(?<=\d) - (?=\.?\d)")
_NEGATIVE = re.compile(r"(?<![\w.)\]%])-(?=[$€£¥₹]?\.?\d)")
_LETTER_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=\d)")

_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "", ""), "₹": ("rupee", "rupees", "paisa", "paise"),
}
_SCALE_WORDS = {"k": "thousand", "K": "thousand", "m": "million", "M": "million", "mn": "million", "B": "billion",
                "bn": "billion"}
_SCALE = r"(?:\s?(?P<scale>k|K|M|B|bn|mn|m)|\s(?P<word>thousand|million|billion|trillion))(?![\w])"
_MONEY = re.compile(r"(?:US)?(?P<cur>[$€£¥₹])\s?(?P<num>" + NUM + r")(?:" + _SCALE + r")?")
_MONEY_AFTER = re.compile(r"(?<![\w.,])(?P<num>" + NUM + r")\s?(?P<cur>[€£¥])")
_CENTS = re.compile(r"(?<![\w.,])(\d+)\s?¢")

_PERCENT = re.compile(r"(?<![\w.,])(" + NUM + r")\s?%")
_DEGREES = re.compile(r"(?<![\w.,])(" + NUM + r")\s?°\s?([CF])?(?![a-zA-Z])")

_UNITS = {
    "km/h": "kilometer per hour", "kph": "kilometer per hour", "mph": "mile per hour", "m/s": "meter per second",
    "km/s": "kilometer per second", "mpg": "mile per gallon", "Mbps": "megabit per second",
    "Gbps": "gigabit per second", "kbps": "kilobit per second",
    "km": "kilometer", "cm": "centimeter", "mm": "millimeter", "µm": "micrometer", "μm": "micrometer", "m": "meter",
    "mi": "mile", "ft": "foot", "yd": "yard", "kg": "kilogram", "mg": "milligram", "mcg": "microgram",
    "µg": "microgram", "g": "gram", "lb": "pound", "lbs": "pound", "oz": "ounce", "fl oz": "fluid ounce",
    "ml": "milliliter", "mL": "milliliter", "L": "liter", "gal": "gallon",
    "ms": "millisecond", "µs": "microsecond", "sec": "second", "secs": "second", "min": "minute", "mins": "minute",
    "hr": "hour", "hrs": "hour", "yr": "year", "yrs": "year",
    "Hz": "hertz", "kHz": "kilohertz", "MHz": "megahertz", "GHz": "gigahertz",
    "KB": "kilobyte", "kB": "kilobyte", "MB": "megabyte", "GB": "gigabyte", "TB": "terabyte",
    "W": "watt", "kW": "kilowatt", "MW": "megawatt", "Wh": "watt hour", "kWh": "kilowatt hour", "V": "volt",
    "mAh": "milliamp hour", "cal": "calorie", "kcal": "kilocalorie", "sq ft": "square foot",
    "tsp": "teaspoon", "tbsp": "tablespoon",
    "USD": "US dollar", "EUR": "euro", "GBP": "pound", "k": "thousand", "h": "hour",
}
_INVARIABLE = {"hertz", "kilohertz", "megahertz", "gigahertz", "thousand"}
_DURATION = re.compile(r"(?<![\w.,])(\d+)\s?(h|m)\s?(\d+)\s?(m|s)(?:in)?\b")
_SCALE_SUFFIX = re.compile(r"(?<![\w.,])(" + NUM + r")(M|B|bn|T)(?![\w])")
_FEET_INCHES = re.compile(r"(?<![\w.,])(\d{1,2})['\u2032]\s?(\d{1,2})(?:\"|''|\u2033)")
_UNIT = re.compile(
    r"(?<![\w.,/])(?P<num>(?:\d+ )?\d{1,3}/\d{1,3}|" + NUM + r")\s?(?P<unit>"
    + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    + r")(?P<power>[²³])?(?![\w/²³])"
)

_FRACTION = re.compile(r"(?<![\w/.,])(?:(\d+)\s+)?(\d{1,4})/(\d{1,4})(?![\w/]|[.,]\d)")
_IDIOMS = {"24/7": "twenty-four seven", "9/11": "nine eleven", "50/50": "fifty fifty"}
_TIMES = re.compile(r"(?<=\d)\s?[\u00d7*]\s?(?=\.?\d)|(?<=\d)\sx\s(?=\.?\d)|(?<=\d)(?<!\b0)x(?=\.?\d|\b)")
_DIVIDED = re.compile(r"(?<=\d)\s+[/÷]\s+(?=\.?\d)")
_POWER = re.compile(r"(?<=[\w)])\s?\^\s?(?=[\w(-])")
_LESS = re.compile(r"(?<=\d)\s?<\s?(?=\.?\d)|(?<![\w<>])<\s?(?=\.?\d)")
_MORE = re.compile(r"(?<=\d)\s?>\s?(?=\.?\d)|(?<![\w<>])>\s?(?=\.?\d)")
_ABOUT = re.compile(r"(?<![\w~])~\s?(?=[$€£¥₹]?\.?\d)")
_OPERATOR = re.compile(r"[x\u00d7*/÷^<>~]")
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)*|(?<![\w.])\.\d+")


def say(num: str) -> str:
    """A written number (``NUM``) as words."""
    return decimal_words(num) if "." in num else cardinal_text(num)


def signs(text: str) -> str:
    """Ranges and signs as words: ``5-10`` -> ``5 to 10``, ``-5`` -> ``minus 5``, ``COVID-19`` -> ``COVID 19``."""
    if "-" not in text and "–" not in text and "—" not in text:
        return text
    text = _EN_DASH_RANGE.sub(" to ", text)
    text = _SPACED_MINUS.sub(" minus ", text)
    text = _RANGE.sub(" to ", text)
    text = _NEGATIVE.sub("minus ", text)
    return _LETTER_HYPHEN.sub(" ", text)


def money(text: str) -> str:
    """``$5`` -> ``"five dollars"``, ``$1.50`` -> ``"one dollar fifty"``, ``€2.5M`` -> ``"two point five million
    euros"``."""
    text = _MONEY.sub(_money, text)
    text = _MONEY_AFTER.sub(_money, text)
    return _CENTS.sub(lambda m: f"{number_words(int(m[1]))} cent{'' if m[1] == '1' else 's'}", text)


def _money(match: re.Match[str]) -> str:
    one, many, cent, cents = _CURRENCIES[match["cur"]]
    num = match["num"]
    groups = match.groupdict()
    scale = _SCALE_WORDS.get(groups.get("scale") or "") or groups.get("word")
    if scale:
        return f"{say(num)} {scale} {many}"
    whole, _, fraction = num.partition(".")
    if len(fraction) > 2 or not cent:
        return f"{say(num)} {one if num == '1' else many}"
    amount = cardinal_text(whole) if whole else "zero"
    unit = one if whole.replace(",", "") == "1" else many
    if not fraction or int(fraction) == 0:
        return f"{amount} {unit}"
    fraction = fraction.ljust(2, "0")
    if whole.strip("0,") == "":
        return f"{number_words(int(fraction))} {cent if fraction == '01' else cents}"
    return f"{amount} {unit} {number_words(int(fraction))}"


def measures(text: str) -> str:
    """Percents, degrees and units after numbers: ``15%``, ``25°C``, ``100 km/h``, ``2 lbs``, ``5 m²``."""
    if "%" in text:
        text = _PERCENT.sub(lambda m: f"{say(m[1])} percent", text)
    if "°" in text:
        text = _DEGREES.sub(_degrees, text)
    text = _DURATION.sub(_duration, text)
    text = _SCALE_SUFFIX.sub(lambda m: f"{say(m[1])} {_SCALE_WORDS[m[2]] if m[2] != 'T' else 'trillion'}", text)
    text = _FEET_INCHES.sub(lambda m: f"{number_words(int(m[1]))} foot {number_words(int(m[2]))}", text)
    return _UNIT.sub(_unit, text)


def _degrees(match: re.Match[str]) -> str:
    scale = {"C": " Celsius", "F": " Fahrenheit"}.get(match[2] or "", "")
    return f"{say(match[1])} degree{'' if match[1] == '1' else 's'}{scale}"


def _duration(match: re.Match[str]) -> str:
    """``1h 30m`` -> ``"one hour thirty minutes"``, ``2m 5s`` -> ``"two minutes five seconds"``."""
    names = {"h": "hour", "m": "minute", "s": "second"}
    if (match[2], match[4]) not in (("h", "m"), ("m", "s")):
        return match[0]
    return " ".join(
        f"{number_words(int(count))} {names[unit]}{'' if count == '1' else 's'}"
        for count, unit in ((match[1], match[2]), (match[3], match[4]))
    )


def _unit(match: re.Match[str]) -> str:
    name, num = _UNITS[match["unit"]], match["num"]
    fraction = _FRACTION.fullmatch(num)
    spoken = _fraction(fraction) if fraction else say(num)
    proper = fraction is not None and not fraction[1] and int(fraction[2]) < int(fraction[3])
    if num != "1" and name not in _INVARIABLE and not proper:  # "one half teaspoon", "two and a half teaspoons"
        head, per, tail = name.partition(" per ")
        first, space, last = head.rpartition(" ")
        last = "feet" if last == "foot" else last + "s"
        name = f"{first}{space}{last}{per}{tail}"
    power = {"²": "square ", "³": "cubic "}.get(match["power"] or "", "")
    return f"{spoken} {power}{name}"


def fractions(text: str) -> str:
    """``1/2`` -> ``"one half"``, ``2 3/4`` -> ``"two and three quarters"``, ``10/2`` -> ``"ten divided by two"``."""
    return _FRACTION.sub(_fraction, text) if "/" in text else text


def _fraction(match: re.Match[str]) -> str:
    whole, top, bottom = match[1], int(match[2]), int(match[3])
    written = f"{match[2]}/{match[3]}"
    if written in _IDIOMS and not whole:
        return _IDIOMS[written]
    if bottom and top > bottom and top % bottom == 0:
        spoken = f"{number_words(top)} divided by {number_words(bottom)}"
    elif whole and 0 < top < bottom:
        return mixed_fraction_words(int(whole), top, bottom)
    else:
        spoken = fraction_words(top, bottom)
    return f"{cardinal_text(whole)} {spoken}" if whole else spoken


def arithmetic(text: str) -> str:
    """Operators between numbers: ``3 x 4``, ``3 * 4`` (and the multiplication sign) -> times, ``10 / 2`` -> divided
    by, ``2^10``, ``<``, ``>``, ``~5`` -> about 5. (``+``, ``=``, ``÷`` and ``±`` are said wherever they are, later.)"""
    if not _OPERATOR.search(text):
        return text
    text = _TIMES.sub(" times ", text)
    text = _DIVIDED.sub(" divided by ", text)
    text = _POWER.sub(" to the power of ", text)
    text = _LESS.sub(_compare("is less than", "less than"), text)
    text = _MORE.sub(_compare("is greater than", "more than"), text)
    return _ABOUT.sub("about ", text)


def _compare(between: str, before: str) -> Callable[[re.Match[str]], str]:
    """``3 < 5`` -> ``"3 is less than 5"``, ``<5`` -> ``"less than 5"``."""
    return lambda m: f" {between} " if m.start() and m.string[m.start() - 1].isdigit() else f"{before} "


def remaining_numbers(text: str) -> str:
    """Every number still written in digits, as words; one stuck to letters gets spaces (``MP3`` -> ``MP three``)."""
    return _NUMBER.sub(_number, text)


def _number(match: re.Match[str]) -> str:
    spoken = say(match[0])
    before = match.string[match.start() - 1] if match.start() else " "
    after = match.string[match.end()] if match.end() < len(match.string) else " "
    return (" " if before.isalnum() else "") + spoken + (" " if after.isalnum() else "")
