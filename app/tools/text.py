"""A Whisper transcript reduced to the words of the request: lowercase, no punctuation, no fillers or courtesies.

"Um, hey, could you tell me what's 7 * 8, please?" becomes "what is 7 times 8". The tools match the
whole of that text, so what is stripped here is only what never changes the meaning of a request.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SYMBOLS = {
    "%": " percent ", "+": " plus ", "\u00d7": " times ", "*": " times ", "÷": " divided by ", "=": " equals ",
    "^": " to the power of ", "°": " degrees ", "&": " and ", "$": " dollars ", "€": " euros ", "£": " pounds ",
}
_CONTRACTIONS = {
    "what's": "what is", "it's": "it is", "that's": "that is", "there's": "there is", "where's": "where is",
    "how's": "how is", "who's": "who is", "when's": "when is", "i'm": "i am", "i'd": "i would", "i'll": "i will",
    "let's": "let us", "what're": "what are", "how're": "how are", "today's": "today", "tomorrow's": "tomorrow",
    "yesterday's": "yesterday", "how'd": "how would", "whats": "what is", "hows": "how is",
}
_FILLERS = frozenset("um umm uh uhh uhm erm er hmm hm mm".split())
_LEADING = (
    "hey there", "hey", "hi", "hello", "ok", "okay", "alright", "all right", "so", "well", "oh", "yeah", "yes",
    "excuse me", "sorry", "please", "can you please", "could you please", "would you please", "will you please",
    "can you", "could you", "would you", "will you", "can u", "could u", "tell me", "do you know", "would you know",
    "i want to know", "i would like to know", "i need to know", "i wonder", "i was wondering", "any idea",
    "quick question", "let me know", "i would like you to", "i want you to", "i need you to", "go ahead and",
    "just", "now", "and", "then", "also", "actually", "by the way",
)
_TRAILING = ("please", "thanks", "thank you", "for me", "right now", "now", "at the moment", "currently", "again")


@dataclass(frozen=True, slots=True)
class Utterance:
    """The request's words: ``text`` is lowercase words joined by single spaces; ``cased`` keeps their case."""

    text: str
    cased: tuple[str, ...]

    def original(self, start: int, end: int) -> str:
        """The words of ``text[start:end]`` (a regex group's span) as the user's transcript cased them."""
        first = self.text[:start].count(" ") if start else 0
        count = len(self.text[start:end].split())
        return " ".join(self.cased[first:first + count])


def _ascii(text: str) -> str:
    """"São Paulo" -> "Sao Paulo", curly quotes -> straight ones."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", " - ").replace("\u2014", " - ")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _punctuation(text: str) -> str:
    """Symbols to words, then punctuation dropped except inside numbers ("2.5", "3:05") and words ("o'clock")."""
    text = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", text, flags=re.IGNORECASE)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = re.sub(r"(?<=\d)\s*x\s*(?=\d)", " times ", text)  # 12x12
    text = re.sub(r"(?<=\d)\s*/\s*(?=\d)", " divided by ", text)
    text = re.sub(r"(?<=[a-zA-Z])/(?=[a-zA-Z])", " per ", text)  # km/h, m/s
    text = re.sub(r"(?<=\d)\s+-\s+(?=\d)|(?<=\d)-(?=\d)", " minus ", text)
    text = re.sub(r"(?:(?<=\s)|^)-(?=\d)", "minus ", text)  # -40
    text = re.sub(r"(?<=[a-zA-Z0-9])-(?=[a-zA-Z0-9])", " ", text)  # twenty-five, ten-minute
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    text = re.sub(r"(?<=\d)(?=[a-zA-Z])", " ", text)  # 10kg, 5pm
    text = re.sub(r"(?<!\d)[.:]|[.:](?!\d)", " ", text)
    text = re.sub(r"[^\w\s'.:]", " ", text)
    return re.sub(r"(?<![a-zA-Z])'|'(?![a-zA-Z])", " ", text)


def _strip(words: list[str], cased: list[str]) -> tuple[list[str], list[str]]:
    """Fillers anywhere, courtesies at either end (repeatedly: "hey, can you please tell me ...")."""
    kept = [i for i, w in enumerate(words) if w not in _FILLERS]
    words, cased = [words[i] for i in kept], [cased[i] for i in kept]
    changed = True
    while changed and words:
        changed = False
        for phrase in _LEADING:
            n = len(phrase.split())
            if words[:n] == phrase.split() and len(words) > n:
                words, cased, changed = words[n:], cased[n:], True
                break
        for phrase in _TRAILING:
            n = len(phrase.split())
            if words[-n:] == phrase.split() and len(words) > n:
                words, cased, changed = words[:-n], cased[:-n], True
                break
    return words, cased


def normalize(transcript: str) -> Utterance:
    """The request in ``transcript`` (see the module docstring)."""
    words: list[str] = []
    cased: list[str] = []
    for token in _punctuation(_ascii(transcript)).split():
        lower = token.lower()
        expanded = _CONTRACTIONS.get(lower)
        if expanded:
            words += expanded.split()
            cased += expanded.split()
        else:
            words.append(lower)
            cased.append(token if cased else lower)  # the first word is capitalized only for being first
    words, cased = _strip(words, cased)
    return Utterance(" ".join(words), tuple(cased))
