"""Unit conversion: "Convert 5 miles to kilometers", "How many feet in a mile?", "What is 100 F in Celsius?"."""

from __future__ import annotations

import re

from app.tools.durations import parse_duration
from app.tools.numbers import NUMBER_RE, format_number, is_exact, parse_number, say_number
from app.tools.text import Utterance
from app.tools.types import ToolAnswer, ToolContext
from app.tools.unit_table import TEMPERATURE_NAMES, UNITS, Unit, find_unit, find_unit_like

_QTY = rf"(?P<qty>{NUMBER_RE})"
_FROM = r"(?P<src>[a-z0-9' .]+?)"
_TO = r"(?P<dst>[a-z' ]+?)"
_ASK = (
    r"(?:(?:please )?(?:convert|change|turn|translate) |what is |what are |how much is |how much are |how many is "
    r"|how long is |how far is |how heavy is |how hot is |how cold is |how fast is |how big is )?"
)
_FORMS = tuple(
    (re.compile(pattern), there)
    for pattern, there in (
        (rf"{_ASK}{_QTY} {_FROM} (?:to|in|into|as|in terms of|converted to|expressed in) (?:the )?{_TO}", False),
        (rf"how many {_TO} (?:are |is )?(?:there )?(?:in|make|make up|are in|to|per) {_QTY} {_FROM}", True),
        (rf"how many {_TO} (?:is|are|in|equals|equal|makes|make) {_QTY} {_FROM}", False),
        (rf"{_QTY} {_FROM} (?:is|are|equals|in) how many {_TO}", False),
        (rf"how much is {_QTY} {_FROM} in {_TO}", False),
    )
)
_BARE = re.compile(rf"{_ASK}{_QTY} (?P<rest>[a-z' ]+)")
"""Two units with no word between ("What is 100 degrees Fahrenheit Celsius?": Whisper dropped the "in");
both names must then be exact."""


def _bare_units(rest: str) -> tuple[Unit, Unit] | None:
    """The one split of ``rest`` into two exact unit names of one dimension, or None."""
    words = rest.split()
    pairs = {p for i in range(1, len(words))
             if (p := _units(" ".join(words[:i]), " ".join(words[i:]), exact=True)) is not None}
    return pairs.pop() if len(pairs) == 1 else None


def _temperature_pair(src: str, dst: str) -> tuple[Unit, Unit] | None:
    """Both scales of a temperature question where one side says only "degrees": it is the other common scale."""
    other = {"degrees Fahrenheit": "celsius", "degrees Celsius": "fahrenheit", "kelvin": "celsius"}
    if src in TEMPERATURE_NAMES and dst not in TEMPERATURE_NAMES:
        to = find_unit(dst)
        return (UNITS[other[to.plural]], to) if to and to.dimension == "temperature" else None
    if dst in TEMPERATURE_NAMES and src not in TEMPERATURE_NAMES:
        frm = find_unit(src)
        return (frm, UNITS[other[frm.plural]]) if frm and frm.dimension == "temperature" else None
    return None


def _units(src: str, dst: str, *, exact: bool = False) -> tuple[Unit, Unit] | None:
    """The two units of the question, or None when either is no unit or they measure different things.

    Unless ``exact``, one side may be a near spelling of a unit of the other side's dimension.
    """
    pair = _temperature_pair(src, dst)
    if pair is not None:
        return pair
    frm, to = find_unit(src), find_unit(dst)
    if not exact and frm is None and to is not None:
        frm = find_unit_like(src, to.dimension)
    elif not exact and to is None and frm is not None:
        to = find_unit_like(dst, frm.dimension)
    if frm is None or to is None:
        return None
    # "how many ounces in a cup": ounces of volume are meant.
    if frm.dimension != to.dimension and "ounce" in (frm.singular, to.singular):
        frm = UNITS["fluid ounce"] if frm.singular == "ounce" else frm
        to = UNITS["fluid ounce"] if to.singular == "ounce" else to
    return (frm, to) if frm.dimension == to.dimension and frm != to else None


def convert(value: float, frm: Unit, to: Unit) -> float:
    """``value`` ``frm`` units in ``to`` units."""
    return (value * frm.factor + frm.offset - to.offset) / to.factor


def _shown(value: float) -> tuple[str, bool]:
    """(the value as said, exactly?): two decimals from 1 up, four significant digits below."""
    text = say_number(value, decimals=2 if abs(value) >= 1 else 4)
    return text, is_exact(value, format_number(value, decimals=2 if abs(value) >= 1 else 4))


def _article(unit: Unit) -> str:
    return "an" if unit.singular[0] in "aeiou" or unit.singular.startswith("hour") else "a"


def _compound_duration(match: re.Match[str], there: bool) -> ToolAnswer | None:
    """ "How many minutes in an hour and a half?": a duration no single unit names, in one that does."""
    to = find_unit(match["dst"])
    seconds = parse_duration(f"{match['qty']} {match['src']}")
    if to is None or to.dimension != "time" or seconds is None or seconds <= 0:
        return None
    result = seconds / to.factor
    shown, exact = _shown(result)
    amount = f"{'' if exact else 'about '}{shown} {to.name(result)}"
    said = f"{match['qty']} {match['src']}"
    if there:
        return ToolAnswer("units", f"There {'is' if exact and result == 1 else 'are'} {amount} in {said}.")
    return ToolAnswer("units", f"{said[0].upper()}{said[1:]} is {amount}.")


def answer_units(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """The conversion asked for, or None when the words are no conversion between two known units."""
    del context  # conversions need neither time nor timers
    for pattern, there in _FORMS:
        match = pattern.fullmatch(utterance.text)
        if match is None:
            continue
        units = _units(match["src"], match["dst"])
        qty = 1.0 if match["qty"] in ("a", "an") else parse_number(match["qty"])
        if units is None or qty is None:
            found = _compound_duration(match, there)
            if found is not None:
                return found
            continue
        frm, to = units
        if there and frm.dimension == "temperature":
            continue  # "how many degrees are in a degree" means nothing
        if not there:
            return _stated(qty, frm, to)
        result = convert(qty, frm, to)
        shown, exact = _shown(result)
        amount = f"{_article(frm)} {frm.singular}" if qty == 1 else f"{say_number(qty)} {frm.name(qty)}"
        verb = "is" if exact and result == 1 else "are"
        return ToolAnswer("units", f"There {verb} {'' if exact else 'about '}{shown} {to.name(result)} in {amount}.")
    bare = _BARE.fullmatch(utterance.text)
    units = _bare_units(bare["rest"]) if bare else None
    qty = parse_number(bare["qty"]) if bare and units else None
    return _stated(qty, *units) if units and qty is not None else None


def _stated(qty: float, frm: Unit, to: Unit) -> ToolAnswer:
    """ "5 miles is about 8.05 kilometers."."""
    result = convert(qty, frm, to)
    shown, exact = _shown(result)
    sentence = f"{say_number(qty)} {frm.name(qty)} is {'' if exact else 'about '}{shown} {to.name(result)}."
    return ToolAnswer("units", sentence[0].upper() + sentence[1:])
