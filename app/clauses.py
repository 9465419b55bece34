"""Cut a token stream into speakable pieces as the tokens arrive.

The first piece is cut early (first clause boundary, or after a few words) because its
synthesis is on the critical path to first audio. Later pieces run to a sentence end, or a
comma once they are long enough, which sounds more natural and keeps playback fed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.spoken import strip_markup

_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s")
_CLAUSE_END = re.compile(r"[,;:—–]\s|\s[-–—]\s")
_LIST_NUMBER = re.compile(r"(?:^|\n)\s*\d{1,3}[.)]$")
_ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "st.", "vs.", "e.g.", "i.e.", "etc.", "no.")


def speakable(text: str) -> str:
    """Strip markdown (emphasis, headings, list markers, links) and squash whitespace: the text
    shown and kept in the history is what is spoken (``app.spoken.for_speech`` then words it)."""
    return " ".join(strip_markup(text).split())


def _ends_sentence(text: str) -> bool:
    words = text.rstrip("\"')]").split()
    return bool(words) and words[-1][-1] in ".!?" and words[-1].lower() not in _ABBREVIATIONS


class ClauseSplitter:
    """Accumulates reply text and yields pieces ready for TTS."""

    def __init__(self, first_max_words: int = 6, min_words: int = 3) -> None:
        """``first_max_words``: hard cut of the first piece; ``min_words``: smallest comma-cut piece."""
        self._first_max_words = first_max_words
        self._min_words = min_words
        self._buffer = ""
        self._pieces = 0
        self._last_piece = ""
        self.said_a_sentence = False
        """Some piece cut so far ended a sentence."""

    def push(self, delta: str) -> Iterator[str]:
        """Add generated text; yield every piece that is now complete."""
        self._buffer += delta
        while (cut := self._find_cut()) is not None:
            piece, self._buffer = self._buffer[:cut], self._buffer[cut:].lstrip()
            piece = speakable(piece)
            if piece:
                yield self._counted(piece)

    @property
    def at_sentence_end(self) -> bool:
        """The text so far ends with a whole sentence (a good place to stop a long reply)."""
        pending = self._buffer.strip()
        return _ends_sentence(pending) if pending else _ends_sentence(self._last_piece)

    def flush(self, *, drop_unfinished: bool = False) -> Iterator[str]:
        """Yield whatever is left at the end of the reply; ``drop_unfinished``: not if it stops
        mid-sentence (a reply cut by the token limit ends at its last full sentence instead)."""
        piece = speakable(self._buffer)
        self._buffer = ""
        if piece and not (drop_unfinished and not _ends_sentence(piece)):
            yield self._counted(piece)

    def _counted(self, piece: str) -> str:
        self._pieces += 1
        self._last_piece = piece
        self.said_a_sentence = self.said_a_sentence or _ends_sentence(piece)
        return piece

    def _find_cut(self) -> int | None:
        text = self._buffer
        for match in _SENTENCE_END.finditer(text):
            words_before = text[: match.start() + 1].split()
            if words_before and words_before[-1].lower() in _ABBREVIATIONS:
                continue
            if _LIST_NUMBER.search(text[: match.start() + 1]):
                continue  # "2. Bake ..." starts a list item; it does not end a sentence
            return match.end()
        min_words = 1 if self._pieces == 0 else self._min_words
        for match in _CLAUSE_END.finditer(text):
            if len(text[: match.start()].split()) >= min_words:
                return match.end()
        if self._pieces == 0:
            # A whole word is only known once the next whitespace arrives.
            words = list(re.finditer(r"\S+\s", text))
            if len(words) >= self._first_max_words:
                return words[self._first_max_words - 1].end()
        return None
