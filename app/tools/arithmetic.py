"""Spoken arithmetic, evaluated exactly by a small parser (no eval()): "What is seven times eight?"."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from app.tools.numbers import format_number, is_exact, parse_number, say_number
from app.tools.text import Utterance
from app.tools.types import ToolAnswer, ToolContext

# Spoken operator -> (symbol, how to say it back). Longest phrases first, so "divided by" wins over "by".
_OPERATORS = {
    "raised to the power of": "^", "to the power of": "^", "raised to the": "to the", "to the": "to the",
    "raised to": "^", "multiplied by": "*", "times": "*", "x": "*", "divided by": "/", "over": "/",
    "plus": "+", "minus": "-", "negative": "neg", "percent of": "pct", "per cent of": "pct", "squared": "sq",
    "cubed": "cube", "the square root of": "sqrt", "square root of": "sqrt", "the cube root of": "cbrt",
    "cube root of": "cbrt", "half of": "half", "a half of": "half", "a third of": "third", "one third of": "third",
    "a quarter of": "quarter", "one quarter of": "quarter", "double": "double", "twice": "double",
    "triple": "triple", "modulo": "mod", "mod": "mod",
}
_PHRASES = sorted(_OPERATORS, key=lambda p: -len(p.split()))
_SAY = {
    "^": "to the power of", "*": "times", "/": "divided by", "+": "plus", "-": "minus", "neg": "minus",
    "pct": "percent of", "sq": "squared", "cube": "cubed", "sqrt": "the square root of", "cbrt": "the cube root of",
    "half": "half of", "third": "a third of", "quarter": "a quarter of", "double": "double", "triple": "triple",
    "mod": "modulo",
}
_PREFIX = {"neg": -1.0, "half": 0.5, "third": 1 / 3, "quarter": 0.25, "double": 2.0, "triple": 3.0}
_ORDINALS = {w: n for n, w in enumerate(
    "_ _ second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()) if n >= 2}
_ASK = re.compile(
    r"(?:what is|what are|what does|what do you get for|how much is|how much are|calculate|compute|solve|evaluate"
    r"|work out|figure out|what would be|what would|what will be|what)? ?(?P<expr>.+?)"
    r"(?: equal| equals| is equal to| make| makes| come to| be| is)?"
)
# "add 3 to 4": (opening words, words between the two numbers, the expression they mean).
_VERB_FORMS = (
    ("add", ("to", "and"), "{a} plus {b}"),
    ("subtract", ("from",), "{b} minus {a}"),
    ("take", ("away from", "from"), "{b} minus {a}"),
    ("multiply", ("by", "and", "times", "with"), "{a} times {b}"),
    ("divide", ("by",), "{a} divided by {b}"),
    ("what is the sum of", ("and",), "{a} plus {b}"),
    ("the sum of", ("and",), "{a} plus {b}"),
    ("what is the product of", ("and",), "{a} times {b}"),
    ("the product of", ("and",), "{a} times {b}"),
    ("what is the difference between", ("and",), "{a} minus {b}"),
    ("the difference between", ("and",), "{a} minus {b}"),
)


_SOUND_LIKE_NUMBERS = {"to": "two", "too": "two", "due": "two", "for": "four", "fore": "four", "won": "one",
                       "ate": "eight", "tin": "ten"}
"""Words Whisper writes for a spoken number in unfamiliar voices ("What is due to the power on ten?"). They are
read as numbers only when the words as written are no calculation and the whole request then is one."""


def _as_numbers(text: str) -> str:
    """``text`` with sound-alike words read as the numbers they sound like, except the operator "to the"."""
    words = text.split()
    return " ".join(_SOUND_LIKE_NUMBERS.get(w, w) if words[i + 1:i + 2] != ["the"] else w
                    for i, w in enumerate(words))


class _Unanswerable(Exception):
    """Arithmetic that has no answer to give (division by zero); the message is the reply."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "num" or an operator symbol
    value: float = 0.0
    said: str = ""  # how to read a number back when not by its digits ("pi")


def _tokens(text: str) -> list[_Token] | None:
    """Numbers and operators of ``text``, or None when some words are neither."""
    words, out, number = text.split(), [], []
    i = 0

    def flush() -> bool:
        if number:
            value = math.pi if number == ["pi"] else parse_number(" ".join(number))
            if value is None:
                return False
            out.append(_Token("num", value, "pi" if number == ["pi"] else ""))
            number.clear()
        return True

    while i < len(words):
        phrase = next((p for p in _PHRASES if words[i:i + len(p.split())] == p.split()), None)
        if phrase is None:
            number.append(words[i])
            i += 1
            continue
        if not flush():
            return None
        i += len(phrase.split())
        symbol = _OPERATORS[phrase]
        if symbol == "-" and (not out or out[-1].kind not in ("num", "sq", "cube")):
            symbol = "neg"  # "minus 5 plus 3"
        if symbol == "to the":
            exponent = _exponent(words, i)  # "to the tenth power", "to the 10 th"
            if exponent is None:
                return None
            value, i = exponent
            out += [_Token("^"), _Token("num", value)]
            continue
        out.append(_Token(symbol))
    return out if flush() else None


