"""Protocol constants, the stable error and close codes, and the error every decode raises."""

from __future__ import annotations

import enum

PROTOCOL_VERSION = 1

MAX_AUDIO_FRAME_BYTES = 16_000
"""Largest client audio frame, in bytes: 500 ms of 16 kHz PCM16. Clients should send 20 ms (640 B)."""

MAX_TEXT_MESSAGE_BYTES = 8_192
"""Largest client text message, in bytes of UTF-8."""


class CloseCode(enum.IntEnum):
    """Websocket close codes the server uses (RFC 6455 section 7.4.1)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013


class ErrorCode(enum.StrEnum):
    """Stable error codes carried by ``error`` messages; each member's name is its wire value, upper-cased."""

    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    TEXT_TOO_LARGE = "text_too_large"
    AUDIO_BEFORE_HELLO = "audio_before_hello"
    HELLO_REQUIRED = "hello_required"
    """A control message before the handshake finished."""
    DUPLICATE_HELLO = "duplicate_hello"
    MISALIGNED_AUDIO = "misaligned_audio"
    FRAME_TOO_LARGE = "frame_too_large"
    UNSUPPORTED_SAMPLE_RATE = "unsupported_sample_rate"
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"
    STAGE_FAILED = "stage_failed"
    BUSY = "busy"
    RATE_LIMITED = "rate_limited"
    UTTERANCE_TOO_LONG = "utterance_too_long"
    IDLE_TIMEOUT = "idle_timeout"
    TOKEN_EXPIRED = "token_expired"
    SESSION_TOO_LONG = "session_too_long"
    FORBIDDEN = "forbidden"
    SESSION_NOT_FOUND = "session_not_found"
    SESSION_UNREADABLE = "session_unreadable"
    SESSION_TAKEN_OVER = "session_taken_over"
    FORGET_FAILED = "forget_failed"
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
