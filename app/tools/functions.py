"""Functions a client declares (the Realtime protocol's ``tools``), and the router that offers them.

The node's local tools decide from the words, in microseconds, before the model runs; a client's
functions are offered the same way, and first (an app's ``get_weather`` must win over the node's
"I cannot know the weather"). The rule, on the user's words (``text.normalize``, then each word
lowercased and lightly stemmed: "cities" = "city", "flights" = "flight", "booking" = "book"):

- a function's *keywords* are the words of its name (snake_case and camelCase split) and of its
  description, less generic words ("get", "set", "current", "the", "for" ...: ``GENERIC``);
- its *score* is 2 for each name keyword the user said, plus 1 for each description keyword;
- ``tool_choice`` "auto": the best-scoring function is called when it scores at least 2 (a word
  of its name, or two of its description); "required": the best-scoring one always (ties, and no
  word at all, go to the first declared); a named function: that one; "none": never.

What the router picks, the language model then fills in: its arguments, constrained by the
function's JSON schema (``ChatModel.function_arguments``). Sans-I/O values and rules only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.chat import ChatMessage
from app.tools.text import normalize

CHOICES = ("auto", "none", "required")
"""``tool_choice`` values besides a named function."""
MIN_AUTO_SCORE = 2
"""Score at which "auto" calls a function: one word of its name, or two of its description."""
MAX_WORDS = 40
"""As for the local tools: a long turn is a conversation, and the model's."""
MAX_OUTPUT_CHARS = 2_000
"""Of a function's output, what the model reads (a small model's prompt stays small)."""
GENERIC = frozenset(
    """get set fetch retrieve query lookup look up do run call make info information data detail details
    current currently tool function api request handle process perform execute return returns value values
    a an the by for of to in on at with from and or is are be was it its my me you your this that these those
    given specified specific some any all which what when where who how if can will would should could please
    tell about like as into given user users etc e g i we our their there here new given name names""".split()
)
"""Words that say nothing about what a function is for."""
_NAME_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Function:
    """One function the client declared."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    """Its arguments' JSON schema (an object schema)."""

    def keywords(self) -> dict[str, int]:
        """Each keyword's weight: 2 for a word of the name, 1 for one of the description only."""
        found = {word: 1 for word in _content(_WORDS.findall(self.description.lower()))}
        found.update({word: 2 for word in _content(p.lower() for p in _NAME_PARTS.findall(self.name))})
        return found


@dataclass(frozen=True, slots=True)
class ClientFunctions:
    """The functions offered to a turn, and how (``tool_choice``)."""

    functions: tuple[Function, ...]
    choice: str = "auto"
    """"auto", "none", "required", or the name of the one function to call."""


@dataclass(frozen=True, slots=True)
class FunctionResult:
    """A call the node made and what the client's function returned."""

    name: str
    arguments: str
    """The call's arguments, as JSON."""
    output: str
    """The client's ``function_call_output``: free text, often JSON."""


def route(transcript: str, offer: ClientFunctions | None) -> Function | None:
    """The function the user's words ask for (see the module's rule), or None."""
    if offer is None or not offer.functions or offer.choice == "none":
        return None
    if offer.choice not in CHOICES:
        return next((f for f in offer.functions if f.name == offer.choice), None)
    words = normalize(transcript).text.split()
    said = set(_content(words))
    if offer.choice == "auto" and (not said or len(words) > MAX_WORDS):
        return None
    scores = [score(said, function) for function in offer.functions]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))  # ties: the first declared
    if offer.choice == "required":
        return offer.functions[best]
    return offer.functions[best] if scores[best] >= MIN_AUTO_SCORE else None


def score(said: set[str], function: Function) -> int:
    """How strongly the (stemmed) words ``said`` ask for ``function``."""
    return sum(weight for word, weight in function.keywords().items() if word in said)


def stem(word: str) -> str:
    """A word's light stem: plural and "-ing" endings removed ("cities" -> "city")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _content(words: Any) -> list[str]:
    return [stem(w) for w in words if w not in GENERIC and len(w) > 1 and stem(w) not in GENERIC]


# ------------------------------------------------------------------ prompts


def arguments_prompt(function: Function) -> ChatMessage:
    """The system message, put just before the user's message, that asks for ``function``'s arguments."""
    schema = json.dumps(function.parameters, separators=(",", ":"))
    about = f" ({function.description.strip()})" if function.description.strip() else ""
    return ChatMessage(
        "system",
        f"To answer the user's next message, the app calls its function {function.name}{about}. Write its "
        f"arguments as one JSON object matching this JSON schema, taking each value from the user's words: "
        f"{schema}",
    )


def results_prompt(results: Sequence[FunctionResult]) -> ChatMessage:
    """The system message, after the user's message, that gives the model the functions' results."""
    calls = "; ".join(f"{r.name} with {r.arguments} returned: {plain_output(r.output)}" for r in results)
    return ChatMessage(
        "system",
        f"To answer the user's last message the app called its function {calls}. Answer the user's last "
        "message from this in one or two short spoken sentences, in plain words (never code or JSON).",
    )


def plain_output(output: str) -> str:
    """A function's output as plain words a small model reads well: JSON becomes "key: value"
    phrases ({"temp_c": 18} -> "temp c: 18"); other text stays as it is. Cut at MAX_OUTPUT_CHARS."""
    try:
        value = json.loads(output)
    except ValueError:
        return output.strip()[:MAX_OUTPUT_CHARS]
    return _plain(value)[:MAX_OUTPUT_CHARS] if isinstance(value, dict | list) else output.strip()[:MAX_OUTPUT_CHARS]


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{' '.join(_NAME_PARTS.findall(str(k))).lower() or k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if value is None or isinstance(value, bool):
        return {None: "none", True: "yes", False: "no"}[value]
    return str(value)
