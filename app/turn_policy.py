"""Does a (partial) transcript look like a finished turn? Decides how long a pause must last.

The trick, after KoljaB's RealtimeSTT: Whisper punctuates. A sentence that ends in ".", "!" or "?"
and does not end on a conjunction or filler is probably complete, so a short silence ends it.
A comma, a dash, an ellipsis, or a trailing "and"/"so"/"I was wondering" means the user is
probably still thinking, so we wait much longer.
"""

from __future__ import annotations

import re

_TRAILING_OPEN_WORDS = frozenset(
    """
    and or but so because since though although if when while whereas then than that which who
    whom whose where what how why to of for with from in on at by about as like into onto
    the a an my your his her its our their this these those some any every no
    um uh er erm hmm well mean know wondering think guess was were is are am be been being
    can could would should will shall may might must do does did have has had not
    """.split()
)
_OPEN_PHRASES = ("i was wondering", "i want to", "i'd like to", "can you tell me", "let me", "you know")
_WORD = re.compile(r"[a-z']+")


def looks_complete(text: str) -> bool:
    """True when ``text`` reads as a finished utterance (so a short pause may end the turn)."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.endswith(("...", "…", ",", ";", ":", "-", "—")):
        return False
    if stripped[-1] not in ".!?":
        return False
    lowered = stripped.lower()
    words = _WORD.findall(lowered)
    if not words:
        return False
    if words[-1] in _TRAILING_OPEN_WORDS:
        return False
    body = lowered.rstrip(".!? ")
    return not any(body.endswith(phrase) for phrase in _OPEN_PHRASES)


# Only phrases no user says to an assistant as a whole turn; "Thank you." is left alone.
_HALLUCINATIONS = frozenset({"", "you", "thanks for watching", "thank you for watching", "subtitles by"})


def is_noise_transcript(text: str) -> bool:
    """Whisper's stock outputs on noise or silence ("Thank you.", "you"), which are not a turn."""
    normalized = " ".join(_WORD.findall(text.lower()))
    return normalized in _HALLUCINATIONS
