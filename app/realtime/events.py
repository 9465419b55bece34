"""The Realtime protocol's client events, parsed into typed values, with loud failures.

Every problem raises :class:`RealtimeError`, which becomes an ``error`` event with OpenAI's error
shape (``type``, ``code``, ``message``, ``param``, ``event_id``); nothing is silently dropped.
The GA event names are the protocol; the beta session shape (``input_audio_format: "pcm16"``,
a top-level ``turn_detection``) is accepted as an alias.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from app.realtime.config import (
    MAX_INSTRUCTIONS_CHARS,
    SessionUpdate,
    TurnDetection,
    parse_session_update,
    text_modality,
)
from app.realtime.errors import RealtimeError
from app.realtime.errors import field as _field

MAX_EVENT_BYTES = 1 << 20
"""Largest client event, in bytes (an append of about 16 s of 24 kHz audio in base64)."""
MAX_OUTPUT_CHARS = 32_768
"""Longest ``function_call_output``: the model reads its first 2,000 characters, the rest is kept
only to be retrieved."""
UNSUPPORTED = frozenset(
    {
        "output_audio_buffer.clear",
        "transcription_session.update",
    }
)
"""Client events of the protocol this node does not implement (an error says so)."""


@dataclass(frozen=True, slots=True)
class Append:
    event_id: str | None
    audio: bytes
    """Wire bytes in the session's input format."""


@dataclass(frozen=True, slots=True)
class Commit:
    event_id: str | None


@dataclass(frozen=True, slots=True)
class Clear:
    event_id: str | None


@dataclass(frozen=True, slots=True)
class ItemCreate:
    """A user text message (the only item kind the node takes)."""

    event_id: str | None
    text: str
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class FunctionOutput:
    """A ``function_call_output`` item: what the client's function returned for ``call_id``."""

    event_id: str | None
    call_id: str
    output: str
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class Truncate:
    event_id: str | None
    item_id: str
    content_index: int
    audio_end_ms: int
    """How much of the item's audio the user heard, in ms."""


@dataclass(frozen=True, slots=True)
class Retrieve:
    event_id: str | None
    item_id: str


@dataclass(frozen=True, slots=True)
class Delete:
    event_id: str | None
    item_id: str


@dataclass(frozen=True, slots=True)
class ResponseCreate:
    event_id: str | None
    text_only: bool | None = None
    """``response.output_modalities`` ``["text"]`` (True), ``["audio"]`` (False) or not set (the session's)."""
    metadata: dict[str, str] | None = None
    """``response.metadata``: echoed in the response (LiveKit's ``generate_reply`` finds its response by it)."""
    instructions: str | None = None
    """``response.instructions``: this response's instead of the session's (OpenAI's rule); None: the session's."""


@dataclass(frozen=True, slots=True)
class ResponseCancel:
    event_id: str | None
    response_id: str | None = None


ClientEvent = (
    SessionUpdate | Append | Commit | Clear | ItemCreate | FunctionOutput | Truncate | Retrieve | Delete
    | ResponseCreate | ResponseCancel
)


def parse(text: str | bytes) -> ClientEvent:
    """One client text frame as a typed event (raises RealtimeError)."""
    if len(text) > MAX_EVENT_BYTES:
        raise RealtimeError("event_too_large", f"client events are at most {MAX_EVENT_BYTES} bytes")
    try:
        obj = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RealtimeError("invalid_json", f"the event is not valid JSON: {exc.__class__.__name__}") from None
    if not isinstance(obj, dict):
        raise RealtimeError("invalid_type", "an event must be a JSON object")
    event_id = obj.get("event_id") if isinstance(obj.get("event_id"), str) else None
    kind = _field(obj, "type", str, "", required=True, event_id=event_id)
    parser = _PARSERS.get(kind)
    if parser is None:
        code = "unsupported_event" if kind in UNSUPPORTED else "invalid_value"
        what = "is not supported by this node" if kind in UNSUPPORTED else "is not a client event type"
        raise RealtimeError(code, f"'{kind[:64]}' {what}", param="type", event_id=event_id)
    return parser(obj, event_id)


def _append(obj: dict[str, Any], event_id: str | None) -> Append:
    audio = _field(obj, "audio", str, "", required=True, event_id=event_id)
    try:
        data = base64.b64decode(audio, validate=True)
    except (binascii.Error, ValueError):
        raise RealtimeError("invalid_value", "audio must be base64", param="audio", event_id=event_id) from None
    return Append(event_id, data)


