"""One frozen dataclass per JSON message, in both directions (see docs/protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.protocol.codes import PROTOCOL_VERSION, ErrorCode
from app.protocol.message import Message, omittable

# --------------------------------------------------------------------------- client -> server

def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows ("Europe/Paris")."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Hello(Message):
    """First message of a session: declares the protocol version and input audio format."""

    type: ClassVar[str] = "hello"
    protocol: int = PROTOCOL_VERSION
    sample_rate: int = 16_000
    pipeline: str = omittable("fast")
    """"fast" (predictive endpointing, speculative turn, streamed clauses) or "naive" (baseline)."""
    client: str = omittable("")
    session_id: str | None = omittable(None)
    """Resume this earlier session (its history), on this node or another one."""
    timezone: str = omittable("")
    """The user's IANA time zone ("Europe/Paris"), for the clock and calendar; "" = the node's."""

    def __post_init__(self) -> None:
        if self.pipeline not in ("fast", "naive"):
            raise ValueError(f"pipeline must be 'fast' or 'naive', not {self.pipeline!r}")
        if self.timezone and not is_time_zone(self.timezone):
            raise ValueError(f"timezone must be an IANA name such as 'Europe/Paris', not {self.timezone!r}")


@dataclass(frozen=True, slots=True)
class Interrupt(Message):
    """Barge-in report: the client stopped playback of ``turn_id`` after ``played_ms`` of audio."""

    type: ClassVar[str] = "interrupt"
    turn_id: int = 0
    played_ms: float = 0.0

    def __post_init__(self) -> None:
        if not (0 <= self.played_ms < 1e9) or self.turn_id < 0:  # also rejects NaN and Infinity
            raise ValueError("turn_id and played_ms must be non-negative finite numbers")


@dataclass(frozen=True, slots=True)
class Commit(Message):
    """Push-to-talk release: end the user's turn now instead of waiting for silence."""

    type: ClassVar[str] = "commit"


@dataclass(frozen=True, slots=True)
class Reset(Message):
    """Start a new conversation: forget the history of this session."""

    type: ClassVar[str] = "reset"


@dataclass(frozen=True, slots=True)
class Forget(Message):
    """Delete everything the node stores about this session, now."""

    type: ClassVar[str] = "forget"


@dataclass(frozen=True, slots=True)
class GetHistory(Message):
    """Ask for the conversation history the assistant answers from."""

    type: ClassVar[str] = "get_history"


@dataclass(frozen=True, slots=True)
class CancelTimer(Message):
    """Cancel one of the session's timers or reminders (``id`` from a ``timers`` message)."""

    type: ClassVar[str] = "cancel_timer"
    id: str = ""


# --------------------------------------------------------------------------- server -> client

@dataclass(frozen=True, slots=True)
class Ready(Message):
    """Handshake answer: session id and the audio formats in both directions."""

    type: ClassVar[str] = "ready"
    protocol: int = PROTOCOL_VERSION
    session_id: str = ""
    input: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    pipeline: str = "fast"
    resumed: bool = omittable(False)
    """True when ``session_id`` continues an earlier session."""


@dataclass(frozen=True, slots=True)
class History(Message):
    """The conversation so far, oldest first: ``[{"role": ..., "content": ...}]``."""

    type: ClassVar[str] = "history"
    messages: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Forgotten(Message):
    """Acknowledges ``forget``: the stored session is gone and the history is empty."""

    type: ClassVar[str] = "forgotten"
    session_id: str = ""


@dataclass(frozen=True, slots=True)
class SpeechStarted(Message):
    """VAD found speech; ``at_ms`` is the position in the client's audio stream."""

    type: ClassVar[str] = "speech_started"
    at_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class SpeechStopped(Message):
    """The user's turn ended; ``at_ms`` is where the last voiced frame ended in the stream."""

    type: ClassVar[str] = "speech_stopped"
    at_ms: float = 0.0
    turn_id: int = 0


@dataclass(frozen=True, slots=True)
class Transcript(Message):
    """What the user said in the committed turn ``turn_id``; an empty ``text`` means no reply follows."""

    type: ClassVar[str] = "transcript"
    turn_id: int = 0
    text: str = ""
    replaces_turn: int | None = omittable(None)
    """Set when the user only paused: this turn continues that one, whose reply is withdrawn."""


@dataclass(frozen=True, slots=True)
class ReplyDelta(Message):
    """A piece of the assistant's reply text, in generation order."""

    type: ClassVar[str] = "reply_delta"
    turn_id: int = 0
    text: str = ""


@dataclass(frozen=True, slots=True)
class ReplyDone(Message):
    """The reply of ``turn_id`` is complete (or was interrupted); ``text`` is what history keeps."""

    type: ClassVar[str] = "reply_done"
    turn_id: int = 0
    text: str = ""
    interrupted: bool = False
    audio_ms: float = 0.0
    truncated: bool = omittable(False)
    """The reply reached the reply-length limit and was cut there (a hard limit, not an error)."""


@dataclass(frozen=True, slots=True)
class Interrupted(Message):
    """Acknowledges a barge-in: the history now keeps only ``heard_text`` of the reply."""

    type: ClassVar[str] = "interrupted"
    turn_id: int = 0
    heard_text: str = ""
    played_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class TurnTiming(Message):
    """Server-side stage timings of a turn, in ms (see docs/protocol.md for each key)."""

    type: ClassVar[str] = "turn_timing"
    turn_id: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    tool: str = omittable("")
    """The local tool that answered ("clock", "timer", ...); "" when the language model did."""


@dataclass(frozen=True, slots=True)
class Timers(Message):
    """The session's pending timers and reminders, sent after ``ready`` and on every change.

    Each item: ``id``, ``kind`` ("timer" or "reminder"), ``label`` (what it is for, may be
    empty), ``due_ms`` (Unix time in ms when it fires) and ``duration_ms`` (as set)."""

    type: ClassVar[str] = "timers"
    timers: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TimerFired(Message):
    """A timer or reminder came due; its spoken alert follows as turn ``turn_id``."""

    type: ClassVar[str] = "timer_fired"
    id: str = ""
    kind: str = "timer"
    label: str = ""
    text: str = ""
    """The alert as spoken ("Your 10 second timer is done.")."""
    turn_id: int = 0
    late_ms: float = omittable(0.0)
    """How long after ``due_ms`` it fired (non-zero when the session was away, e.g. reconnecting)."""


@dataclass(frozen=True, slots=True)
class Error(Message):
    """Something went wrong; ``fatal`` errors are followed by a close frame."""

    type: ClassVar[str] = "error"
    code: str = ErrorCode.INTERNAL
    message: str = ""
    turn_id: int | None = omittable(None)
    fatal: bool = omittable(False)
    retry_after_ms: int | None = omittable(None)
    """With ``busy``: when to try again (or try another node)."""


CLIENT_MESSAGES: dict[str, type[Message]] = {
    m.type: m for m in (Hello, Interrupt, Commit, Reset, Forget, GetHistory, CancelTimer)
}
SERVER_MESSAGES: dict[str, type[Message]] = {
    m.type: m
    for m in (
        Ready, History, Forgotten, SpeechStarted, SpeechStopped, Transcript, ReplyDelta, ReplyDone, Interrupted,
        TurnTiming, Timers, TimerFired, Error,
    )
}
