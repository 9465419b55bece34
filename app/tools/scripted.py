"""How the tools' scripted answers open: words the model must not say in their place.

In the model's mouth each of these is untrue: it has set no timer, remembers nothing by itself,
and "I can't check X from here" about a fact it does know is a copy of the live-facts tool, not
an answer (a 0.5B model deep in a long conversation copies them; see app/stages/openings.py).
Only sentences untrue or copied in the model's mouth are listed: "I can't play music" or "You
haven't told me" may be its own honest answer.
"""

from __future__ import annotations

SCRIPTED_OPENINGS: tuple[str, ...] = (
    "I can't check",  # live facts
    "OK, a",  # "OK, a 5 minute timer, starting now."
    "OK, I'll remind",
    "I'll remember that",  # memory
    "I'll remember your",
    "I can answer questions",  # about: what it can do
    "Your time zone is",  # clock
)
