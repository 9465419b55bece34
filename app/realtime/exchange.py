"""One native turn as the Realtime protocol sees it: the user's item and the response that answers it."""

from __future__ import annotations

from dataclasses import dataclass, field

from app import protocol as p
from app.realtime import server_events as ev
from app.realtime.calls import Call


@dataclass
class Exchange:
    turn_id: int
    user_item: str | None
    """None for the node's own turns (a timer's alert)."""
    typed: bool = False
    claimed: bool = False
    asked: bool = False
    """The client's ``response.create`` claimed it (not the automatic response)."""
    held: list[p.Message] = field(default_factory=list)
    reply: ev.Reply | None = None
    transcript: str | None = None
    started_ms: float = 0.0
    """How long the user spoke (ms), for the transcription's usage."""
    stopping: str | None = None
    """Why the client stops it: "cancel" or "truncate"."""
    failed: bool = False
    ended: bool = False
    """The node finished the turn (its ``reply_done`` came)."""
    done: bool = False
    """Its response was closed (``response.done`` sent), or it will have none."""
    call: Call | None = None
    """Its response is a call of the client's function (no audio)."""
    calls: bool = False
    """Its words ask for a client function: the response waits for the call to start."""
    text: bool | None = None
    """Its response in text (True) or audio (False), as its ``response.create`` asked; None: the session's."""
    metadata: dict[str, str] | None = None
    """Its ``response.create``'s metadata, for its response."""

    @property
    def in_progress(self) -> bool:
        """Its response is being made or sent: an active response, or a turn the node still answers."""
        return not self.done if self.claimed else not self.ended and self.transcript != ""
