"""What every connection on a node shares: settings, the current engine, metrics and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.config import ServerSettings
from app.engine import Engine
from app.metrics import Metrics
from app.store import SessionStore


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
    """Session id -> the one connection serving it on this node (a ``Connection``)."""
