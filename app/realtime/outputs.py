"""What a Realtime session hands its connection besides the native effects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app import protocol as p


@dataclass(frozen=True, slots=True)
class SendEvent:
    """Send this Realtime server event (its ``event_id`` is set)."""

    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Observe:
    """A native message the connection should account for, not send."""

    message: p.Message