def _exponent(words: list[str], i: int) -> tuple[float, int] | None:
    """The power said after "to the" at ``words[i]`` ("power of 3", "tenth power", "10 th"), and where it ends."""
    if words[i:i + 1] == ["power"]:
        i += 1 + (words[i + 1:i + 2] in (["of"], ["on"]))  # "on": Whisper's "to the power on ten"
        end = next((j for j in range(i, len(words)) if words[j] in _OPERATORS or words[j] == "power"), len(words))
        value = parse_number(" ".join(words[i:end]))
        return None if value is None else (value, end)
    if i < len(words) and words[i] in _ORDINALS:
        value, i = float(_ORDINALS[words[i]]), i + 1
    elif words[i + 1:i + 2] in (["th"], ["st"], ["nd"], ["rd"]) and words[i].isdigit():
        value, i = float(words[i]), i + 2
    else:
        return None
    return value, i + (words[i:i + 1] == ["power"])


class _Parser:
    """Precedence climbing: + - below * / % "percent of", below ^, below prefixes; postfix "squared"."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self) -> str:
        return self.tokens[self.at].kind if self.at < len(self.tokens) else ""

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expression(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take().kind == "+" else value - self.term()
        return value

    def term(self) -> float:
        value = self.power()
        while self.peek() in ("*", "/", "pct", "mod"):
            op, right = self.take().kind, self.power()
            if op in ("/", "mod") and right == 0:
                raise _Unanswerable("You can't divide by zero; it has no answer.")
            value = {"*": value * right, "/": value / right if right else 0.0, "pct": value / 100 * right,
                     "mod": math.fmod(value, right) if right else 0.0}[op]
        return value

    def power(self) -> float:
        base = self.unary()
        if self.peek() == "^":
            self.take()
            exponent = self.power()
            if abs(exponent) > 1000 or (base == 0 and exponent < 0):
                raise _Unanswerable("That number is too big for me to say." if base else
                                    "You can't divide by zero; it has no answer.")
            if base < 0 and exponent != int(exponent):
                raise _Unanswerable("That power of a negative number is not a real number.")
            return math.pow(base, exponent)
        return base

    def unary(self) -> float:
        kind = self.peek()
        if kind in _PREFIX:
            self.take()
            return _PREFIX[kind] * self.unary() if kind != "neg" else -self.power()
        if kind in ("sqrt", "cbrt"):
            self.take()
            value = self.unary()
            if kind == "sqrt" and value < 0:
                raise _Unanswerable("The square root of a negative number is not a real number.")
            return math.sqrt(value) if kind == "sqrt" else math.copysign(abs(value) ** (1 / 3), value)
        if kind != "num":
            raise ValueError("expected a number")
        value = self.take().value
        while self.peek() in ("sq", "cube"):
            value = value ** (2 if self.take().kind == "sq" else 3)
        return value


def _say(tokens: list[_Token]) -> str:
    """The expression read back with digits: "7 times 8", "the square root of 144"."""
    return " ".join((t.said or say_number(t.value)) if t.kind == "num" else _SAY[t.kind] for t in tokens)


def _result(value: float) -> str:
    """ "56", "about 3.3333", "about 1.2677 times 10 to the power of 30"."""
    if abs(value) >= 1e15:
        exponent = math.floor(math.log10(abs(value)))
        return f"about {say_number(value / 10 ** exponent)} times 10 to the power of {exponent}"
    shown = say_number(value)
    return shown if is_exact(value, format_number(value)) else f"about {shown}"


def _evaluate(expression: str) -> ToolAnswer | None:
    tokens = _tokens(expression)
    if not tokens or all(t.kind in ("num", "neg") for t in tokens):
        return None  # "minus one" is a number, not a calculation
    parser = _Parser(tokens)
    try:
        value = parser.expression()
        if parser.at != len(tokens):
            return None
        if not math.isfinite(value):
            raise OverflowError
    except _Unanswerable as refusal:
        return ToolAnswer("arithmetic", str(refusal))
    except OverflowError:
        return ToolAnswer("arithmetic", "That number is too big for me to say.")
    except (ValueError, IndexError):
        return None
    said = _say(tokens)
    return ToolAnswer("arithmetic", f"{said[0].upper()}{said[1:]} is {_result(value)}.")


def _candidates(text: str) -> list[str]:
    """Expressions the words may say: a verb form ("add 3 to 4") split at each place it can be, else the words.

    "the sum of a hundred and five and 3" has two "and"s; only one split gives two numbers.
    """
    found = []
    for opening, separators, template in _VERB_FORMS:
        if not text.startswith(opening + " "):
            continue
        words = text[len(opening) + 1:].split()
        for i in range(1, len(words)):
            for separator in separators:
                n = len(separator.split())
                if words[i:i + n] == separator.split() and i + n < len(words):
                    found.append(template.format(a=" ".join(words[:i]), b=" ".join(words[i + n:])))
    return found or [text]


def answer_arithmetic(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """The value of a spoken calculation, or a one-sentence refusal (division by zero); None if none."""
    del context  # arithmetic needs neither time nor timers
    for heard in dict.fromkeys((utterance.text, _as_numbers(utterance.text))):
        for text in _candidates(heard):
            match = _ASK.fullmatch(text)
            for expression in dict.fromkeys((match["expr"] if match else text, text)):
                found = _evaluate(expression)
                if found is not None:
                    return found
    return None
