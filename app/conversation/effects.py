"""What the session state machine exchanges with the outside: the effects it asks the connection
to carry out, and the events a running turn feeds back. Plain frozen values, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app import protocol as p
from app.stages.base import ChatMessage

# ------------------------------------------------------------------ effects (session -> connection)


@dataclass(frozen=True, slots=True)
class Send:
    message: p.Message


@dataclass(frozen=True, slots=True)
class SendAudio:
    frame: p.ReplyAudio


@dataclass(frozen=True, slots=True)
class StartTurn:
    turn_id: int
    audio: np.ndarray
    """The utterance, int16 at 16 kHz."""
    history: tuple[ChatMessage, ...]
    """Conversation so far, without the system prompt and without this utterance."""
    naive: bool
    """Run the naive cascade (30 s STT window, whole reply before TTS)."""
    transcript: str | None = None
    """Already known (a turn answered again): skip speech-to-text."""


@dataclass(frozen=True, slots=True)
class CancelTurn:
    turn_id: int


@dataclass(frozen=True, slots=True)
class LoadSession:
    """Look the session up in the store and answer with ``Session.resumed``."""

    session_id: str


@dataclass(frozen=True, slots=True)
class SaveSession:
    """Persist the conversation (text only; audio is never stored)."""

    session_id: str
    history: tuple[ChatMessage, ...]
    settings: dict[str, str]


@dataclass(frozen=True, slots=True)
class DeleteSession:
    session_id: str


@dataclass(frozen=True, slots=True)
class CloseConnection:
    code: int
    reason: str


Effect = Send | SendAudio | StartTurn | CancelTurn | LoadSession | SaveSession | DeleteSession | CloseConnection


# ------------------------------------------------------------------ turn events (runner -> session)


@dataclass(frozen=True, slots=True)
class Transcribed:
    turn_id: int
    text: str


@dataclass(frozen=True, slots=True)
class TurnPredicted:
    turn_id: int
    p_complete: float
    """The turn model's P(the user has finished)."""


@dataclass(frozen=True, slots=True)
class ReplyText:
    turn_id: int
    text: str


@dataclass(frozen=True, slots=True)
class ReplySpeech:
    turn_id: int
    text: str
    """The clause this audio speaks (used to truncate history on barge-in)."""
    pcm: np.ndarray
    """int16 samples at the output rate."""


@dataclass(frozen=True, slots=True)
class TurnFinished:
    turn_id: int
    stages: dict[str, float]
    """Wall-clock stage timings measured by the runner, in ms."""
    truncated: bool = False
    """The reply hit the reply-length limit (max_reply_tokens) and was cut there."""


@dataclass(frozen=True, slots=True)
class TurnFailed:
    turn_id: int
    code: str
    message: str


TurnEvent = Transcribed | TurnPredicted | ReplyText | ReplySpeech | TurnFinished | TurnFailed
