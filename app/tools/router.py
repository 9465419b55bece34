"""The tool router: the transcript, normalized, offered to each tool in turn; the first answer wins.

Order matters only where two tools could read the same words, and is chosen so the narrower reading wins:
timer questions before the clock ("how much time is left"), unit conversion before arithmetic and before
live facts ("10 pounds in kilograms" is mass, "10 pounds in dollars" is an exchange rate), arithmetic
before its follow-up ("half of that" needs the previous result only when no number is said).
"""

from __future__ import annotations

from collections.abc import Callable

from app.tools.about import answer_about
from app.tools.arithmetic import answer_arithmetic
from app.tools.clock import answer_clock
from app.tools.devices import answer_devices
from app.tools.follow_up import answer_follow_up_arithmetic
from app.tools.live_facts import answer_live_facts
from app.tools.memory import answer_memory
from app.tools.text import Utterance, normalize
from app.tools.timer_status import answer_timer_status
from app.tools.timers import answer_set_timer
from app.tools.types import ToolAnswer, ToolContext
from app.tools.units import answer_units

Tool = Callable[[Utterance, ToolContext], ToolAnswer | None]
TOOLS: tuple[Tool, ...] = (
    answer_timer_status,
    answer_set_timer,
    answer_clock,
    answer_units,
    answer_arithmetic,
    answer_follow_up_arithmetic,
    answer_memory,
    answer_live_facts,
    answer_devices,
    answer_about,
)
MAX_WORDS = 40
"""Tool requests are short; a long turn is a conversation, and the model's."""


def answer(transcript: str, context: ToolContext) -> ToolAnswer | None:
    """The tool's answer to the user's words, or None when no tool applies (the LLM answers)."""
    utterance = normalize(transcript)
    if not utterance.text or len(utterance.cased) > MAX_WORDS:
        return None
    for tool in TOOLS:
        found = tool(utterance, context)
        if found is not None:
            return found
    return None
