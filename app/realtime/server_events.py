"""The Realtime protocol's server events and resources, as plain JSON-ready dicts (GA shapes).

The builders leave ``event_id`` out; the session numbers every event as it emits it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from app.realtime.codecs import OutputAudio
from app.realtime.errors import RealtimeError

ZERO_USAGE: dict[str, Any] = {
    "total_tokens": 0,
    "input_tokens": 0,
    "output_tokens": 0,
    "input_token_details": {"text_tokens": 0, "audio_tokens": 0, "cached_tokens": 0},
    "output_token_details": {"text_tokens": 0, "audio_tokens": 0},
}
"""The node bills nothing and does not count tokens per response: zeros, in the right shape."""


def error(exc: RealtimeError) -> dict[str, Any]:
    """The ``error`` event for ``exc``, in OpenAI's error shape."""
    return {
        "type": "error",
        "error": {
            "type": exc.kind,
            "code": exc.code,
            "message": exc.message,
            "param": exc.param,
            "event_id": exc.event_id,
        },
    }


def user_audio_item(item_id: str, transcript: str | None, status: str = "completed") -> dict[str, Any]:
    """A user message item made of committed audio (its transcript once known)."""
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "user",
        "status": status,
        "content": [{"type": "input_audio", "transcript": transcript}],
    }


def user_committed(item_id: str, previous_item: str | None, stopped_ms: float | None) -> list[dict[str, Any]]:
    """The user's audio became an item (``stopped_ms``: where the VAD heard speech end, if it did)."""
    events = (
        []
        if stopped_ms is None
        else [{"type": "input_audio_buffer.speech_stopped", "audio_end_ms": int(stopped_ms), "item_id": item_id}]
    )
    return [
        *events,
        {"type": "input_audio_buffer.committed", "item_id": item_id, "previous_item_id": previous_item},
        {
            "type": "conversation.item.added",
            "previous_item_id": previous_item,
            "item": user_audio_item(item_id, None, "in_progress"),
        },
    ]


def user_transcribed(item_id: str, transcript: str, spoken_ms: float) -> list[dict[str, Any]]:
    """The words of the user's audio item (``spoken_ms``: how long it is). Whisper gives them all at
    once: one delta with the whole transcript, for clients that show interim words."""
    usage = {"type": "duration", "seconds": round(max(0.0, spoken_ms) / 1000.0, 3)}
    delta = {"type": "conversation.item.input_audio_transcription.delta", "item_id": item_id, "content_index": 0}
    return [
        *([{**delta, "delta": transcript}] if transcript else []),
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": item_id,
            "content_index": 0,
            "transcript": transcript,
            "usage": usage,
        },
        {"type": "conversation.item.done", "previous_item_id": None, "item": user_audio_item(item_id, transcript)},
    ]


def speech_started(at_ms: float, item_id: str) -> dict[str, Any]:
    """``input_audio_buffer.speech_started`` at ``at_ms`` of the appended audio."""
    return {"type": "input_audio_buffer.speech_started", "audio_start_ms": int(at_ms), "item_id": item_id}


def user_text_item(item_id: str, text: str) -> dict[str, Any]:
    """A user message item the client typed."""
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_text", "text": text}],
    }


def assistant_item(item_id: str, status: str, transcript: str, text: bool = False) -> dict[str, Any]:
    """An assistant message item: audio (never repeated in items) with its ``transcript``, or ``text``."""
    content = {"type": "output_text", "text": transcript} if text else {"type": "output_audio",
                                                                         "transcript": transcript}
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": [content],
    }


