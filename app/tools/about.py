"""What the assistant can do, said the same way every time: "What can you do?".

The model answers from its own idea of itself ("I can do anything."), which neither tells a new
user what to ask nor is true. The list follows the tools of :mod:`app.tools.router`.
"""

from __future__ import annotations

import re

from app.tools.text import Utterance
from app.tools.types import ToolAnswer, ToolContext

CAPABILITIES = (
    "I can answer questions and chat, tell you the time and date here or in another city, set timers and "
    "reminders, do arithmetic and unit conversions, and remember what you tell me about yourself. I don't have "
    "live data such as the weather or the news."
)
_ASK = re.compile(
    r"what (?:can|could) you do(?: for me)?|what (?:are you able|are you capable of|do you know how) to do"
    r"|what are you (?:capable of|good at|able to do)|how (?:can|could) you help(?: me)?|what (?:can|should) i ask you"
    r"|what (?:are your|kind of) (?:skills|features|abilities|things can you do)|what do you do|help|help me"
    r"|what can i (?:do|say)(?: here| with you)?"
)


def answer_about(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """The assistant's abilities when asked for them, else None."""
    del context  # the same for everyone
    return ToolAnswer("about", CAPABILITIES) if _ASK.fullmatch(utterance.text) else None
