"""Cut a token stream into speakable pieces as the tokens arrive.

The first piece is cut early (first clause boundary, or after a few words) because its
synthesis is on the critical path to first audio. Later pieces run to a sentence end, or a
comma once they are long enough, which sounds more natural and keeps playback fed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s")
_CLAUSE_END = re.compile(r"[,;:—–]\s|\s[-–—]\s")
_MARKDOWN = re.compile(r"[*_`#>]+")
_ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "st.", "vs.", "e.g.", "i.e.", "etc.", "no.")


def speakable(text: str) -> str:
    """Strip markdown symbols and squash whitespace so TTS does not read them out."""
    return " ".join(_MARKDOWN.sub("", text).split())


class ClauseSplitter:
    """Accumulates reply text and yields pieces ready for TTS."""

    def __init__(self, first_max_words: int = 6, min_words: int = 3) -> None:
        """``first_max_words``: hard cut of the first piece; ``min_words``: smallest comma-cut piece."""
        self._first_max_words = first_max_words
        self._min_words = min_words
        self._buffer = ""
        self._pieces = 0

    def push(self, delta: str) -> Iterator[str]:
        """Add generated text; yield every piece that is now complete."""
        self._buffer += delta
        while (cut := self._find_cut()) is not None:
            piece, self._buffer = self._buffer[:cut], self._buffer[cut:].lstrip()
            piece = speakable(piece)
            if piece:
                self._pieces += 1
                yield piece

    def flush(self) -> Iterator[str]:
        """Yield whatever is left at the end of the reply."""
        piece = speakable(self._buffer)
        self._buffer = ""
        if piece:
            self._pieces += 1
            yield piece

    def _find_cut(self) -> int | None:
        text = self._buffer
        for match in _SENTENCE_END.finditer(text):
            words_before = text[: match.start() + 1].split()
            if words_before and words_before[-1].lower() in _ABBREVIATIONS:
                continue
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
