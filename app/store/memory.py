"""An in-process session store: for tests, and as ``ResilientStore``'s fallback copy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.store.base import (
    SessionRecord,
    StaleWrite,
    check_saveable,
    validate_session_id,
)
from app.store.codec import decode_record, encode_record

PURGE_INTERVAL_S = 60.0


class MemoryStore:
    """Records kept in a dict, as their JSON form, until their TTL runs out.

    ``clock`` gives wall-clock seconds (inject a fake one in tests). Thread-safe."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        if not ttl_s > 0:
            raise ValueError("ttl_s must be > 0")
        self._ttl_s = float(ttl_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[str, int, float]] = {}
        """session id -> (JSON, version, expires_at)."""
        self._next_purge = clock() + PURGE_INTERVAL_S

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    def load(self, session_id: str) -> SessionRecord | None:
        validate_session_id(session_id)
        with self._lock:
            entry = self._live(session_id, self._clock())
        return None if entry is None else decode_record(entry[0], session_id=session_id)

    def save(self, record: SessionRecord) -> None:
        check_saveable(record)
        data = encode_record(record)
        with self._lock:
            now = self._clock()
            entry = self._live(record.session_id, now)
            if entry is not None and record.version <= entry[1]:
                raise StaleWrite(record.session_id, record.version, entry[1])
            self._data[record.session_id] = (data, record.version, now + self._ttl_s)
            self._maybe_purge(now)

    def put(self, record: SessionRecord, *, only_if_newer: bool = False) -> bool:
        """Store ``record`` without the version check (a cache fill); whether it was stored.

        With ``only_if_newer``, a live record of the same or a higher version is kept instead."""
        data = encode_record(record)
        with self._lock:
            now = self._clock()
            entry = self._live(record.session_id, now)
            if only_if_newer and entry is not None and record.version <= entry[1]:
                return False
            self._data[record.session_id] = (data, record.version, now + self._ttl_s)
            self._maybe_purge(now)
            return True

    def delete(self, session_id: str) -> bool:
        validate_session_id(session_id)
        with self._lock:
            live = self._live(session_id, self._clock()) is not None
            self._data.pop(session_id, None)
            return live

    def purge_expired(self) -> int:
        """Drop expired records now; how many."""
        with self._lock:
            return self._purge(self._clock())

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            now = self._clock()
            return sum(1 for _, _, expires_at in self._data.values() if expires_at > now)

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Callers hold self._lock.

    def _live(self, session_id: str, now: float) -> tuple[str, int, float] | None:
        entry = self._data.get(session_id)
        if entry is not None and entry[2] <= now:
            del self._data[session_id]
            return None
        return entry

    def _maybe_purge(self, now: float) -> None:
        if now >= self._next_purge:
            self._purge(now)

    def _purge(self, now: float) -> int:
        expired = [sid for sid, (_, _, expires_at) in self._data.items() if expires_at <= now]
        for sid in expired:
            del self._data[sid]
        self._next_purge = now + PURGE_INTERVAL_S
        return len(expired)
