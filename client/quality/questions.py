"""The question set: items with rules, their tune/holdout half and voice, and the order they are asked in.

Halves: within each category of :data:`~client.quality.bank.CATEGORIES` the stand-alone questions
alternate, tune first (1st, 3rd, ... are tune; 2nd, 4th, ... holdout); each dialogue names its half, and
the dialogues come in tune/holdout pairs of the same kind. Tune is for adjusting prompts and rules;
holdout is what gets reported. Voices rotate over :data:`client.benchmark.voices.VOICES` in bank order;
a dialogue keeps one voice (one speaker) for all its turns.

Plans (:func:`session_plan`): every session of a run, as lists of items.

- fresh: every stand-alone question in a new session, every dialogue in a new session of its own;
- continuing: one long session per half, the dialogues interleaved with the stand-alone questions,
  a dialogue's turns ``gap`` questions apart (so "What is my name?" comes 8 exchanges after "My name is Alice.").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from client.benchmark.voices import VOICES
from client.quality.bank import CATEGORIES, DIALOGUES
from client.quality.rules import Rule

HALVES = ("tune", "holdout")
CATEGORY_NAMES = (*CATEGORIES, "follow_ups")


@dataclass(frozen=True)
class Item:
    """One spoken question and how its reply is scored."""

    id: str
    category: str
    text: str
    rule: Rule
    half: str
    voice: str
    dialogue: str = ""
    """The dialogue it belongs to ("" for a stand-alone question)."""
    turn: int = 0
    """Its place in the dialogue (0: the first turn)."""


@dataclass(frozen=True)
class Dialogue:
    """Turns that belong together; later turns need the earlier ones."""

    id: str
    half: str
    gap: int
    turns: tuple[Item, ...]


def _standalone() -> list[Item]:
    out: list[Item] = []
    for category, questions in CATEGORIES.items():
        for k, (qid, text, rule) in enumerate(questions):
            out.append(Item(qid, category, text, rule, HALVES[k % 2], ""))
    # Round-robin over categories, so a --limit run still covers several of them.
    by_cat = [[i for i in out if i.category == c] for c in CATEGORIES]
    mixed = [row[k] for k in range(max(map(len, by_cat))) for row in by_cat if k < len(row)]
    return [Item(i.id, i.category, i.text, i.rule, i.half, VOICES[n % len(VOICES)].name)
            for n, i in enumerate(mixed)]


def _dialogues() -> list[Dialogue]:
    out = []
    for n, (did, half, gap, turns) in enumerate(DIALOGUES):
        voice = VOICES[(3 * n + 1) % len(VOICES)].name  # 3 is prime to 8: every voice gets a dialogue
        items = tuple(Item(f"{did}_{k}", category, text, rule, half, voice, dialogue=did, turn=k)
                      for k, (category, text, rule) in enumerate(turns))
        out.append(Dialogue(did, half, gap, items))
    return out


STANDALONE: tuple[Item, ...] = tuple(_standalone())
DIALOGUE_SET: tuple[Dialogue, ...] = tuple(_dialogues())
ALL_ITEMS: tuple[Item, ...] = STANDALONE + tuple(t for d in DIALOGUE_SET for t in d.turns)


def halves_of(set_name: str) -> tuple[str, ...]:
    """"tune", "holdout" or "all" as the halves it covers."""
    if set_name == "all":
        return HALVES
    if set_name not in HALVES:
        raise ValueError(f"unknown set {set_name!r} (tune, holdout or all)")
    return (set_name,)


def interleave(questions: Sequence[Item], dialogues: Sequence[Dialogue]) -> list[Item]:
    """One conversation: dialogues started at even intervals among ``questions``, each dialogue's next
    turn asked once ``gap`` other exchanges have passed since its previous one."""
    total = len(questions) + sum(len(d.turns) for d in dialogues)
    spacing = total / max(1, len(dialogues))
    plan: list[Item] = []
    waiting: list[tuple[int, Dialogue, int]] = []  # (ready at plan length, dialogue, next turn)
    to_start = list(dialogues)
    rest = list(questions)
    started = 0

    def ask(d: Dialogue, k: int) -> None:
        plan.append(d.turns[k])
        if k + 1 < len(d.turns):
            waiting.append((len(plan) + d.gap, d, k + 1))
            # A gap-0 turn ("there", "that") must follow its turn at once: it goes before any due one.
            waiting.sort(key=lambda w: (w[1].gap != 0, w[0]))

    while rest or waiting or to_start:
        if waiting and (waiting[0][0] <= len(plan) or not (rest or to_start)):
            _, d, k = waiting.pop(0)
            ask(d, k)
        elif to_start and (len(plan) >= started * spacing or not rest):
            started += 1
            ask(to_start.pop(0), 0)
        else:
            plan.append(rest.pop(0))
    return plan


def session_plan(mode: str, halves: Iterable[str], categories: Iterable[str] | None = None,
                 limit: int | None = None) -> list[list[Item]]:
    """The sessions of one mode ("fresh" or "continuing"), each a list of items in asking order.

    ``categories``: keep stand-alone questions of these, and whole dialogues with a turn in one of
    them (earlier turns are context). ``limit``: at most this many items in all (the plan is cut).
    """
    wanted = set(categories) if categories else set(CATEGORY_NAMES)
    sessions: list[list[Item]] = []
    for half in halves:
        questions = [i for i in STANDALONE if i.half == half and i.category in wanted]
        dialogues = [d for d in DIALOGUE_SET if d.half == half and any(t.category in wanted for t in d.turns)]
        order = interleave(questions, dialogues)
        if mode == "continuing":
            sessions.append(order)
        elif mode == "fresh":
            seen: set[str] = set()
            for item in order:
                if item.dialogue and item.dialogue not in seen:
                    seen.add(item.dialogue)
                    sessions.append([t for t in order if t.dialogue == item.dialogue])
                elif not item.dialogue:
                    sessions.append([item])
        else:
            raise ValueError(f"unknown mode {mode!r} (fresh or continuing)")
    if limit is None:
        return sessions
    cut: list[list[Item]] = []
    left = limit
    for s in sessions:
        if left <= 0:
            break
        cut.append(s[:left])
        left -= len(cut[-1])
    return cut


def counts(items: Iterable[Item] = ALL_ITEMS) -> dict[str, dict[str, int]]:
    """Items per category per half (the summary the docs show)."""
    out: dict[str, dict[str, int]] = {c: dict.fromkeys(HALVES, 0) for c in CATEGORY_NAMES}
    for i in items:
        out[i.category][i.half] += 1
    return out
