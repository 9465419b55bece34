"""Turns stopped a moment ago, kept so a late ``interrupt`` can still say what was heard.

A Realtime client barges in with ``response.cancel`` and only then ``conversation.item.truncate``
at its playback position (LiveKit's agents and Pipecat both do): by the truncate the native turn
is gone, and the history would keep every word sent instead of the words heard.
"""

from __future__ import annotations

from app.conversation.history import History
from app.conversation.turn import Turn

KEPT = 4
"""Stopped turns remembered: a truncate follows its cancel within one round trip."""


class StoppedTurns:
    """The last :data:`KEPT` turns stopped early, oldest first."""

    def __init__(self) -> None:
        self._turns: dict[int, Turn] = {}

    def add(self, turn: Turn) -> None:
        """Remember ``turn`` (stopped early), forgetting the oldest beyond :data:`KEPT`."""
        self._turns[turn.id] = turn
        while len(self._turns) > KEPT:
            del self._turns[next(iter(self._turns))]

    def get(self, turn_id: int) -> Turn | None:
        return self._turns.get(turn_id)


def shorten_kept(history: History, turn: Turn, heard: str) -> str:
    """Let the history keep only ``heard`` of a stopped turn's reply: shorter, never longer. Returns ``heard``."""
    kept = turn.assistant_message
    if history.contains(kept) and len(heard.split()) < len(kept.content.split()):
        turn.assistant_message = history.replace(kept, heard)
    return heard
