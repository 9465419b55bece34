"""Units of length, mass, volume, time, speed and temperature, by every name a user may say them."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit: ``factor`` of them make one base unit of ``dimension`` (m, kg, L, s, m/s); temperatures use
    ``offset`` too (kelvin = value * factor + offset)."""

    dimension: str
    factor: float
    singular: str
    plural: str
    offset: float = 0.0

    def name(self, value: float) -> str:
        """The unit's name after ``value``: "1 mile", "2 miles"."""
        return self.singular if abs(value) == 1 else self.plural


def _units() -> dict[str, Unit]:
    table: dict[str, Unit] = {}

    def add(dimension: str, factor: float, singular: str, plural: str, *names: str, offset: float = 0.0) -> None:
        unit = Unit(dimension, factor, singular, plural, offset)
        for name in (singular, plural, *names):
            table[name] = unit

    add("length", 1000, "kilometer", "kilometers", "km", "kms", "kilometre", "kilometres", "k m")
    add("length", 1, "meter", "meters", "m", "metre", "metres")
    add("length", 0.01, "centimeter", "centimeters", "cm", "cms", "centimetre", "centimetres")
    add("length", 0.001, "millimeter", "millimeters", "mm", "millimetre", "millimetres")
    add("length", 1609.344, "mile", "miles", "mi")
    add("length", 0.9144, "yard", "yards", "yd", "yds")
    add("length", 0.3048, "foot", "feet", "ft")
    add("length", 0.0254, "inch", "inches")  # not "in": that is the preposition
    add("length", 1852, "nautical mile", "nautical miles")
    add("mass", 1, "kilogram", "kilograms", "kg", "kgs", "kilo", "kilos", "kilogramme", "kilogrammes")
    add("mass", 0.001, "gram", "grams", "g", "gramme", "grammes", "gr")
    add("mass", 1e-6, "milligram", "milligrams", "mg")
    add("mass", 1000, "metric ton", "metric tons", "tonne", "tonnes")
    add("mass", 0.45359237, "pound", "pounds", "lb", "lbs")
    add("mass", 0.028349523125, "ounce", "ounces", "oz")
    add("mass", 6.35029318, "stone", "stones")
    add("volume", 1, "liter", "liters", "l", "litre", "litres")
    add("volume", 0.001, "milliliter", "milliliters", "ml", "millilitre", "millilitres")
    add("volume", 3.785411784, "gallon", "gallons", "gal", "us gallon", "us gallons")
    add("volume", 0.946352946, "quart", "quarts")
    add("volume", 0.473176473, "pint", "pints")
    add("volume", 0.2365882365, "cup", "cups")
    add("volume", 0.0295735295625, "fluid ounce", "fluid ounces", "fl oz")
    add("volume", 0.01478676478125, "tablespoon", "tablespoons", "tbsp")
    add("volume", 0.00492892159375, "teaspoon", "teaspoons", "tsp")
    add("time", 0.001, "millisecond", "milliseconds", "ms")
    add("time", 1, "second", "seconds", "sec", "secs")
    add("time", 60, "minute", "minutes", "min", "mins")
    add("time", 3600, "hour", "hours", "hr", "hrs")
    add("time", 86_400, "day", "days")
    add("time", 604_800, "week", "weeks")
    add("time", 31_536_000, "year", "years")  # 365 days: "how many days in a year" is 365
    add("time", 315_360_000, "decade", "decades")
    add("speed", 1000 / 3600, "kilometer per hour", "kilometers per hour", "kph", "kmh", "km h", "kmph")
    add("speed", 1609.344 / 3600, "mile per hour", "miles per hour", "mph")
    add("speed", 1852 / 3600, "knot", "knots")
    add("speed", 1, "meter per second", "meters per second")
    for name in ("celsius", "centigrade", "c"):
        add("temperature", 1, "degree Celsius", "degrees Celsius", name, f"degrees {name}", f"degree {name}",
            offset=273.15)
    for name in ("fahrenheit", "f"):
        add("temperature", 5 / 9, "degree Fahrenheit", "degrees Fahrenheit", name, f"degrees {name}",
            f"degree {name}", offset=273.15 - 32 * 5 / 9)
    add("temperature", 1, "kelvin", "kelvin", "k", "kelvins", "degrees kelvin")
    return table


UNITS = _units()
_SPEED_TIMES = {"h": "hour", "hr": "hour", "hour": "hour", "s": "second", "sec": "second", "second": "second",
                "min": "minute", "minute": "minute"}
TEMPERATURE_NAMES = ("degrees", "degree")
"""Said alone, "degrees" is a temperature on the other scale of the question (see ``units.py``)."""


def find_unit(words: str) -> Unit | None:
    """The unit called ``words`` ("miles", "km per h", "kilometers an hour", "degrees f"), or None."""
    words = words.strip()
    if words in UNITS:
        return UNITS[words]
    for joiner in (" per ", " an ", " a ", " each "):
        if joiner in words:
            top, bottom = words.split(joiner, 1)
            length, time = UNITS.get(top), UNITS.get(_SPEED_TIMES.get(bottom, bottom))
            if length and time and length.dimension == "length" and time.dimension == "time":
                singular = f"{length.singular} per {time.singular}"
                return Unit("speed", length.factor / time.factor, singular, f"{length.plural} per {time.singular}")
    return None


SOUNDS_LIKE_CUTOFF = 0.7
"""difflib similarity above which a word that is no unit is read as the unit it nearly spells."""


def find_unit_like(words: str, dimension: str) -> Unit | None:
    """The one unit of ``dimension`` that ``words`` nearly spell, or None when none or several do.

    Whisper mishears unit names in unfamiliar voices ("How many inches are in a food?"). The other side
    of the question names its unit exactly and fixes the dimension, so a near spelling ("food" ->
    foot, "letters" -> liters, "pants" -> pints) has few candidates; the reply names the unit it used.
    Names shorter than four letters ("mi", "oz") are never guessed.
    """
    names = [n for n, u in UNITS.items() if len(n) >= 4 and u.dimension == dimension]
    found = {UNITS[n] for n in difflib.get_close_matches(words.strip(), names, n=5, cutoff=SOUNDS_LIKE_CUTOFF)}
    return found.pop() if len(found) == 1 else None
