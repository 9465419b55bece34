"""One reply at a time: a real new turn stops the reply still being made (barge-in), or, with
barge-in off (the Realtime protocol's ``interrupt_response: false``), is answered after it.

A turn that waits keeps generating, but everything it produces is held, its words join the
history only once the reply before it is done (so the history still alternates), and then its
reply goes out as if it had just come. A reply already made in full is never stopped: the
client plays the next one after it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.chat import ChatMessage
from app.conversation.history import History
from app.conversation.turn import Turn, TurnState

if TYPE_CHECKING:
    from app.conversation.turns import Turns

log = logging.getLogger(__name__)


class Waiting:
    """The turns waiting for the reply before theirs, each with the one it waits for."""

    def __init__(self, turns: Turns, live: dict[int, Turn], history: History) -> None:
        """``live``: the turns ``turns`` tracks, by id (its own dict, read and trimmed here)."""
        self._turns = turns
        self._live = live
        self._history = history
        self.barge_in = True
        """A new turn stops the reply still being made (False: it waits for it)."""
        self._waits: dict[int, tuple[int, str]] = {}
        """Waiting turn id -> (the id of the turn it waits for, its user's words)."""

    def supersede(self, turn: Turn, text: str) -> None:
        """``turn``, a real new turn of ``text``, takes over: an older reply still being made is
        stopped (or waited for, with barge-in off); finished ones are forgotten (they were kept
        only so a barge-in could truncate them)."""
        ahead: Turn | None = None
        for older in list(self._live.values()):
            if older.id == turn.id or not older.live:
                continue
            if not self.barge_in and (older.generating or older.id in self._waits):
                ahead = older  # the newest one still to finish: this turn goes after it
            elif older.generating:
                self._turns.stop(older, interrupted=True)
            else:
                older.state = TurnState.RETIRED
                self._live.pop(older.id)
        if ahead is None:
            turn.user_message = self._history.append(ChatMessage("user", text))
        else:
            log.info("turn %d waits for turn %d's reply", turn.id, ahead.id)
            self._waits[turn.id] = (ahead.id, text)

    def holds(self, turn: Turn) -> bool:
        """Whether ``turn``'s output is held until the reply before it is done."""
        return turn.id in self._waits

    def release(self, done: Turn, now: float | None) -> None:
        """``done``'s reply is finished or stopped (at monotonic ``now``, s, if known): the turn
        waiting for it goes on (or, if ``done`` was itself waiting, waits for what it waited for)."""
        ahead = self._waits.pop(done.id, None)
        for waiting_id, (for_id, text) in list(self._waits.items()):
            if for_id != done.id:
                continue
            if ahead is not None:
                self._waits[waiting_id] = (ahead[0], text)
                continue
            del self._waits[waiting_id]
            turn = self._live.get(waiting_id)
            if turn is None or turn.state is not TurnState.COMMITTED:
                continue  # stopped while it waited
            turn.user_message = self._history.append(ChatMessage("user", text))
            held, turn.held = turn.held, []
            for effect in held:
                self._turns.emit(turn, effect, now if now is not None else turn.committed_at or 0.0)
            self._turns.maybe_finish(turn, now)
