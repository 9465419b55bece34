"""Decoding frames from the wire: JSON text frames into typed messages, binary audio frames."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np

from app.protocol.codes import MAX_AUDIO_FRAME_BYTES, MAX_TEXT_MESSAGE_BYTES, CloseCode, ErrorCode, ProtocolError
from app.protocol.message import Message, build_message, field_table
from app.protocol.messages import CLIENT_MESSAGES, SERVER_MESSAGES

REPLY_AUDIO_MAGIC = b"EVR1"
_REPLY_AUDIO_HEADER = struct.Struct("<4sII")
REPLY_AUDIO_HEADER_BYTES = _REPLY_AUDIO_HEADER.size

_FIELD_TYPES = field_table([*CLIENT_MESSAGES.values(), *SERVER_MESSAGES.values()])
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
    return build_message(cls, data, _FIELD_TYPES)


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
