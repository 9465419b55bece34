"""One turn of the conversation: the user's utterance and the assistant's reply to it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from app.chat import ChatMessage
from app.conversation.effects import Effect, ToolUsed, TurnFinished
from app.conversation.reply_audio import ReplyAudio
from app.turn_policy import adds_words


class TurnState(enum.Enum):
    """Where the turn is in the conversation."""

    SPECULATIVE = "speculative"
    """Started at a short pause; everything it produces is held back until the endpoint."""
    COMMITTED = "committed"
    """The user has finished: its output goes to the client."""
    ANSWERED = "answered"
    """``reply_done`` was sent; kept so that a late barge-in can still truncate its history."""
    RETIRED = "retired"
    """Answered, then superseded by the user's next turn: no longer tracked."""
    CANCELLED = "cancelled"


class Generation(enum.Enum):
    """What the turn runner producing the turn is doing."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    SUSPENDED = "suspended"
    """Cancelled because the user went on talking; answered again if that was not speech."""


@dataclass
class Turn:
    id: int
    state: TurnState
    audio: np.ndarray
    """The user's utterance (int16, 16 kHz), kept so a continuation can be merged into it."""
    reply: ReplyAudio
    speech_start: int
    """Stream sample (input clock) where the utterance began."""
    voiced_end: int
    """Stream sample where its last voiced frame ended."""
    generation: Generation = Generation.RUNNING
    transcript: str | None = None
    p_complete: float | None = None
    """The turn model's P(finished), from the voice."""
    p_words: float | None = None
    """The language model's P(finished), from the words."""
    words_pending: bool = False
    """``p_words`` is on its way."""
    held: list[Effect] = field(default_factory=list)
    """Output of a speculative turn, released in order at commit."""
    reply_text: str = ""
    finished: TurnFinished | None = None
    """The runner's closing event (stage timings, truncation)."""
    committed_at: float | None = None
    """Monotonic time (s) of the commit."""
    endpoint_wait_ms: float | None = None
    first_audio_at: float | None = None
    """Monotonic time (s) at which the first reply audio went out."""
    audio_start_pos: int | None = None
    """Stream sample (input clock) at which the first reply audio went out."""
    user_message: ChatMessage | None = None
    """This turn's user message in the history, once added (found by identity)."""
    assistant_message: ChatMessage | None = None
    """This turn's reply in the history, once added."""
    continues: Turn | None = None
    """The turn this one continues: the user paused, was answered, and went on talking."""
    replaces: int | None = None
    """The turn id this one answers again (after a suspension that came to nothing)."""
    tool: ToolUsed | None = None
    """A local tool answered it; its action applies once the turn is committed."""
    kept_out: bool = False
    """Its exchange was kept out of the history (a refusal or a repeated reply)."""
    alert: bool = False
    """The node's own turn (a timer's alert): no user words, and no place in the history."""

    @property
    def generating(self) -> bool:
        """True while its runner still produces output (so it must be cancelled to stop)."""
        return self.generation is Generation.RUNNING

    @property
    def adds_nothing(self) -> bool:
        """A possible continuation whose words only repeat the turn it follows (noise after it)."""
        return self.continues is not None and self.transcript is not None and not adds_words(
            self.continues.transcript, self.transcript)

    @property
    def live(self) -> bool:
        """Committed or answered: its reply is, or was, the one the client plays."""
        return self.state in (TurnState.COMMITTED, TurnState.ANSWERED)

    def playing_until(self, input_rate: int) -> int | None:
        """Stream sample (input clock) at which its reply audio, sent so far, ends playing."""
        if self.audio_start_pos is None:
            return None
        return self.audio_start_pos + round(self.reply.samples * input_rate / self.reply.sample_rate)
