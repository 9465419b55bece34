"""Timers that came due, spoken by the assistant as turns of their own when nobody is talking.

An alert never talks over the user or over a reply: it waits until the conversation is quiet
(checked again on every batch of audio, 20 ms apart) and then starts a turn that only speaks.
It stays out of the history, so the model does not start repeating "Your timer is done".
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np

from app import protocol as p
from app.conversation.effects import Outbox, StartTurn
from app.conversation.timers import SessionTimers
from app.conversation.turn import TurnState
from app.conversation.turns import Turns
from app.tools import Timer

log = logging.getLogger(__name__)


class Alerts:
    """Due timers waiting for a quiet moment, oldest first."""

    def __init__(self, turns: Turns, timers: SessionTimers, outbox: Outbox) -> None:
        self._turns = turns
        self._timers = timers
        self._out = outbox
        self._due: deque[tuple[Timer, float]] = deque()
        """Each due timer with how late it came due, in ms."""

    def wake(self, now_s: float, now: float) -> None:
        """Unix time ``now_s``, monotonic ``now``: take the timers now due, speak what can be spoken."""
        for timer in self._timers.take_due(now_s):
            self._due.append((timer, max(0.0, 1000.0 * (now_s - timer.due_s))))
        self.speak_when_quiet(now)

    def speak_when_quiet(self, now: float) -> None:
        """Start the oldest waiting alert if nobody is talking (one at a time)."""
        if not self._due or not self._turns.quiet:
            return
        timer, late_ms = self._due.popleft()
        at = self._turns.segmenter.position
        turn = self._turns.new(TurnState.COMMITTED, np.zeros(0, dtype=np.int16), at, speech_start=at)
        turn.alert, turn.committed_at, turn.endpoint_wait_ms = True, now, 0.0
        text = timer.alert()
        log.info("%s %s fired (%.0f ms late)", timer.kind, timer.id, late_ms)
        self._out.send(p.TimerFired(id=timer.id, kind=timer.kind, label=timer.label, text=text, turn_id=turn.id,
                                    late_ms=round(late_ms, 1)))
        self._out.put(StartTurn(turn.id, turn.audio, (), naive=False, say=text))

    def clear(self) -> None:
        """Forget alerts not yet spoken (the session is forgotten)."""
        self._due.clear()
