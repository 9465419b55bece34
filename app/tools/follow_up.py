"""Arithmetic on the last result: "What is twelve times twelve?" ... "And what is half of that?".

The words "that", "it", "the result" stand for the number the previous reply ended on, but only
when that reply was a calculation ("12 times 12 is 144."): a fact's number ("about 2.8 million
people") is the model's, and too loosely said to compute with.
"""

from __future__ import annotations

import re

from app.tools.arithmetic import answer_arithmetic
from app.tools.text import Utterance
from app.tools.types import ToolAnswer, ToolContext

_REFERENCE = re.compile(r"\b(?:that number|that result|the result|the answer|that|it|this)\b")
_RESULT = re.compile(r"\bis (?:about |exactly )?(-?\d+(?:\.\d+)?)\.$")


def answer_follow_up_arithmetic(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """The calculation that continues from the previous reply's result, or None."""
    if not _REFERENCE.search(utterance.text):
        return None
    last = next((m.content for m in reversed(context.history) if m.role == "assistant"), "")
    result = _RESULT.search(last.strip().replace(",", ""))
    if result is None:
        return None
    text = _REFERENCE.sub(result.group(1), utterance.text, count=1)
    return answer_arithmetic(Utterance(text, tuple(text.split())), context)
