"""What every connection on a node shares: settings, the current engine, metrics and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.config import ServerSettings
from app.engine import Engine
from app.metrics import Metrics
from app.persistence import SessionPersistence
from app.store import SessionRecord, SessionStore


@dataclass
class Node:
    """Mutable only in ``engine`` (swapped by a model rollout) and ``draining``."""

    settings: ServerSettings
    engine: Engine
    """The models new turns use; turns in flight keep the engine they started with."""
    store: SessionStore
    """Where conversations live between connections (SQLite file, or Redis shared by nodes)."""
    metrics: Metrics = field(default_factory=Metrics)
    draining: bool = False
    live: dict[str, Any] = field(default_factory=dict)
    """Session id -> the one connection serving it on this node (a ``Connection``). Across the
    nodes sharing a store, the store's session lease does the same (``app.persistence``)."""

    async def take(self, session_id: str, connection: Any, persistence: SessionPersistence) -> SessionRecord | None:
        """Make ``connection`` the one live connection serving ``session_id``, here and on every node
        sharing the store, then load the record (None: unknown). An old connection has written its
        last changes and let the session go by then, and is closing. ``persistence`` is the new
        connection's; what its ``load`` raises (another user's session, a corrupt one) comes first."""
        record = await persistence.load(session_id)
        previous, self.live[session_id] = self.live.get(session_id), connection
        moved = previous is not None and previous is not connection
        if moved:
            await previous.taken_over()
        claimed = (record is not None or moved) and await persistence.claim(session_id)
        return await persistence.load(session_id) if moved or claimed else record

    def leave(self, session_id: str, connection: Any) -> None:
        """``connection`` has ended: forget it, unless another has taken the session since."""
        if self.live.get(session_id) is connection:
            del self.live[session_id]
