"""How the tools' scripted answers open: words the model must not say in their place.

In the model's mouth each of these is untrue: it has set no timer, remembers nothing by itself,
and "I can't check X from here" about a fact it does know is a copy of the live-facts tool, not
an answer (a 0.5B model deep in a long conversation copies them; see app/stages/openings.py).
Only sentences copied in the model's mouth are listed ("Good morning. How did you sleep?" was
answered "I can't make calls, send messages or order things from here; ..." and "When should I
remind you? ..." in one 48-exchange session); "You haven't told me" may be its own honest answer.
"""

from __future__ import annotations

SCRIPTED_OPENINGS: tuple[str, ...] = (
    "I can't check",  # live facts
    "I can't make",  # devices: calls, messages, orders
    "I can't play",  # devices: media
    "When should I",  # timers: "When should I remind you? For example, say: ..."
    "How long should",  # "How long should the timer be? ..."
    "OK, a",  # "OK, a 5 minute timer, starting now."
    "OK, I'll remind",
    "I'll remember that",  # memory
    "I'll remember your",
    "I can answer questions",  # about: what it can do
    "Your time zone is",  # clock
)
