"""The Realtime session's settings: what ``session.update`` may change (GA shape, and the beta
one as an alias), parsed with loud failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.realtime.codecs import BETA_FORMATS, FORMATS, WireFormat
from app.realtime.errors import UNSET, RealtimeError
from app.realtime.errors import field as _field
from app.realtime.tools import describe_choice, describe_tools, parse_tool_choice, parse_tools
from app.tools.functions import Function

MAX_INSTRUCTIONS_CHARS = 4_000
"""Longest ``instructions``: they are added to every prompt of the node's small model."""


@dataclass(frozen=True, slots=True)
class TurnDetection:
    """``audio.input.turn_detection`` when set (None in a session means the client commits)."""

    type: str
    """"server_vad" or "semantic_vad": both run the node's predictive endpointing, tuned by the
    fields in ``settings`` (``turn_detection.endpointing_for``)."""
    create_response: bool = True
    interrupt_response: bool = True
    settings: dict[str, Any] = field(default_factory=dict)
    """The other fields as sent (threshold, silence_duration_ms, eagerness ...): reported back."""

    def as_wire(self) -> dict[str, Any]:
        """The ``turn_detection`` object of a session, as reported back."""
        return {
            "type": self.type,
            **self.settings,
            "create_response": self.create_response,
            "interrupt_response": self.interrupt_response,
        }


DEFAULT_TURN_DETECTION = TurnDetection(
    "server_vad", settings={"threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500}
)
"""What is reported before the client sets any: OpenAI's defaults, which are the node's own endpointing."""


def describe(
    session_id: str,
    model: str,
    instructions: str,
    input_format: WireFormat,
    output_format: WireFormat,
    detection: TurnDetection | None,
    tools: tuple[Function, ...] = (),
    tool_choice: str = "auto",
    text_only: bool = False,
) -> dict[str, Any]:
    """The session resource, as ``session.created`` and ``session.updated`` report it."""
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": f"sess_{session_id}",
        "model": model,
        "output_modalities": ["text"] if text_only else ["audio"],
        "instructions": instructions,
        "tools": describe_tools(tools),
        "tool_choice": describe_choice(tool_choice),
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "include": None,
        "audio": {
            "input": {
                "format": input_format.as_wire(),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": detection.as_wire() if detection is not None else None,
            },
            "output": {"format": output_format.as_wire(), "voice": "node", "speed": 1.0},
        },
    }


@dataclass(frozen=True, slots=True)
class SessionUpdate:
    """The fields a ``session.update`` changes; ``UNSET`` ones stay as they are."""

    event_id: str | None
    instructions: str = UNSET
    input_format: WireFormat = UNSET
    output_format: WireFormat = UNSET
    turn_detection: TurnDetection | None = UNSET
    tools: tuple[Function, ...] = UNSET
    tool_choice: str = UNSET
    """"auto", "none", "required" or a function's name."""
    text_only: bool = UNSET
    """``output_modalities`` ``["text"]``: responses in text, without audio."""

    def changes(self, name: str) -> bool:
        """Whether this update sets the field ``name``."""
        return getattr(self, name) is not UNSET


def parse_session_update(obj: dict[str, Any], event_id: str | None) -> SessionUpdate:
    """The typed ``session.update`` (GA or beta shape) with ``event_id``; raises RealtimeError."""
    session = _field(obj, "session", dict, "", required=True, event_id=event_id)
    kind = session.get("type", "realtime")  # absent in the beta shape
    if kind != "realtime":
        raise RealtimeError(
            "invalid_value",
            f"session.type {kind!r} is not supported: only 'realtime'",
            param="session.type",
            event_id=event_id,
        )
    values: dict[str, Any] = {}
    if "tools" in session:  # the same field in the beta shape
        values["tools"] = parse_tools(session["tools"], event_id)
    if session.get("tool_choice") is not None:
        values["tool_choice"] = parse_tool_choice(session["tool_choice"], event_id)
    text_only = text_modality(session, "session", event_id)
    if text_only is not None:
        values["text_only"] = text_only
    instructions = _field(session, "instructions", str, "session", event_id=event_id)
    if instructions is not UNSET:
        if len(instructions or "") > MAX_INSTRUCTIONS_CHARS:
            raise RealtimeError(
                "invalid_value",
                f"instructions are limited to {MAX_INSTRUCTIONS_CHARS} characters here",
                param="session.instructions",
                event_id=event_id,
            )
        values["instructions"] = instructions or ""
    audio = _field(session, "audio", dict, "session", event_id=event_id)
    audio = audio if isinstance(audio, dict) else {}
    for side in ("input", "output"):
        part = _field(audio, side, dict, "session.audio", event_id=event_id)
        part = part if isinstance(part, dict) else {}
        fmt = _field(part, "format", dict, f"session.audio.{side}", event_id=event_id)
        if isinstance(fmt, dict):
            values[f"{side}_format"] = _format(fmt, f"session.audio.{side}.format", event_id)
        beta = _field(session, f"{side}_audio_format", str, "session", event_id=event_id)
        if isinstance(beta, str):
            if beta not in BETA_FORMATS:
                raise RealtimeError(
                    "invalid_value",
                    f"unknown audio format {beta[:32]!r}",
                    param=f"session.{side}_audio_format",
                    event_id=event_id,
                )
            values[f"{side}_format"] = BETA_FORMATS[beta]
        if side == "input" and "turn_detection" in part:
            values["turn_detection"] = _turn_detection(part["turn_detection"], "session.audio.input", event_id)
    if "turn_detection" in session:  # beta shape
        values["turn_detection"] = _turn_detection(session["turn_detection"], "session", event_id)
    return SessionUpdate(event_id, **values)


