"""Typed wire messages for the edge voice protocol (version 1), see docs/protocol.md.

Text frames carry one JSON object with a ``type``. Binary frames carry audio: client to server,
raw PCM16LE mono at 16 kHz; server to client, a 12-byte header (magic, turn id, sequence number)
followed by PCM16LE at the rate announced in ``ready``. Every decode either returns a typed
message or raises :class:`ProtocolError` with a stable code; nothing is silently dropped.
"""

from __future__ import annotations

from app.protocol.codes import (
    MAX_AUDIO_FRAME_BYTES,
    MAX_TEXT_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    CloseCode,
    ErrorCode,
    ProtocolError,
)
from app.protocol.message import (
    FieldTable,
    Message,
    build_message,
    field_table,
    omittable,
)
from app.protocol.messages import (
    CLIENT_MESSAGES,
    SERVER_MESSAGES,
    CancelTimer,
    Commit,
    Error,
    Forget,
    Forgotten,
    GetHistory,
    Hello,
    History,
    Interrupt,
    Interrupted,
    Ready,
    ReplyDelta,
    ReplyDone,
    Reset,
    SpeechStarted,
    SpeechStopped,
    TimerFired,
    Timers,
    Transcript,
    TurnTiming,
    is_time_zone,
)
from app.protocol.wire import (
    _FIELD_TYPES,
    REPLY_AUDIO_HEADER_BYTES,
    REPLY_AUDIO_MAGIC,
    ReplyAudio,
    decode_client_audio,
    decode_client_message,
    decode_server_message,
)

__all__ = [
    "CLIENT_MESSAGES",
    "MAX_AUDIO_FRAME_BYTES",
    "MAX_TEXT_MESSAGE_BYTES",
    "PROTOCOL_VERSION",
    "REPLY_AUDIO_HEADER_BYTES",
    "REPLY_AUDIO_MAGIC",
    "SERVER_MESSAGES",
    "_FIELD_TYPES",
    "CancelTimer",
    "CloseCode",
    "Commit",
    "Error",
    "ErrorCode",
    "FieldTable",
    "Forget",
    "Forgotten",
    "GetHistory",
    "Hello",
    "History",
    "Interrupt",
    "Interrupted",
    "Message",
    "ProtocolError",
    "Ready",
    "ReplyAudio",
    "ReplyDelta",
    "ReplyDone",
    "Reset",
    "SpeechStarted",
    "SpeechStopped",
    "TimerFired",
    "Timers",
    "Transcript",
    "TurnTiming",
    "build_message",
    "decode_client_audio",
    "decode_client_message",
    "decode_server_message",
    "field_table",
    "is_time_zone",
    "omittable",
]