def response(
    response_id: str,
    status: str,
    output: list[dict[str, Any]],
    audio_format: dict[str, Any],
    *,
    reason: str | None = None,
    usage: dict[str, Any] | None = None,
    text: bool = False,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The response resource; ``reason``: why it was cancelled or is incomplete; ``text``: text only."""
    details = None if status in ("in_progress", "completed") else {"type": status, "reason": reason}
    return {
        "object": "realtime.response",
        "id": response_id,
        "status": status,
        "status_details": details,
        "output": output,
        "conversation_id": "conv_default",
        "output_modalities": ["text"] if text else ["audio"],
        "max_output_tokens": "inf",
        "audio": {"output": {"format": audio_format, "voice": "node"}},
        "usage": usage,
        "metadata": metadata,
    }


def part_event(kind: str, response_id: str, item_id: str, **fields: Any) -> dict[str, Any]:
    """An event about the one content part (index 0) of a response's one output item (index 0)."""
    return {
        "type": kind,
        "response_id": response_id,
        "item_id": item_id,
        "output_index": 0,
        "content_index": 0,
        **fields,
    }


@dataclass
class Reply:
    """The response of one exchange, once started."""

    id: str
    item_id: str
    audio: OutputAudio
    transcript: str = ""
    voice_samples: int = 0
    """Reply samples at the voice's rate sent so far (heard so far; a text response counts them unsent)."""
    text: bool = False
    """A text response (``output_modalities`` ``["text"]``): its words as ``output_text``, no audio."""
    metadata: dict[str, str] | None = None
    """Its ``response.create``'s metadata, echoed in ``response.created`` and ``response.done``."""

    @property
    def delta_type(self) -> str:
        """The event type of the response's words as they come."""
        return "response.output_text.delta" if self.text else "response.output_audio_transcript.delta"

    def part(self, words: str) -> dict[str, str]:
        """The content part (of ``response.content_part.*``) holding ``words``."""
        return {"type": "text", "text": words} if self.text else {"type": "audio", "transcript": words}


def response_started(reply: Reply, previous_item: str | None) -> list[dict[str, Any]]:
    """From ``response.created`` to the content part's ``response.content_part.added``."""
    created = response(reply.id, "in_progress", [], reply.audio.format.as_wire(), text=reply.text,
                       metadata=reply.metadata)
    item = assistant_item(reply.item_id, "in_progress", "", reply.text)
    return [
        {"type": "response.created", "response": created},
        {"type": "response.output_item.added", "response_id": reply.id, "output_index": 0, "item": item},
        {"type": "conversation.item.added", "previous_item_id": previous_item, "item": item},
        part_event("response.content_part.added", reply.id, reply.item_id, part=reply.part("")),
    ]


def audio_delta(reply: Reply, data: bytes) -> list[dict[str, Any]]:
    """``response.output_audio.delta`` with ``data`` (wire bytes), if there are any."""
    delta = base64.b64encode(data).decode("ascii")
    return [part_event("response.output_audio.delta", reply.id, reply.item_id, delta=delta)] if data else []


def response_finished(reply: Reply, status: str, reason: str | None) -> list[dict[str, Any]]:
    """The rest of the audio, the part's and the item's ``done`` events, and ``response.done``."""
    transcript = reply.transcript.strip()
    if reply.text:
        words = [part_event("response.output_text.done", reply.id, reply.item_id, text=transcript)]
    else:
        words = [
            *audio_delta(reply, reply.audio.convert(b"", last=True)),
            part_event("response.output_audio.done", reply.id, reply.item_id),
            part_event("response.output_audio_transcript.done", reply.id, reply.item_id, transcript=transcript),
        ]
    return [
        *words,
        part_event("response.content_part.done", reply.id, reply.item_id, part=reply.part(transcript)),
        *response_closed(reply, status, reason),
    ]


def response_closed(reply: Reply | None, status: str, reason: str | None = None) -> list[dict[str, Any]]:
    """The output item's ``done`` events (when it said anything) and ``response.done``."""
    assert reply is not None
    output: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    if reply.transcript or reply.voice_samples or status != "completed":
        final = "completed" if status == "completed" else "incomplete"
        item = assistant_item(reply.item_id, final, reply.transcript.strip(), reply.text)
        output.append(item)
        events += [
            {"type": "response.output_item.done", "response_id": reply.id, "output_index": 0, "item": item},
            {"type": "conversation.item.done", "previous_item_id": None, "item": item},
        ]
    fmt = reply.audio.format.as_wire()
    done = response(reply.id, status, output, fmt, reason=reason, usage=ZERO_USAGE, text=reply.text,
                    metadata=reply.metadata)
    return [*events, {"type": "response.done", "response": done}]
