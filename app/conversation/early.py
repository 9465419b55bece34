"""What a client sends between ``hello`` and ``ready``, while the store loads a resumed history."""

from __future__ import annotations

from app import protocol as p

EARLY_LIMIT = 64
"""Client messages (text or 20 ms audio frames' worth) held while a resumed session's history loads."""


class EarlyInput:
    """Messages and audio frames held in the order they came, each with its arrival time (s)."""

    def __init__(self) -> None:
        self._items: list[tuple[p.Message | bytes, float]] = []

    def hold(self, item: p.Message | bytes, now: float) -> None:
        """Keep ``item``, received at monotonic ``now`` (s); past :data:`EARLY_LIMIT`, ``rate_limited``."""
        if len(self._items) >= EARLY_LIMIT:
            raise p.ProtocolError(p.ErrorCode.RATE_LIMITED, f"more than {EARLY_LIMIT} messages before 'ready'",
                                  p.CloseCode.POLICY_VIOLATION)
        self._items.append((item, now))

    def take(self) -> list[tuple[p.Message | bytes, float]]:
        """Everything held, oldest first, now no longer held."""
        items, self._items = self._items, []
        return items
