"""A store wrapper that keeps sessions working while the real store is down.

Every record loaded or saved is also kept in memory. When the primary store raises
``StoreUnavailable``, calls are served from that copy: saves are kept as *dirty* and deletes are
remembered. At most once per ``retry_interval_s`` a call probes the primary; once it answers,
the remembered deletes and dirty saves are written to it (``resync``) and calls go to it again.
One warning is logged when the primary goes down and one info line when it is back, not one
per call.

Conflicts on re-sync: if another node saved a newer version of a session meanwhile, or took
its lease (``FencedWrite``), the primary's version wins and the copy saved here while cut off is
dropped (with a warning).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from app.store.base import (
    SessionRecord,
    SessionStore,
    StaleWrite,
    StoreError,
    StoreUnavailable,
    check_saveable,
    short_id,
    validate_session_id,
)
from app.store.lease import SessionLeases, leases_of
from app.store.memory import MemoryStore

log = logging.getLogger(__name__)


class ResilientStore:
    """Wraps ``primary``; never raises ``StoreUnavailable`` (it serves from memory instead).

    Other errors (``StaleWrite``, ``CorruptRecord``, ``InvalidSessionId``) pass through.
    ``clock`` is monotonic seconds for the retry interval; ``cache`` defaults to a
    ``MemoryStore`` with the primary's TTL."""

    def __init__(
        self,
        primary: SessionStore,
        *,
        retry_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        cache: MemoryStore | None = None,
    ) -> None:
        self._primary = primary
        self._cache = cache if cache is not None else MemoryStore(primary.ttl_s)
        self._retry_interval_s = retry_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        """Guards the state below and every cache update."""
        self._healthy = True
        self._next_probe = 0.0
        self._dirty: dict[str, SessionRecord] = {}
        self._deleted: set[str] = set()
        self._sync_lock = threading.Lock()
        """Held by the one thread re-syncing."""

    @property
    def ttl_s(self) -> float:
        return self._primary.ttl_s

    @property
    def primary(self) -> SessionStore:
        return self._primary

    @property
    def leases(self) -> SessionLeases | None:
        """The primary's leases, if it has any. They are not served from memory: while the primary
        is down a claim or renewal raises ``StoreUnavailable`` (one node cannot fence another then)."""
        return leases_of(self._primary)

    @property
    def healthy(self) -> bool:
        """Whether calls go to the primary (False: served from memory until it is back)."""
        return self._healthy

    @property
    def pending(self) -> int:
        """Saves and deletes made while down and not yet written to the primary."""
        with self._lock:
            return len(self._dirty) + len(self._deleted)

    # -------------------------------------------------------------- the store interface

    def load(self, session_id: str) -> SessionRecord | None:
        validate_session_id(session_id)
        if self._usable():
            try:
                record = self._primary.load(session_id)
            except StoreUnavailable as exc:
                self._went_down(exc)
            else:
                with self._lock:
                    if record is not None:
                        self._cache.put(record, only_if_newer=True)
                    elif session_id not in self._dirty:
                        self._cache.delete(session_id)
                return record
        return self._cache.load(session_id)

    def save(self, record: SessionRecord) -> None:
        check_saveable(record)
        while True:
            if self._usable():
                try:
                    self._primary.save(record)
                except StoreUnavailable as exc:
                    self._went_down(exc)
                else:
                    with self._lock:
                        self._cache.put(record, only_if_newer=True)
                    return
            with self._lock:
                if self._healthy:
                    continue  # a re-sync finished meanwhile: write to the primary after all
                self._cache.save(record)  # the version check, against what this node knows
                self._dirty[record.session_id] = record
                return

    def delete(self, session_id: str) -> bool:
        validate_session_id(session_id)
        while True:
            if self._usable():
                try:
                    existed = self._primary.delete(session_id)
                except StoreUnavailable as exc:
                    self._went_down(exc)
                else:
                    with self._lock:
                        self._cache.delete(session_id)
                    return existed
            with self._lock:
                if self._healthy:
                    continue
                existed = self._cache.delete(session_id)
                self._dirty.pop(session_id, None)
                self._deleted.add(session_id)
                return existed

    def ping(self) -> bool:
        """Whether the primary answers and is in sync (probes it now; re-syncs if it is back)."""
        if not self._primary.ping():
            self._went_down(None)
            return False
        return self._healthy or self.resync()

    def close(self) -> None:
        """Try once to write what is pending, then close the primary."""
        if not self._healthy and self.pending and not self.resync():
            log.warning("session store closed with %d unsynced changes (lost)", self.pending)
        self._primary.close()
        self._cache.close()

    def __enter__(self) -> ResilientStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- down and back

    def resync(self) -> bool:
        """Probe the primary now and, if it answers, write what changed while it was down.

        Returns whether the primary is in use again. If another thread is re-syncing, returns
        False at once (calls are served from memory until that one finishes)."""
        if not self._sync_lock.acquire(blocking=False):
            return False
        try:
            if self._healthy:
                return True
            if not self._primary.ping():
                self._schedule_probe()
                return False
            synced = self._write_pending()
            if synced is None:
                self._schedule_probe()
                return False
            saves, deletes = synced
            log.info("session store is back; re-synced %d saves and %d deletes", saves, deletes)
            return True
        finally:
            self._sync_lock.release()

    def _usable(self) -> bool:
        """Whether to call the primary now: healthy, or due for a probe that succeeds."""
        with self._lock:
            if self._healthy:
                return True
            if self._clock() < self._next_probe:
                return False
            self._next_probe = self._clock() + self._retry_interval_s
        return self.resync()

    def _went_down(self, exc: BaseException | None) -> None:
        with self._lock:
            if self._healthy:
                self._healthy = False
                self._next_probe = self._clock() + self._retry_interval_s
                log.warning(
                    "session store unavailable (%s); serving sessions from memory until it is back",
                    exc if exc is not None else "ping failed",
                )
            else:
                log.debug("session store still unavailable (%s)", exc)

    def _schedule_probe(self) -> None:
        with self._lock:
            self._next_probe = self._clock() + self._retry_interval_s

    def _write_pending(self) -> tuple[int, int] | None:
        """Apply deletes, then dirty saves; mark healthy once nothing is left.

        Returns (saves, deletes) written, or None if the primary failed midway (what was
        written so far is no longer pending). Called with the sync lock held."""
        saves = deletes = 0
        try:
            while True:
                with self._lock:
                    deleted = list(self._deleted)
                    dirty = list(self._dirty.items())
                    if not (deleted or dirty):
                        self._healthy = True
                        return saves, deletes
                for session_id in deleted:
                    self._primary.delete(session_id)
                    deletes += 1
                    with self._lock:
                        self._deleted.discard(session_id)
                for session_id, record in dirty:
                    self._resave(record)
                    saves += 1
                    with self._lock:
                        if self._dirty.get(session_id) is record:
                            del self._dirty[session_id]
        except StoreUnavailable as exc:
            log.debug("session store re-sync interrupted (%s)", exc)
            return None

    def _resave(self, record: SessionRecord) -> None:
        """Write a record saved while down; on a conflict keep the primary's."""
        sid = short_id(record.session_id)
        try:
            self._primary.save(record)
            return
        except StaleWrite:
            pass
        except StoreUnavailable:
            raise
        except StoreError as exc:
            log.warning("session %s: could not re-sync v%d (%s); dropped", sid, record.version, type(exc).__name__)
            return
        try:
            current = self._primary.load(record.session_id)
        except StoreUnavailable:
            raise
        except StoreError:
            current = None
        if current == record:
            return  # written before the primary failed to answer: nothing lost
        log.warning(
            "session %s: the store has v%s from elsewhere; dropped v%d saved here while it was down",
            sid,
            None if current is None else current.version,
            record.version,
        )
        with self._lock:
            if current is not None:
                self._cache.put(current)
            else:
                self._cache.delete(record.session_id)
