"""What the user said about themselves, said back exactly: "My name is Alice." ... "What is my name?".

A 0.5B model given "My name is Alice." eight exchanges back answers "What is my name?" with a
name of its own, and says a statement back word for word ("I live in Chicago." -> "I live in
Chicago."). Facts are read from the conversation's own user turns, newest first (a correction
wins), so they live exactly as long as the history: they move with the session to another node
and go with ``forget`` and ``reset``. Nothing is kept anywhere else.

Kinds of fact: the user's name, where they live, "my <thing> is <value>" for favourites, names
and birthdays ("my favorite color", "my sister's birthday", "my dog's name"), a pet or person
"called" something, and "I need to <verb> <things>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.tools.text import Utterance, normalize
from app.tools.timers import second_person
from app.tools.types import ToolAnswer, ToolContext

_VALUE = r"(?P<value>[a-z0-9' ]{1,60}?)"
_KEY = (r"(?P<key>favou?rite [a-z]+(?: [a-z]+)?|[a-z]+(?:'s|s) (?:name|birthday|first name|last name)|birthday"
        r"|anniversary|middle name|last name|surname|age)")
_THING = r"(?P<thing>[a-z]+(?: [a-z]+)?)"
_NEED_VERBS = r"(?P<verb>buy|get|pick up|call|email|pack|bring|do|finish|pay|book|fix|clean|cook|read|send|see)"
_TAIL = r"(?: nice to meet you| pleased to meet you| by the way| thanks| thank you)?"

_FACTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(p)) for kind, p in (
    ("name", rf"(?:my name is|call me|you can call me|i am called|the name is) {_VALUE}{_TAIL}"),
    ("name?", rf"i am {_VALUE}{_TAIL}"),  # only when the words are cased as a name ("I am tired" is not)
    ("home", rf"(?:i live in|i am living in|i am based in|i live near|my home is in|home is) {_VALUE}"),
    ("from", rf"(?:i am from|i come from|i grew up in) {_VALUE}"),
    ("key", rf"my {_KEY} is {_VALUE}"),
    ("called", rf"(?:i have|i have got|i got) (?:a|an) {_THING} (?:called|named) {_VALUE}"),
    ("called", rf"my {_THING} is (?:called|named) {_VALUE}"),
    ("need", rf"i (?:need|have|want|must|should|got) to {_NEED_VERBS} {_VALUE}"),
))
_QUESTIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(p)) for kind, p in (
    ("name", r"(?:what is|what was|do you (?:remember|know|recall)|can you (?:remember|tell me)|say|tell me) my name"
             r"|who am i|do you (?:remember|know) who i am|what did i (?:say|tell you) my name (?:is|was)"
             r"|do you (?:remember|know) what my name is|what do you call me"),
    ("home", r"where do i live|(?:which|what) (?:city|town|country|place) do i live in|where (?:am i|do i come) from"
             r"|where did i (?:say|tell you) i live|do you (?:remember|know) where i (?:live|am from)"),
    # One named group per pattern (Python's re allows no repeats), hence several of each kind.
    ("key", rf"(?:what|when|who|where) (?:is|was) my {_KEY}"),
    ("key", rf"do you (?:remember|know) my {_KEY}"),
    ("key", rf"what did i (?:say|tell you) my {_KEY} (?:is|was)"),
    ("called", rf"what is my {_THING} called"),
    ("called", rf"what is the name of my {_THING}"),
    ("called", rf"what did i (?:call|name) my {_THING}"),
    ("need", rf"what (?:do|did) i (?:need|have|want|say i need|say i had) to {_NEED_VERBS}"),
    ("need", rf"what (?:was|is) (?:it|that) i (?:needed|need|had) to {_NEED_VERBS}"),
    ("all", r"what do you (?:know|remember) about me"),
))
_NOT_NAMES = frozenset("""a an the so here back fine good ok okay sure sorry tired hungry not just really very
    secret unknown nothing none what why""".split())


@dataclass(frozen=True, slots=True)
class _Fact:
    kind: str  # "name", "home", "from", "key" or "need"
    key: str  # "favorite color", "dog's name", "buy" ("" for name and home)
    value: str  # as the user cased it, in the second person


def answer_memory(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """A fact the user states (acknowledged) or asks back (read from the history), else None."""
    stated = _fact(utterance)
    if stated is not None:
        return ToolAnswer("memory", _acknowledge(stated))
    for kind, pattern in _QUESTIONS:
        match = pattern.fullmatch(utterance.text)
        if match is not None:
            return _recall(*_keyed(kind, match), context)
    return None


def _recall(kind: str, key: str, context: ToolContext) -> ToolAnswer | None:
    facts = _facts(context)
    if kind == "all":
        if not facts:
            return ToolAnswer("memory", "You haven't told me anything about yourself yet.")
        return ToolAnswer("memory", "You told me " + _join([_describe(f) for f in facts[:5]]) + ".")
    kinds = ("home", "from") if kind == "home" else (kind,)
    found = next((f for f in facts if f.kind in kinds and _same_key(f.key, key)), None)
    if found is not None:
        said = _describe(found)
        return ToolAnswer("memory", said[0].upper() + said[1:] + ".")
    if kind == "name":
        return ToolAnswer("memory", "You haven't told me your name yet.")
    if kind == "home":
        return ToolAnswer("memory", "You haven't told me where you live.")
    if kind == "need":
        return ToolAnswer("memory", f"You haven't told me what you need to {key}.")
    return ToolAnswer("memory", f"You haven't told me your {key} yet.")


def _facts(context: ToolContext) -> list[_Fact]:
    """The user's facts in the history, newest first, one per kind and key."""
    seen: set[tuple[str, str]] = set()
    out: list[_Fact] = []
    for message in reversed(context.history):
        if message.role != "user":
            continue
        fact = _fact(normalize(message.content))
        if fact is not None and (fact.kind, fact.key) not in seen:
            seen.add((fact.kind, fact.key))
            out.append(fact)
    return out


