"""Typed wire messages for the edge voice protocol (version 1), see docs/protocol.md.

Text frames carry one JSON object with a ``type``. Binary frames carry audio: client to server,
raw PCM16LE mono at 16 kHz; server to client, a 12-byte header (magic, turn id, sequence number)
followed by PCM16LE at the rate announced in ``ready``. Every decode either returns a typed
message or raises :class:`ProtocolError` with a stable code; nothing is silently dropped.
"""

from __future__ import annotations

import json
import struct
import types
import typing
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

PROTOCOL_VERSION = 1

MAX_AUDIO_FRAME_BYTES = 16_000
"""Largest client audio frame, in bytes: 500 ms of 16 kHz PCM16. Clients should send 20 ms (640 B)."""

MAX_TEXT_MESSAGE_BYTES = 8_192
"""Largest client text message, in bytes of UTF-8."""

REPLY_AUDIO_MAGIC = b"EVR1"
_REPLY_AUDIO_HEADER = struct.Struct("<4sII")
REPLY_AUDIO_HEADER_BYTES = _REPLY_AUDIO_HEADER.size


class CloseCode:
    """Websocket close codes the server uses (RFC 6455 section 7.4.1)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013


class ErrorCode:
    """Stable error codes carried by ``error`` messages."""

    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    TEXT_TOO_LARGE = "text_too_large"
    NOT_READY = "audio_before_hello"
    ALREADY_READY = "duplicate_hello"
    MISALIGNED_AUDIO = "misaligned_audio"
    FRAME_TOO_LARGE = "frame_too_large"
    UNSUPPORTED_SAMPLE_RATE = "unsupported_sample_rate"
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"
    STAGE_FAILED = "stage_failed"
    BUSY = "busy"
    RATE_LIMITED = "rate_limited"
    UTTERANCE_TOO_LONG = "utterance_too_long"
    IDLE_TIMEOUT = "idle_timeout"
    SESSION_TOO_LONG = "session_too_long"
    FORBIDDEN = "forbidden"
    SESSION_NOT_FOUND = "session_not_found"
    INVALID_SESSION_ID = "invalid_session_id"
    INTERNAL = "internal"


class ProtocolError(Exception):
    """A client sent something the protocol does not allow.

    ``close_code`` is None when the session can go on after reporting the error.
    """

    def __init__(self, code: str, message: str, close_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code


# --------------------------------------------------------------------------- base


@dataclass(frozen=True, slots=True)
class Message:
    """Base for all JSON messages; subclasses set ``type``."""

    type: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict including ``type``."""
        return {"type": self.type, **asdict(self)}

    def encode(self) -> str:
        """Serialise to one JSON text frame."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)


_OMITTABLE = "omittable"


def omittable(default: Any) -> Any:
    """Declare a message field that a sender may leave out; absent, it takes ``default``.

    Every other field is required on the wire, although all of them have defaults in Python."""
    return field(default=default, metadata={_OMITTABLE: True})


def _check(data: dict[str, Any], name: str, kinds: tuple[type, ...], required: bool) -> Any:
    if name not in data:
        if required:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{data.get('type')!r} message lacks field {name!r}")
        return None
    value = data[name]
    # bool is an int subclass; never accept it where a number is meant.
    if isinstance(value, bool) and bool not in kinds:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"field {name!r} has the wrong type")
    if not isinstance(value, kinds):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"field {name!r} has the wrong type")
    return value


def _from_fields(cls: type[Message], data: dict[str, Any]) -> Message:
    """Build ``cls`` from ``data``, checking each field's JSON type; unknown fields are ignored
    so that newer clients can add optional fields within a protocol version."""
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        kinds, required = _FIELD_TYPES[(cls.type, f.name)]
        value = _check(data, f.name, kinds, required)
        if value is not None:
            kwargs[f.name] = value
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, str(exc)) from None


# --------------------------------------------------------------------------- client -> server


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

    def __post_init__(self) -> None:
        if self.pipeline not in ("fast", "naive"):
            raise ValueError(f"pipeline must be 'fast' or 'naive', not {self.pipeline!r}")


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


CLIENT_MESSAGES: dict[str, type[Message]] = {m.type: m for m in (Hello, Interrupt, Commit, Reset, Forget, GetHistory)}
SERVER_MESSAGES: dict[str, type[Message]] = {
    m.type: m
    for m in (
        Ready, History, Forgotten, SpeechStarted, SpeechStopped, Transcript, ReplyDelta, ReplyDone, Interrupted,
        TurnTiming, Error,
    )
}


def _json_kinds(hint: Any) -> tuple[type, ...]:
    """The Python types a JSON value may decode to for a field annotated ``hint``."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return tuple(kind for arg in typing.get_args(hint) for kind in _json_kinds(arg))
    hint = typing.get_origin(hint) or hint  # dict[str, Any] -> dict, list[...] -> list
    if hint is float:
        return (int, float)  # JSON does not tell 1 from 1.0
    if hint in (int, str, bool, dict, list, types.NoneType):
        return (hint,)
    raise TypeError(f"no JSON type for a message field annotated {hint!r}")


