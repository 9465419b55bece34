"""Keeps one session's conversation in the node's store, off the event loop.

Writes of one session go out in order, one at a time, from a small worker. Each carries the
record's version, so a stale copy (an old node waking up) can never overwrite a newer one.
Writes waiting their turn are coalesced: a save holds the whole conversation, so only the latest
waiting save is kept, and a delete makes every write waiting before it moot. At most two writes
(a delete, then a save) ever wait, however fast a client changes its session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from app.conversation.effects import DeleteSession, SaveSession
from app.store import CorruptRecord, SessionRecord, SessionStore, StaleWrite, StoreError
from app.store.base import SettingValue

log = logging.getLogger(__name__)


class NotYours(Exception):
    """The stored session belongs to another token holder."""


class SessionPersistence:
    """Load, save and delete one session's record through a ``SessionStore``."""

    def __init__(self, store: SessionStore, session_id: str, owner: str | None = None) -> None:
        """``owner``: who this connection is (``auth.Grant.subject``): a session it creates is
        stored as theirs, and one stored as someone else's is not loaded for it."""
        self._owner = owner
        self._store = store
        self._record = SessionRecord(session_id)
        self._waiting: list[SaveSession | DeleteSession] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._sealed = False
        self._confirms: list[Callable[[bool], None]] = []
        """Who waits for the next delete to be done (a delete replaces those queued before it)."""
        self._worker: asyncio.Task[None] | None = None

    async def load(self, session_id: str) -> SessionRecord | None:
        """The stored record of ``session_id``, or None if unknown or expired. Raises
        ``CorruptRecord`` for a record that cannot be read, after deleting it (it could never be
        resumed nor forgotten otherwise)."""
        try:
            record = await asyncio.to_thread(self._store.load, session_id)
        except CorruptRecord:
            log.warning("stored session record unreadable: deleted")
            try:
                await asyncio.to_thread(self._store.delete, session_id)
            except StoreError as exc:
                log.warning("could not delete the unreadable record: %s", type(exc).__name__)
            raise
        except StoreError as exc:
            log.warning("session store failed on load: %s", type(exc).__name__)
            return None
        owner = record.settings.get("owner") if record is not None else None
        if owner is not None and owner != self._owner:
            raise NotYours(session_id)
        self._record = record if record is not None else SessionRecord(session_id)
        return record

    def seal(self) -> None:
        """Accept no more writes (another connection now holds the session); queued ones still go."""
        self._sealed = True

    def submit(self, change: SaveSession | DeleteSession, *, done: Callable[[bool], None] | None = None) -> None:
        """Queue a write (coalesced, see the module docstring); writes of this session happen in
        order. ``done`` (deletes only) is called with True once the record is deleted, False if
        the store failed."""
        if done is not None:
            self._confirms.append(done)
        if self._sealed:
            log.debug("write after the session moved to another connection dropped")
            return
        if isinstance(change, DeleteSession):
            self._waiting = [change]
        elif self._waiting and isinstance(self._waiting[-1], SaveSession):
            self._waiting[-1] = change
        else:
            self._waiting.append(change)
        self._wake.set()
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="session-store")

    @property
    def waiting(self) -> int:
        """Writes queued and not started."""
        return len(self._waiting)

    async def flush(self) -> None:
        """Wait until every queued write is done (at disconnect and drain)."""
        if self._worker is not None:
            self._closing = True
            self._wake.set()
            await self._worker
            self._worker = None
            self._closing = False

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if not self._waiting:
                self._wake.clear()
                if self._closing:
                    return
                continue
            change = self._waiting.pop(0)
            try:
                if isinstance(change, DeleteSession):
                    await asyncio.to_thread(self._store.delete, change.session_id)
                    self._record = SessionRecord(change.session_id)
                    self._confirm(True)
                else:
                    await self._save(change)
            except StoreError as exc:
                # The resilient store already serves from memory while its backend is down;
                # anything else (a corrupt record) is logged and the session goes on.
                log.warning("session store write failed: %s", type(exc).__name__)
                if isinstance(change, DeleteSession):
                    self._confirm(False)

    def _confirm(self, deleted: bool) -> None:
        confirms, self._confirms = self._confirms, []
        for done in confirms:
            done(deleted)

    def _settings(self, record: SessionRecord) -> Mapping[str, SettingValue]:
        """The record's settings, with this connection's owner on a record that has none yet."""
        if self._owner is None or "owner" in record.settings:
            return record.settings
        return {**record.settings, "owner": self._owner}

    async def _save(self, change: SaveSession) -> None:
        record = self._record.next_version(history=change.history, timers=change.timers,
                                           settings=self._settings(self._record))
        try:
            await asyncio.to_thread(self._store.save, record)
        except StaleWrite:
            # Another node saved this session meanwhile (the client moved and came back): this
            # node holds the live conversation, so write it on top of the newer version.
            stored = await asyncio.to_thread(self._store.load, change.session_id)
            base = stored if stored is not None else SessionRecord(change.session_id)
            record = base.next_version(history=change.history, timers=change.timers, settings=self._settings(base))
            await asyncio.to_thread(self._store.save, record)
        self._record = record