def _fact(utterance: Utterance) -> _Fact | None:
    """The fact ``utterance`` states as a whole, or None."""
    for kind, pattern in _FACTS:
        match = pattern.fullmatch(utterance.text)
        if match is None:
            continue
        value = utterance.original(*match.span("value"))
        if kind in ("name", "name?") and not _looks_like_name(value, cased=kind == "name?"):
            continue
        kind = kind.rstrip("?")
        return _Fact(*_keyed(kind, match), _second_person(value))
    return None


def _looks_like_name(value: str, *, cased: bool) -> bool:
    """ "Bob", "Mary Jane": at most three words, none a common word ("a secret"), each capitalized
    where ``cased`` (after "I am": Whisper capitalizes names, not "tired")."""
    words = value.split()
    return 0 < len(words) <= 3 and all((w[:1].isupper() or not cased) and w.lower() not in _NOT_NAMES for w in words)


def _acknowledge(fact: _Fact) -> str:
    # Worded so the history keeps it: a reply made only of the question's words is kept out
    # (turn_policy.adds_nothing), and with it the fact.
    if fact.kind == "name":
        return f"Nice to meet you, {fact.value}. I'll remember your name."
    return f"I'll remember that {_describe(fact)}."


def _describe(fact: _Fact) -> str:
    """The fact in the second person, no final stop: "your dog is called Max"."""
    if fact.kind == "name":
        return f"your name is {fact.value}"
    if fact.kind == "home":
        return f"you live in {fact.value}"
    if fact.kind == "from":
        return f"you are from {fact.value}"
    if fact.kind == "need":
        return f"you need to {fact.key} {fact.value}"
    return f"your {fact.key} is {fact.value}"


def _keyed(kind: str, match: re.Match[str]) -> tuple[str, str]:
    """(kind, key) of a matched statement or question; "I have a dog called Max" -> ("key", "dog's name")."""
    if kind == "called":
        return "key", f"{_group(match, 'thing')}'s name"
    return kind, _group(match, "key") or _group(match, "verb")


def _same_key(a: str, b: str) -> bool:
    """ "favourite colour" is "favorite color"; Whisper writes "dog's name" and "dogs name"."""
    def canonical(key: str) -> str:
        return key.replace("'", "").replace("favourite", "favorite").replace("colour", "color")
    return canonical(a) == canonical(b)


def _second_person(value: str) -> str:
    """ "my mom's lasagna" -> "your mom's lasagna" (the timers' rule); "5 th" (split by normalize) -> "5th"."""
    return re.sub(r"\b(\d+) (st|nd|rd|th)\b", r"\1\2", second_person(value))


def _group(match: re.Match[str], name: str) -> str:
    return (match.groupdict().get(name) or "").strip()


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
