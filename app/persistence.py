"""Keeps one session's conversation in the node's store, off the event loop.

Writes of one session go out in order, one at a time, from a small worker. Each carries the
record's version, so a stale copy (an old node waking up) can never overwrite a newer one.
"""

from __future__ import annotations

import asyncio
import logging

from app.conversation.effects import DeleteSession, SaveSession
from app.store import SessionRecord, SessionStore, StaleWrite, StoreError

log = logging.getLogger(__name__)


class SessionPersistence:
    """Load, save and delete one session's record through a ``SessionStore``."""

    def __init__(self, store: SessionStore, session_id: str) -> None:
        self._store = store
        self._record = SessionRecord(session_id)
        self._queue: asyncio.Queue[SaveSession | DeleteSession | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def load(self, session_id: str) -> SessionRecord | None:
        """The stored record of ``session_id``, or None if unknown or expired."""
        try:
            record = await asyncio.to_thread(self._store.load, session_id)
        except StoreError as exc:
            log.warning("session store failed on load: %s", type(exc).__name__)
            return None
        self._record = record if record is not None else SessionRecord(session_id)
        return record

    def submit(self, change: SaveSession | DeleteSession) -> None:
        """Queue a write; writes of this session happen in order."""
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="session-store")
        self._queue.put_nowait(change)

    async def flush(self) -> None:
        """Wait until every queued write is done (at disconnect and drain)."""
        if self._worker is not None:
            self._queue.put_nowait(None)
            await self._worker
            self._worker = None

    async def _run(self) -> None:
        while (change := await self._queue.get()) is not None:
            try:
                if isinstance(change, DeleteSession):
                    await asyncio.to_thread(self._store.delete, change.session_id)
                    self._record = SessionRecord(change.session_id)
                else:
                    await self._save(change)
            except StoreError as exc:
                # The resilient store already serves from memory while its backend is down;
                # anything else (a corrupt record) is logged and the session goes on.
                log.warning("session store write failed: %s", type(exc).__name__)

    async def _save(self, change: SaveSession) -> None:
        record = self._record.next_version(history=change.history, timers=change.timers)
        try:
            await asyncio.to_thread(self._store.save, record)
        except StaleWrite:
            # Another node saved this session meanwhile (the client moved and came back): this
            # node holds the live conversation, so write it on top of the newer version.
            stored = await asyncio.to_thread(self._store.load, change.session_id)
            base = stored if stored is not None else SessionRecord(change.session_id)
            record = base.next_version(history=change.history, timers=change.timers)
            await asyncio.to_thread(self._store.save, record)
        self._record = record
