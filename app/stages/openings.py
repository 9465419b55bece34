"""Openings a model's reply must not copy, caught in its first words and generated again.

Deep in a long conversation a 0.5B model copies instead of answering: an earlier line of the
user's ("Who wrote Romeo and Juliet?" answered "I have an uncalled max."), or a local tool's
scripted sentence ("I can't check the moon landing year from here; I don't have live data on
this device."), which in the model's mouth is untrue; or the question itself, said back ("Good
morning. How did you sleep?" answered with those words). The copy shows in the first words,
before the first clause is cut (the splitter cuts it at three words; a whole question said back
is held as long as the reply is still saying it), so the reply can still be
generated again, unheard, with the copy's first token banned at the first position; the prompt
is cached, so the retry costs one token's evaluation and the few tokens generated so far.

The guard holds deltas only while the text so far is still the start of an opening to avoid;
as soon as it is not, everything held goes out, so a reply that copies nothing loses no time.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

OPENING_WORDS = 3
"""Words of an earlier user line compared with a reply: enough to tell a copy, no later than
the splitter's first clause."""
_WORD = re.compile(r"[a-z0-9']+")


def opening_words(text: str, n: int = OPENING_WORDS) -> tuple[str, ...]:
    """The first ``n`` words of ``text``, lowercased, punctuation dropped, apostrophes kept."""
    return tuple(_WORD.findall(_fold(text))[:n])


def _fold(text: str) -> str:
    return text.lower().replace("\u2019", "'")


class Verdict(enum.Enum):
    HOLD = "hold"
    """Still the start of an opening to avoid: keep the deltas back."""
    CLEAR = "clear"
    """Not a copy: pass everything on."""
    COPY = "copy"
    """The reply opens with an opening to avoid."""


class OpeningGuard:
    """Reads a reply's first deltas and says whether they open with one of ``openings``."""

    def __init__(self, openings: Iterable[str]) -> None:
        """``openings``: texts whose words a reply must not start with, all of them, in order
        (case and punctuation aside); texts of no words are ignored."""
        self._openings = {words for text in openings if (words := tuple(_WORD.findall(_fold(text))))}
        self._text = ""
        self._verdict = Verdict.HOLD if self._openings else Verdict.CLEAR

    def push(self, delta: str) -> Verdict:
        """Add a delta of the reply; the verdict so far (CLEAR and COPY are final)."""
        if self._verdict is not Verdict.HOLD:
            return self._verdict
        self._text += delta
        lowered = _fold(self._text)
        words = _WORD.findall(lowered)
        # The last word may go on in the next delta ("an" -> "another") unless something follows it.
        partial = words.pop() if words and (lowered[-1].isalnum() or lowered[-1] == "'") else ""
        states = {_match(o, words, partial) for o in self._openings}
        if Verdict.COPY in states:
            self._verdict = Verdict.COPY
        elif Verdict.HOLD not in states:
            self._verdict = Verdict.CLEAR
        return self._verdict


def _match(opening: tuple[str, ...], words: list[str], partial: str) -> Verdict:
    """COPY when ``words`` open with all of ``opening``; HOLD while they (and the word still
    being written, ``partial``) could yet; CLEAR when they cannot."""
    n = len(words)
    if n >= len(opening):
        return Verdict.COPY if tuple(words[: len(opening)]) == opening else Verdict.CLEAR
    if tuple(words) != opening[:n] or not opening[n].startswith(partial):
        return Verdict.CLEAR
    return Verdict.HOLD


def guarded(generate: Callable[[str | None], Generator[str, None, None]], openings: Iterable[str]) -> Iterator[str]:
    """The deltas of ``generate(None)``, unless they open with one of ``openings``: then those of
    ``generate(first)`` instead, where ``first`` is the copy's first delta, for the generator to
    ban at the reply's first position. One retry: what it says is kept, copy or not."""
    guard = OpeningGuard(openings)
    held: list[str] = []
    stream = generate(None)
    try:
        for delta in stream:
            verdict = guard.push(delta)
            if verdict is Verdict.HOLD:
                held.append(delta)
                continue
            if verdict is Verdict.COPY:
                first = (held or [delta])[0]
                # No words in the line: logs above DEBUG never carry what was said.
                log.info("a reply opened with a copy; generating it again without its first token")
                break
            yield from held
            held.clear()
            yield delta
        else:
            yield from held  # the whole reply was shorter than an opening
            return
    finally:
        stream.close()  # the copy's generation stops here, not at its end
    yield from generate(first)


def ban_first_token(llama: Any, prompt_tokens: int, first: str | None) -> Any:
    """A llama-cpp-python logits processor list that forbids, at the reply's first position only
    (``prompt_tokens`` in), the token that spells ``first``; None when ``first`` is None."""
    if first is None:
        return None
    from llama_cpp import LogitsProcessorList

    ids = llama.tokenize(first.encode("utf-8"), add_bos=False, special=False)
    if not ids:
        return None
    banned = ids[0]

    def ban(input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if len(input_ids) == prompt_tokens:
            scores[banned] = -np.inf
        return scores

    return LogitsProcessorList([ban])
