"""Session leases: one live connection per session across the nodes that share a store.

A connection serving a session holds its lease: a generation number, newer for every connection
that takes the session. It renews the lease every ``renew_every_s`` while it lives and releases it
when it closes. A new connection first asks the holder to hand over (the holder sees it at its
next renewal, writes what it has queued, releases and closes with ``session_taken_over``), waits
for that a bounded time, then takes the lease whether or not the old holder answered. Saves carry
the generation (``SessionRecord.fence``) and the store refuses an older one (``FencedWrite``), so a
holder that never heard (a frozen or cut-off node) cannot write over the new one's history.

Only a store shared by nodes has leases (``leases_of``): SQLite and memory stores serve one node,
where ``Node.live`` already keeps one connection per session.
"""

from __future__ import annotations

import enum
from typing import Protocol

HANDOVER_S = 1.5
"""How long a new connection waits for the old holder to hand over before taking the lease anyway."""


class LeaseState(enum.Enum):
    """What a renewal found."""

    HELD = "held"
    """Still this connection's."""
    WANTED = "wanted"
    """Still this connection's, and another connection asks for it: hand over."""
    LOST = "lost"
    """Another connection took it: write nothing more."""


class SessionLeases(Protocol):
    """The lease part of a shared store. Synchronous, like the store (call from a worker thread);
    every method raises ``StoreUnavailable`` when the backend cannot be reached."""

    @property
    def renew_every_s(self) -> float:
        """Seconds between renewals: the longest an old holder takes to notice a new one."""
        ...

    def claim(self, session_id: str, handover_s: float = HANDOVER_S) -> tuple[int, bool]:
        """Take the session's lease: ask a holder to hand over, wait up to ``handover_s`` seconds
        for it to let go, then take it anyway. Returns (generation, whether someone held it)."""
        ...

    def renew(self, session_id: str, generation: int) -> LeaseState:
        """Keep the lease of ``generation`` alive (generation 0, a connection that never got one:
        only whether anybody took one since). A lapsed lease nobody took since is taken again."""
        ...

    def release(self, session_id: str, generation: int) -> bool:
        """Let the lease go if ``generation`` still holds it; whether it did."""
        ...


def leases_of(store: object) -> SessionLeases | None:
    """The leases of a store shared by nodes (its ``leases`` attribute), or None for one that is not."""
    leases: SessionLeases | None = getattr(store, "leases", None)
    return leases
