"""How the tools' scripted answers open: words the model must not say in their place.

In the model's mouth each of these is untrue: it has set no timer, remembers nothing by itself,
and "I can't check X from here" about a fact it does know is a copy of the live-facts tool, not
an answer (a 0.5B model deep in a long conversation copies them; see app/stages/openings.py).
"""

from __future__ import annotations

SCRIPTED_OPENINGS: tuple[str, ...] = (
    "I can't check",  # live facts
    "I can't play",  # devices: media
    "I can't make",  # devices: calls, messages, orders
    "OK, a",  # "OK, a 5 minute timer, starting now."
    "OK, I'll remind",
    "I'll remember that",  # memory
    "I'll remember your",
    "You haven't told me",
    "I can answer questions",  # about: what it can do
    "Your time zone is",  # clock
)
