"""Continuations: a pause that ended a turn too early is repaired by merging what follows.

Speech that starts soon after the user's last turn (``continuation_ms``) may continue it: the
two parts are transcribed as one. Only if that adds words is it a continuation: then the first
part's reply is suspended (its llama.cpp context and cores go to the whole utterance), the two
are answered as one, and the first part's exchange is withdrawn from the history. Speech that
adds no words (noise the VAD let through) never touches the first part's reply.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from app.audio import INPUT_FORMAT
from app.config import EndpointSettings
from app.conversation.effects import Outbox, StartTurn
from app.conversation.history import History
from app.conversation.turn import Generation, Turn, TurnState
from app.turn_policy import adds_words

if TYPE_CHECKING:
    from app.conversation.turns import Turns

log = logging.getLogger(__name__)


class Continuation:
    """Tracks the user's last turn and whether the utterance in progress continues it."""

    def __init__(self, turns: Turns, history: History, outbox: Outbox, endpoint: EndpointSettings) -> None:
        self._turns = turns
        self._out = outbox
        self._history = history
        self._continuation_ms = endpoint.continuation_ms
        self._last_user_turn: Turn | None = None
        """The most recent turn the user completed (for merging a continuation into it)."""
        self._previous: Turn | None = None
        """Set at speech start when the new utterance follows the last turn closely."""

    def answered(self, turn: Turn) -> None:
        """``turn`` is now the user's latest turn (its words are in the history)."""
        self._last_user_turn = turn

    def speech_started(self, start: int) -> None:
        """Speech began at stream sample ``start``: may it continue the last turn?"""
        last = self._last_user_turn
        gap_ms = INPUT_FORMAT.samples_to_ms(start - last.voiced_end) if last is not None else None
        self._previous = last if gap_ms is not None and gap_ms <= self._continuation_ms else None

    def transcribed(self, turn: Turn) -> bool:
        """``turn`` (a possible continuation) has its words: True if it continues the turn it
        follows, whose reply is then suspended; False if it added no words."""
        previous = turn.continues
        if previous is None:
            return True
        if not adds_words(previous.transcript, turn.transcript or ""):
            return False
        if self._turns.tracked(previous) and previous.generating:
            self._turns.suspend(previous)
        return True

    def start(self, turn: Turn, *, naive: bool) -> StartTurn:
        """The StartTurn of ``turn``; a continuation is transcribed and answered as one with the
        turn it continues, as if the pause had never ended the first."""
        previous = self._previous
        if previous is None or previous.user_message is None:
            return StartTurn(turn.id, turn.audio, self._history.snapshot(), naive=naive)
        turn.continues = previous
        history = self._history.without((previous.user_message, previous.assistant_message))
        return StartTurn(turn.id, np.concatenate([previous.audio, turn.audio]), history, naive=naive)

    def merge_away(self, previous: Turn) -> None:
        """The continuation is committed: the turn it continues never happened."""
        log.info("turn %d continued: merged", previous.id)
        self._history.remove((previous.user_message, previous.assistant_message))
        previous.assistant_message = None
        if self._turns.tracked(previous):
            self._turns.stop(previous, interrupted=True, heard="")

    def dropped(self) -> None:
        """The new speech was not a continuation after all: answer the suspended turn again."""
        previous, self._previous = self._previous, None
        if previous is None or previous.generation is not Generation.SUSPENDED or not self._turns.tracked(previous):
            return
        self.merge_away(previous)  # withdraw what it had said so far
        again = self._turns.new(TurnState.COMMITTED, previous.audio, previous.voiced_end,
                                speech_start=previous.speech_start)
        again.replaces, again.committed_at = previous.id, previous.committed_at
        self._out.put(StartTurn(again.id, previous.audio, self._history.snapshot(), naive=False,
                                    transcript=previous.transcript))