def text_modality(obj: dict[str, Any], where: str, event_id: str | None) -> bool | None:
    """Whether ``obj`` (a session or a response's options) asks for text only: ``output_modalities``
    ``["text"]`` (``["audio"]`` is audio with its transcript), or the beta ``modalities`` without
    "audio"; None when it sets neither. RealtimeError for anything else."""
    for key in ("output_modalities", "modalities"):
        value = _field(obj, key, list, where, event_id=event_id)
        if value is UNSET or value is None:
            continue
        allowed = ([["text"], ["audio"]] if key == "output_modalities"
                   else [["text"], ["audio"], ["text", "audio"], ["audio", "text"]])
        if value not in allowed:
            raise RealtimeError("invalid_value", f"{key} must be one of {allowed}", param=f"{where}.{key}",
                                event_id=event_id)
        return "audio" not in value
    return None


def _format(fmt: dict[str, Any], param: str, event_id: str | None) -> WireFormat:
    kind = _field(fmt, "type", str, param, required=True, event_id=event_id)
    if kind not in FORMATS:
        raise RealtimeError(
            "invalid_value",
            f"audio format {kind[:32]!r} is not one of {sorted(FORMATS)}",
            param=f"{param}.type",
            event_id=event_id,
        )
    chosen = FORMATS[kind]
    rate = _field(fmt, "rate", int, param, event_id=event_id)
    if isinstance(rate, int) and rate != chosen.rate:
        raise RealtimeError(
            "invalid_value", f"{kind} is {chosen.rate} Hz here, not {rate}", param=f"{param}.rate", event_id=event_id
        )
    return chosen


_TURN_FIELDS = {
    "threshold": (int, float),
    "prefix_padding_ms": int,
    "silence_duration_ms": int,
    "idle_timeout_ms": int,
    "eagerness": str,
}

_TURN_RANGES = {"threshold": (0, 1), "prefix_padding_ms": (0, 60_000), "silence_duration_ms": (0, 60_000),
                "idle_timeout_ms": (0, 60_000)}
"""Inclusive ranges (ms but ``threshold``); the endpointing clamps further (``turn_detection.py``)."""


def _turn_detection(value: Any, where: str, event_id: str | None) -> TurnDetection | None:
    param = f"{where}.turn_detection"
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RealtimeError("invalid_type", f"'{param}' must be an object or null", param=param, event_id=event_id)
    kind = _field(value, "type", str, param, required=True, event_id=event_id)
    if kind not in ("server_vad", "semantic_vad"):
        raise RealtimeError(
            "invalid_value",
            f"turn detection {kind[:32]!r} is not 'server_vad' or 'semantic_vad'",
            param=f"{param}.type",
            event_id=event_id,
        )
    settings = {}
    for key, kinds in _TURN_FIELDS.items():
        got = _field(value, key, kinds, param, event_id=event_id)
        if got is not UNSET and got is not None:
            settings[key] = got
    for key, (low, high) in _TURN_RANGES.items():
        if key in settings and not low <= settings[key] <= high:
            raise RealtimeError(
                "invalid_value", f"{key} must be from {low} to {high}", param=f"{param}.{key}", event_id=event_id
            )
    if settings.get("eagerness", "auto") not in ("low", "medium", "high", "auto"):
        raise RealtimeError(
            "invalid_value",
            "eagerness must be low, medium, high or auto",
            param=f"{param}.eagerness",
            event_id=event_id,
        )
    flags = {
        key: _field(value, key, bool, param, event_id=event_id) for key in ("create_response", "interrupt_response")
    }
    return TurnDetection(kind, **{k: v for k, v in flags.items() if isinstance(v, bool)}, settings=settings)