def _field_table(messages: Iterable[type[Message]]) -> dict[tuple[str, str], tuple[tuple[type, ...], bool]]:
    """(message type, field name) -> (accepted JSON types, whether the field is required)."""
    table: dict[tuple[str, str], tuple[tuple[type, ...], bool]] = {}
    for cls in messages:
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            table[(cls.type, f.name)] = (_json_kinds(hints[f.name]), not f.metadata.get(_OMITTABLE, False))
    return table


_FIELD_TYPES = _field_table([*CLIENT_MESSAGES.values(), *SERVER_MESSAGES.values()])
"""Built once from the annotations: a field's JSON type is its annotation's, and it is required
unless declared ``omittable``."""


def _decode(text: str | bytes, registry: dict[str, type[Message]]) -> Message:
    size = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else len(text)
    if size > MAX_TEXT_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.TEXT_TOO_LARGE, f"text message over {MAX_TEXT_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"malformed JSON: {exc.msg}") from None
    except (ValueError, RecursionError):
        # Also JSON, but hostile: 5,000-digit integers, arrays nested thousands deep, bad UTF-8.
        raise ProtocolError(ErrorCode.BAD_JSON, "malformed JSON: unreadable value") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "a message must be a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "a message needs a string 'type'")
    cls = registry.get(kind)
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")
    return _from_fields(cls, data)


def decode_client_message(text: str | bytes) -> Message:
    """Parse a client text frame into a typed message, or raise ProtocolError."""
    return _decode(text, CLIENT_MESSAGES)


def decode_server_message(text: str | bytes) -> Message:
    """Parse a server text frame into a typed message, or raise ProtocolError."""
    return _decode(text, SERVER_MESSAGES)


def decode_client_audio(frame: bytes) -> np.ndarray:
    """Validate a client binary frame and return its int16 samples (16 kHz mono)."""
    if len(frame) > MAX_AUDIO_FRAME_BYTES:
        raise ProtocolError(
            ErrorCode.FRAME_TOO_LARGE,
            f"audio frame of {len(frame)} bytes exceeds {MAX_AUDIO_FRAME_BYTES}",
            CloseCode.MESSAGE_TOO_BIG,
        )
    if len(frame) % 2:
        raise ProtocolError(ErrorCode.MISALIGNED_AUDIO, f"audio frame of {len(frame)} bytes is not whole PCM16 samples")
    return np.frombuffer(frame, dtype="<i2")


@dataclass(frozen=True, slots=True)
class ReplyAudio:
    """One binary frame of reply audio: PCM16LE samples of ``turn_id`` in order ``seq``."""

    turn_id: int
    seq: int
    pcm: bytes

    def encode(self) -> bytes:
        """Header plus PCM payload."""
        return _REPLY_AUDIO_HEADER.pack(REPLY_AUDIO_MAGIC, self.turn_id, self.seq) + self.pcm

    @classmethod
    def decode(cls, frame: bytes) -> ReplyAudio:
        """Parse a server binary frame, or raise ProtocolError."""
        if len(frame) < REPLY_AUDIO_HEADER_BYTES or (len(frame) - REPLY_AUDIO_HEADER_BYTES) % 2:
            raise ProtocolError(ErrorCode.MISALIGNED_AUDIO, "reply audio frame is truncated or misaligned")
        magic, turn_id, seq = _REPLY_AUDIO_HEADER.unpack_from(frame)
        if magic != REPLY_AUDIO_MAGIC:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "reply audio frame has a bad magic")
        return cls(turn_id, seq, bytes(frame[REPLY_AUDIO_HEADER_BYTES:]))
