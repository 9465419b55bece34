"""The values the tool router takes and gives: timers, the context of a request, answers and timer actions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.chat import ChatMessage
from app.tools.durations import duration_adjective

TIMER_KINDS = ("timer", "reminder")


@dataclass(frozen=True, slots=True)
class Timer:
    """A pending timer or reminder of a session."""

    id: str
    """Short unique id ("t1"), given by the caller through ``ToolContext.next_id``."""
    kind: str
    """ "timer" or "reminder"."""
    label: str
    """What it is for ("tea", "call your mom", "about the dentist"), in the second person; may be ""."""
    due_s: float
    """Unix time, seconds, when it fires."""
    duration_s: float
    """As set, seconds (for a reminder at a clock time: from when it was set to when it fires)."""

    def __post_init__(self) -> None:
        if self.kind not in TIMER_KINDS:
            raise ValueError(f"kind must be 'timer' or 'reminder', not {self.kind!r}")
        if not self.id or not all(math.isfinite(v) and v >= 0 for v in (self.due_s, self.duration_s)):
            raise ValueError("a timer needs an id and finite, non-negative due_s and duration_s")

    def describe(self) -> str:
        """How to name it to the user: "tea timer", "10 minute timer", "reminder to call your mom"."""
        if self.kind == "reminder":
            return f"reminder {_connect(self.label)}" if self.label else "reminder"
        return f"{self.label} timer" if self.label else f"{duration_adjective(self.duration_s)} timer"

    def alert(self) -> str:
        """The sentence spoken when it fires: "Your 10 second timer is done.", "Reminder: call your mom."."""
        if self.kind == "reminder":
            if not self.label:
                return "This is your reminder."
            return f"Reminder: {self.label.removeprefix('about ').removeprefix('that ')}."
        return f"Your {self.describe()} is done."

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for the session store (seconds)."""
        return {"id": self.id, "kind": self.kind, "label": self.label, "due_s": self.due_s,
                "duration_s": self.duration_s}

    def to_wire(self) -> dict[str, Any]:
        """The item of a ``timers`` protocol message: due and duration in milliseconds."""
        return {"id": self.id, "kind": self.kind, "label": self.label, "due_ms": self.due_s * 1000.0,
                "duration_ms": self.duration_s * 1000.0}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Timer:
        """The timer of ``to_dict`` (or of ``to_wire``); ValueError when ``d`` is not one."""
        try:
            if "due_s" in d:
                due, duration = float(d["due_s"]), float(d["duration_s"])
            else:
                due, duration = float(d["due_ms"]) / 1000.0, float(d["duration_ms"]) / 1000.0
            return cls(id=str(d["id"]), kind=str(d["kind"]), label=str(d.get("label", "")), due_s=due,
                       duration_s=duration)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a timer: {d!r}") from exc


def _connect(label: str) -> str:
    """ "call your mom" -> "to call your mom"; "about the meeting" and "that ..." keep their own word."""
    return label if label.startswith(("about ", "that ", "to ")) else f"to {label}"


@dataclass(frozen=True, slots=True)
class ToolContext:
    """What a tool may know about the request besides its words."""

    now_s: float
    """Unix time, seconds."""
    timezone: str = ""
    """The user's IANA time zone ("Europe/Paris"); "" = ``node_timezone``, or UTC when that is "" too."""
    timers: tuple[Timer, ...] = ()
    """The session's pending timers and reminders."""
    next_id: str = "t1"
    """The id to give a new timer."""
    node_timezone: str = ""
    """The node's own IANA time zone, used when the user did not say theirs."""
    history: tuple[ChatMessage, ...] = ()
    """The conversation so far, oldest first: what the user said about themselves, the last result."""


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Start ``timer`` (the caller adds it to the session and fires it at ``due_s``)."""

    timer: Timer


@dataclass(frozen=True, slots=True)
class CancelTimers:
    """Cancel the session's timers with these ids."""

    ids: tuple[str, ...]


TimerAction = SetTimer | CancelTimers


@dataclass(frozen=True, slots=True)
class ToolAnswer:
    """A tool's exact reply, spoken instead of the language model's."""

    tool: str
    """ "clock", "calendar", "timer", "arithmetic", "units", "memory", "live_facts", "devices" or "about"."""
    text: str
    """Written English, complete sentences, digits allowed; no markdown."""
    action: TimerAction | None = None
