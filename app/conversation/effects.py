"""What the conversation exchanges with the outside world.

- *Effects* (conversation -> connection): messages to send, turns to start or cancel, store
  writes, a close. Every part of the session appends them to one :class:`Outbox`; each entry
  point of the session drains it once and hands the list to the connection, which carries the
  effects out in order (python-websockets collects ``data_to_send()`` the same way).
- *Turn events* (turn runner -> conversation): what a running turn produced. They reach the
  session through one interface, :class:`TurnEventSink`, which the connection implements.

Plain frozen values, no behaviour beyond the outbox's list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app import protocol as p
from app.chat import ChatMessage
from app.tools import TimerAction
from app.tools.functions import ClientFunctions, FunctionResult

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
    say: str | None = None
    """Speak exactly this, without listening or thinking (a timer's alert)."""
    functions: ClientFunctions | None = None
    """The client's functions, offered before the local tools (the Realtime protocol's ``tools``)."""
    results: tuple[FunctionResult, ...] = ()
    """Answer the user's last message (in ``history``) from these calls' outputs: no listening."""
    from_history: bool = False
    """Answer from ``history`` alone, no new user words (a Realtime ``response.create`` with
    nothing new to answer: a greeting on an empty history); no listening."""
    speak: bool = True
    """Synthesize the reply; False: its text only, no audio (a Realtime text response; the naive
    cascade always speaks)."""


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
    timers: tuple[dict[str, float | str], ...] = ()
    """The pending timers, each ``Timer.to_dict()``."""


@dataclass(frozen=True, slots=True)
class WakeAt:
    """Call ``Session.wake`` at Unix time ``at_s`` (the next timer); None: no wake-up needed."""

    at_s: float | None


@dataclass(frozen=True, slots=True)
class DeleteSession:
    session_id: str
    confirm: bool = False
    """The client asked (``forget``): answer ``forgotten`` once the store has deleted it."""


@dataclass(frozen=True, slots=True)
class CallFunction:
    """Tell the client to call its function ``name`` (its reply to the turn); see ``FunctionCalled``."""

    turn_id: int
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class CloseConnection:
    code: int
    reason: str


Effect = (Send | SendAudio | StartTurn | CancelTurn | LoadSession | SaveSession | DeleteSession | CloseConnection
          | WakeAt | CallFunction)


# ------------------------------------------------------------------ turn events (runner -> session)


@dataclass(frozen=True, slots=True)
class Transcribed:
    turn_id: int
    text: str
    words_pending: bool = False
    """A ``WordsPredicted`` for this turn follows (the language model will judge the words)."""


@dataclass(frozen=True, slots=True)
class TurnPredicted:
    turn_id: int
    p_complete: float
    """The turn model's P(the user has finished)."""


@dataclass(frozen=True, slots=True)
class WordsPredicted:
    turn_id: int
    p_end: float
    """The language model's P(the user's message ends after these words)."""


@dataclass(frozen=True, slots=True)
class ToolUsed:
    """A local tool answered the turn; ``action`` (a timer to set or cancel) applies once the
    turn is answered, never for a speculation the user talked over."""

    turn_id: int
    tool: str
    action: TimerAction | None = None


@dataclass(frozen=True, slots=True)
class FunctionCalled:
    """The turn is answered by a call of the client's function ``name`` (no spoken reply)."""

    turn_id: int
    name: str
    arguments: str
    """A JSON object, as the model wrote it under the function's schema."""


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
    """int16 samples at the output rate; none for a turn that is not spoken (``StartTurn.speak``):
    the clause still counts as said, in no time, so a stop keeps it."""


@dataclass(frozen=True, slots=True)
class TurnFinished:
    turn_id: int
    stages: dict[str, float]
    """Wall-clock stage timings measured by the runner, in ms."""
    truncated: bool = False
    """The reply hit the reply-length limit (max_reply_tokens) and was cut there."""


@dataclass(frozen=True, slots=True)
class TurnFailed:
    """The turn could not be produced; ``code`` and ``message`` come from ``errors.describe``."""

    turn_id: int
    code: str
    message: str


TurnEvent = (Transcribed | TurnPredicted | WordsPredicted | ToolUsed | ReplyText | ReplySpeech | TurnFinished
             | TurnFailed | FunctionCalled)


class TurnEventSink(Protocol):
    """Where a turn runner delivers what it produces: the only way its events reach the session.

    The connection implements it (feeding :meth:`Session.turn_event` and carrying out the
    effects); tests use a list. Called on the event loop, never from a worker thread.
    """

    def deliver(self, event: TurnEvent) -> None:
        """Hand one event of a running turn to its session."""
        ...


# ------------------------------------------------------------------ the outbox


class Outbox:
    """The effects produced while the session handles one input, in order."""

    def __init__(self) -> None:
        self._effects: list[Effect] = []

    def put(self, effect: Effect) -> None:
        """Append one effect."""
        self._effects.append(effect)

    def send(self, message: p.Message) -> None:
        """Append a message to the client."""
        self._effects.append(Send(message))

    def drain(self) -> list[Effect]:
        """Everything appended since the last drain, oldest first."""
        effects, self._effects = self._effects, []
        return effects
