"""A session's store writes: in order, one at a time, and coalesced while they wait."""

from __future__ import annotations

import asyncio
import threading
import time

from app.chat import ChatMessage
from app.conversation.effects import DeleteSession, SaveSession
from app.persistence import SessionPersistence
from app.store import MemoryStore

SID = "abcdefghijklmnopqrstuv"


class SlowStore(MemoryStore):
    """A memory store whose writes take 20 ms and are logged."""

    def __init__(self) -> None:
        super().__init__(3600.0)
        self.writes: list[str] = []
        self._lock = threading.Lock()

    def save(self, record):  # type: ignore[no-untyped-def]
        time.sleep(0.02)
        with self._lock:
            self.writes.append(f"save {len(record.history)}")
        return super().save(record)

    def delete(self, session_id: str) -> None:
        time.sleep(0.02)
        with self._lock:
            self.writes.append("delete")
        super().delete(session_id)


def save(n: int) -> SaveSession:
    return SaveSession(SID, tuple(ChatMessage("user", str(i)) for i in range(n)), ())


def test_a_burst_of_changes_costs_a_few_writes_and_the_last_state_is_stored() -> None:
    async def main() -> None:
        store = SlowStore()
        persistence = SessionPersistence(store, SID)
        for n in range(1, 1001):  # a client resetting and talking as fast as it can
            persistence.submit(save(n))
            assert persistence.waiting <= 2
        await persistence.flush()
        assert len(store.writes) <= 3 and store.writes[-1] == "save 1000"
        assert len(store.load(SID).history) == 1000

    asyncio.run(main())


def test_a_delete_makes_the_saves_before_it_moot_and_the_order_holds() -> None:
    async def main() -> None:
        store = SlowStore()
        persistence = SessionPersistence(store, SID)
        persistence.submit(save(1))
        await asyncio.sleep(0.005)  # being written
        persistence.submit(save(2))
        persistence.submit(DeleteSession(SID))  # "forget": save 2 need not be written
        persistence.submit(save(1))  # the conversation after forgetting
        persistence.submit(save(2))
        assert persistence.waiting == 2
        await persistence.flush()
        assert store.writes == ["save 1", "delete", "save 2"]
        persistence.submit(DeleteSession(SID))
        await persistence.flush()
        assert store.load(SID) is None

    asyncio.run(main())
