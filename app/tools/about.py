"""What the assistant is and can do, said the same way every time: "What can you do?", "Who are you?",
"How are you?".

The model answers from its own idea of itself ("I can do anything.", "I'm an AI language model
created by OpenAI"), which neither tells a new user what to ask nor is true. The list follows the
tools of :mod:`app.tools.router`.
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

IDENTITY = (
    "I'm a voice assistant running right here on this device, on a small open language model; I don't have a "
    "name of my own. You can ask me what I can do."
)
_WHO = re.compile(
    r"what is your name|what are you called|what should i call you|what do i call you|do you have a name"
    r"|who are you|who am i (?:talking|speaking) (?:to|with)|what are you|who (?:made|built|created|programmed) you"
    r"|are you (?:a robot|a person|human|a human|real|an ai|chat ?gpt|siri|alexa)|introduce yourself"
)

WELL = "I'm doing well, thanks for asking. What can I do for you?"
_HOW_ARE_YOU = re.compile(
    r"(?:(?:there|good (?:morning|afternoon|evening)|morning) )?"
    r"(?:how are you|how have you been|how is it going|how are things|how is your day)(?: going| doing)?"
    r"(?: today| this (?:morning|afternoon|evening)| tonight)?(?: then)?|how do you do|are you (?:ok|okay|well|good)"
)
"""After a greeting (``normalize`` drops "hello", "hi"; "there", "good morning" stay): the 0.5B
model said "Hello! How are you?" back, the question's own words."""


def answer_about(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """The assistant's abilities, identity or how it is, when asked for them, else None."""
    del context  # the same for everyone
    if _ASK.fullmatch(utterance.text):
        return ToolAnswer("about", CAPABILITIES)
    if _HOW_ARE_YOU.fullmatch(utterance.text):
        return ToolAnswer("about", WELL)
    return ToolAnswer("about", IDENTITY) if _WHO.fullmatch(utterance.text) else None