def _item_create(obj: dict[str, Any], event_id: str | None) -> ItemCreate | FunctionOutput:
    item = _field(obj, "item", dict, "", required=True, event_id=event_id)
    kind, role = item.get("type", "message"), item.get("role")
    if kind == "function_call_output":
        call_id = _field(item, "call_id", str, "item", required=True, event_id=event_id)
        output = _field(item, "output", str, "item", required=True, event_id=event_id)
        if len(output) > MAX_OUTPUT_CHARS:
            raise RealtimeError("invalid_value", f"a function's output is at most {MAX_OUTPUT_CHARS} characters here",
                                param="item.output", event_id=event_id)
        item_id = _field(item, "id", str, "item", event_id=event_id)
        return FunctionOutput(event_id, call_id, output, item_id if isinstance(item_id, str) else None)
    if kind != "message" or role != "user":
        raise RealtimeError(
            "unsupported_item",
            f"only user messages can be added here (not {kind!r}/{role!r})",
            param="item.type" if kind != "message" else "item.role",
            event_id=event_id,
        )
    content = _field(item, "content", list, "item", required=True, event_id=event_id)
    texts = [part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "input_text"]
    if len(texts) != len(content) or not texts or not all(isinstance(t, str) for t in texts):
        raise RealtimeError(
            "unsupported_content",
            "a user message here is input_text parts only",
            param="item.content",
            event_id=event_id,
        )
    text = " ".join(t.strip() for t in texts).strip()
    if not text:
        raise RealtimeError("invalid_value", "the message has no text", param="item.content", event_id=event_id)
    item_id = _field(item, "id", str, "item", event_id=event_id)
    return ItemCreate(event_id, text, item_id if isinstance(item_id, str) else None)


def _truncate(obj: dict[str, Any], event_id: str | None) -> Truncate:
    item_id = _field(obj, "item_id", str, "", required=True, event_id=event_id)
    index = _field(obj, "content_index", int, "", required=True, event_id=event_id)
    end_ms = _field(obj, "audio_end_ms", int, "", required=True, event_id=event_id)
    if index != 0 or end_ms < 0:
        param = "content_index" if index != 0 else "audio_end_ms"
        raise RealtimeError(
            "invalid_value", f"{param} must be {'0' if index != 0 else '>= 0'}", param=param, event_id=event_id
        )
    return Truncate(event_id, item_id, index, end_ms)


def _response_cancel(obj: dict[str, Any], event_id: str | None) -> ResponseCancel:
    response_id = _field(obj, "response_id", str, "", event_id=event_id)
    return ResponseCancel(event_id, response_id if isinstance(response_id, str) else None)


def _response_create(obj: dict[str, Any], event_id: str | None) -> ResponseCreate:
    options = _field(obj, "response", dict, "", event_id=event_id)  # the others are accepted and ignored
    if not isinstance(options, dict):
        return ResponseCreate(event_id)
    metadata = options.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, dict) and len(metadata) <= 16
        and all(isinstance(k, str) and len(k) <= 64 and isinstance(v, str) and len(v) <= 512
                for k, v in metadata.items())
    ):
        raise RealtimeError("invalid_value", "metadata is at most 16 string pairs (keys 64, values 512 characters)",
                            param="response.metadata", event_id=event_id)
    instructions = _field(options, "instructions", str, "response", event_id=event_id)
    if isinstance(instructions, str) and len(instructions) > MAX_INSTRUCTIONS_CHARS:
        raise RealtimeError("invalid_value", f"instructions are limited to {MAX_INSTRUCTIONS_CHARS} characters here",
                            param="response.instructions", event_id=event_id)
    return ResponseCreate(event_id, text_modality(options, "response", event_id), metadata,
                          instructions if isinstance(instructions, str) else None)


_PARSERS = {
    "session.update": parse_session_update,
    "input_audio_buffer.append": _append,
    "input_audio_buffer.commit": lambda _o, e: Commit(e),
    "input_audio_buffer.clear": lambda _o, e: Clear(e),
    "conversation.item.create": _item_create,
    "conversation.item.truncate": _truncate,
    "conversation.item.retrieve": lambda o, e: Retrieve(e, _field(o, "item_id", str, "", required=True, event_id=e)),
    "conversation.item.delete": lambda o, e: Delete(e, _field(o, "item_id", str, "", required=True, event_id=e)),
    "response.create": _response_create,
    "response.cancel": _response_cancel,
}

__all__ = ["UNSUPPORTED", "RealtimeError", "SessionUpdate", "TurnDetection", "parse"]
