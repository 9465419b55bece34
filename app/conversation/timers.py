"""The session's timers and reminders: what is pending, what came due, and what the client is told.

Timers are wall-clock (Unix seconds), not stream samples: they must ring at the right moment
after a reconnect or on another node, where the audio stream starts again from zero. They are
saved with the conversation and reach the client as a ``timers`` snapshot on every change.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

from app import protocol as p
from app.conversation.effects import Outbox, WakeAt
from app.store.base import MAX_TIMERS
from app.tools import CancelTimers, SetTimer, Timer, TimerAction, ToolContext

log = logging.getLogger(__name__)

_NUMBERED = re.compile(r"t(\d+)")


class SessionTimers:
    """Pending timers of one session, soonest first, and the ones that came due."""

    def __init__(self, outbox: Outbox) -> None:
        self._out = outbox
        self._pending: list[Timer] = []
        self._count = 0
        """Highest timer number given so far (ids are "t1", "t2", ...)."""
        self._unsaved = False

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def pending(self) -> tuple[Timer, ...]:
        return tuple(self._pending)

    def context(self, now_s: float, timezone: str, node_timezone: str = "") -> ToolContext:
        """What the tools may read, at Unix time ``now_s``, for a user in ``timezone`` (IANA)."""
        return ToolContext(now_s=now_s, timezone=timezone, timers=self.pending, next_id=f"t{self._count + 1}",
                           node_timezone=node_timezone)

    # -------------------------------------------------------------- changes

    def load(self, stored: Iterable[Mapping[str, object]]) -> None:
        """Take the stored timers of a resumed session (already saved); unreadable ones are skipped."""
        timers: list[Timer] = []
        for item in stored:
            try:
                timers.append(Timer.from_dict(dict(item)))
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("stored timer skipped: %s", type(exc).__name__)
        self._pending = sorted(timers, key=lambda t: t.due_s)[:MAX_TIMERS]
        self._count = max([self._count, *(_number(t.id) for t in self._pending)])

    def apply(self, action: TimerAction) -> None:
        """Set or cancel what a tool decided (the turn that asked for it was answered)."""
        if isinstance(action, SetTimer):
            if len(self._pending) >= MAX_TIMERS:
                log.info("timer not set: %d pending already", len(self._pending))
                return
            self._count = max(self._count, _number(action.timer.id))
            self._pending = sorted([*self._pending, action.timer], key=lambda t: t.due_s)
        elif isinstance(action, CancelTimers):
            self._pending = [t for t in self._pending if t.id not in action.ids]
        self._announce_change()

    def cancel(self, timer_id: str) -> None:
        """The client cancelled ``timer_id``; ProtocolError when there is no such timer."""
        if all(t.id != timer_id for t in self._pending):
            raise p.ProtocolError(p.ErrorCode.BAD_MESSAGE, f"no pending timer {timer_id[:16]!r}")
        self.apply(CancelTimers((timer_id,)))

    def take_due(self, now_s: float) -> list[Timer]:
        """Remove and return every timer due at Unix time ``now_s``, soonest first."""
        due = [t for t in self._pending if t.due_s <= now_s]
        if due:
            self._pending = self._pending[len(due):]
            self._announce_change()
        return due

    def clear(self, *, save: bool = True) -> None:
        """Drop every timer (``save=False``: the stored record is being deleted instead)."""
        if self._pending:
            self._pending = []
            self._announce_change(save=save)

    # -------------------------------------------------------------- reporting

    def snapshot(self) -> p.Timers:
        """The ``timers`` message for the client."""
        return p.Timers(timers=[t.to_wire() for t in self._pending])

    def take_unsaved(self) -> tuple[dict[str, float | str], ...] | None:
        """The timers to save if they changed since the last call (then marked saved), else None."""
        if not self._unsaved:
            return None
        self._unsaved = False
        return self.stored()

    def stored(self) -> tuple[dict[str, float | str], ...]:
        """The timers as the session store keeps them."""
        return tuple(t.to_dict() for t in self._pending)

    def announce(self) -> None:
        """Tell the client what is pending, and the connection when to wake the session next."""
        self._out.send(self.snapshot())
        self._out.put(WakeAt(self._pending[0].due_s if self._pending else None))

    def _announce_change(self, *, save: bool = True) -> None:
        self._unsaved = self._unsaved or save
        self.announce()


def _number(timer_id: str) -> int:
    match = _NUMBERED.fullmatch(timer_id)
    return int(match.group(1)) if match else 0
