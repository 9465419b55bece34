"""Keeps one session's conversation in the node's store, off the event loop.

Writes of one session go out in order, one at a time, from a small worker. Each carries the
record's version, so a stale copy (an old node waking up) can never overwrite a newer one.
Writes waiting their turn are coalesced: a save holds the whole conversation, so only the latest
waiting save is kept, and a delete makes every write waiting before it moot. At most two writes
(a delete, then a save) ever wait, however fast a client changes its session.

On a store shared by nodes the connection also holds the session's lease (``app.store.lease``):
it claims it before its first write, renews it while it lives and lets it go at the end. When
another connection wants the session (seen at a renewal) this one writes what is queued, lets go
and is told to close; when one took it without waiting (seen at a renewal, or as a refused write)
nothing more is written. Either way ``on_taken_over`` is called once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from app.conversation.effects import DeleteSession, SaveSession
from app.store import (
    CorruptRecord,
    FencedWrite,
    LeaseState,
    SessionRecord,
    SessionStore,
    StaleWrite,
    StoreError,
    StoreUnavailable,
    leases_of,
    short_id,
)
from app.store.base import SettingValue

log = logging.getLogger(__name__)


class NotYours(Exception):
    """The stored session belongs to another token holder."""


class SessionPersistence:
    """Load, save and delete one session's record through a ``SessionStore``."""

    def __init__(self, store: SessionStore, session_id: str, owner: str | None = None,
                 on_taken_over: Callable[[], None] = lambda: None) -> None:
        """``owner``: who this connection is (``auth.Grant.subject``): a session it creates is
        stored as theirs, and one stored as someone else's is not loaded for it.
        ``on_taken_over``: another connection serves the session now (close this one)."""
        self._owner = owner
        self._store = store
        self._leases = leases_of(store)
        self._on_taken_over = on_taken_over
        self._fence = 0
        """The generation of the lease held (0: none yet, or the store was down at the claim)."""
        self._leased_id = session_id
        self._claiming: asyncio.Task[bool] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._handing_over = False
        self._released = False
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

    async def hand_over(self) -> None:
        """Another connection on this node takes the session: write what is queued and no more, let
        the lease go, and have this connection closed (``on_taken_over``). Not the socket's close,
        which a dead peer may take seconds to answer."""
        self._lost()
        await self.close()

    async def claim(self, session_id: str) -> bool:
        """Become the one connection serving ``session_id`` on every node sharing the store: a
        holder elsewhere writes its last changes and lets go first (or is fenced off after
        ``lease.HANDOVER_S``). Whether another connection held it (the record may have changed).
        Without a shared store, False at once."""
        if self._leases is None:
            return False
        if self._claiming is None:
            self._claiming = asyncio.create_task(self._claim(session_id), name="session-lease")
        return await self._claiming

    def hold(self, session_id: str) -> None:
        """``claim`` in the background (a session opened new): writes wait for it."""
        if self._leases is not None and self._claiming is None:
            self._claiming = asyncio.create_task(self._claim(session_id), name="session-lease")

    async def _claim(self, session_id: str) -> bool:
        assert self._leases is not None
        self._leased_id = session_id
        try:
            self._fence, moved = await asyncio.to_thread(self._leases.claim, session_id)
        except StoreError as exc:
            log.warning("session lease not taken (%s): writes are fenced only once another "
                        "connection takes it", type(exc).__name__)
            moved = False
        self._keeper = asyncio.create_task(self._keep(), name="session-lease-keeper")
        return moved

    async def _keep(self) -> None:
        """Renew the lease until another connection wants it or took it."""
        assert self._leases is not None
        while True:
            await asyncio.sleep(self._leases.renew_every_s)
            try:
                state = await asyncio.to_thread(self._leases.renew, self._leased_id, self._fence)
            except StoreError as exc:  # it lapses after lease_s: by then the store may be back
                log.debug("session lease not renewed: %s", type(exc).__name__)
                continue
            if state is not LeaseState.HELD:
                break
        self._handing_over = True
        self._lost()
        if state is LeaseState.WANTED:  # write what is queued, then let the new connection in
            await self.flush()
            await self._release()

    def _lost(self) -> None:
        """Accept no more writes (queued ones still go) and say so, once."""
        if not self._sealed:
            self._sealed = True
            self._on_taken_over()

    async def close(self) -> None:
        """Write what is queued, stop renewing and let the lease go (the connection ends)."""
        if self._claiming is not None:
            await _settled(self._claiming)
        await self.flush()  # the lease is still renewed meanwhile
        if self._keeper is not None:
            if not self._handing_over:
                self._keeper.cancel()
            await _settled(self._keeper)
        await self._release()

    async def _release(self) -> None:
        if self._leases is None or self._released or not self._fence:
            return
        self._released = True
        try:
            await asyncio.to_thread(self._leases.release, self._leased_id, self._fence)
        except StoreError as exc:  # it lapses by itself
            log.debug("session lease not released: %s", type(exc).__name__)

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
            if self._claiming is not None:
                await asyncio.gather(self._claiming, return_exceptions=True)  # writes carry the lease
            change = self._waiting.pop(0)
            try:
                if isinstance(change, DeleteSession):
                    await self._check_held(change.session_id)
                    await asyncio.to_thread(self._store.delete, change.session_id)
                    self._record = SessionRecord(change.session_id)
                    self._confirm(True)
                else:
                    await self._save(change)
            except FencedWrite as exc:
                log.warning("session %s: change not written: another connection serves the session "
                            "now", short_id(exc.session_id))
                self._lost()
                if isinstance(change, DeleteSession):
                    self._confirm(False)
            except StoreError as exc:
                # The resilient store already serves from memory while its backend is down;
                # anything else (a corrupt record) is logged and the session goes on.
                log.warning("session store write failed: %s", type(exc).__name__)
                if isinstance(change, DeleteSession):
                    self._confirm(False)

    async def _check_held(self, session_id: str) -> None:
        """``FencedWrite`` if another connection took the lease (a delete carries no fence itself)."""
        if self._leases is None or self._claiming is None:
            return
        try:
            state = await asyncio.to_thread(self._leases.renew, session_id, self._fence)
        except StoreUnavailable:
            return  # cannot tell: the resilient store remembers the delete for when it is back
        if state is LeaseState.LOST:
            raise FencedWrite(session_id, self._fence, None)

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
                                           settings=self._settings(self._record), fence=self._fence)
        try:
            await asyncio.to_thread(self._store.save, record)
        except FencedWrite:
            raise
        except StaleWrite:
            # Another node saved this session meanwhile (the client moved and came back): this
            # node holds the live conversation, so write it on top of the newer version.
            stored = await asyncio.to_thread(self._store.load, change.session_id)
            base = stored if stored is not None else SessionRecord(change.session_id)
            record = base.next_version(history=change.history, timers=change.timers, settings=self._settings(base),
                                       fence=self._fence)
            await asyncio.to_thread(self._store.save, record)
        self._record = record


async def _settled(task: asyncio.Task[Any]) -> None:
    """Wait for a lease task; a bug in it is logged (store errors are handled inside)."""
    (outcome,) = await asyncio.gather(task, return_exceptions=True)
    if isinstance(outcome, Exception):
        log.error("session lease task failed", exc_info=outcome)
