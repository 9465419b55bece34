"""The embedded default session store: one SQLite file, zero set-up.

Thread-safe (one connection behind a lock), WAL mode, and safe for several processes or store
objects on the same file: the version check is part of the single UPSERT statement that writes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.store.base import (
    CorruptRecord,
    SessionRecord,
    StaleWrite,
    StoreError,
    StoreUnavailable,
    check_saveable,
    short_id,
    validate_session_id,
)
from app.store.codec import decode_record, encode_record

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
PURGE_INTERVAL_S = 60.0
BUSY_TIMEOUT_S = 2.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    record     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
"""

# Insert, or overwrite a row that holds an older version or has expired; otherwise change nothing.
_UPSERT = """
INSERT INTO sessions (session_id, version, expires_at, record) VALUES (?, ?, ?, ?)
ON CONFLICT (session_id) DO UPDATE SET
    version = excluded.version, expires_at = excluded.expires_at, record = excluded.record
WHERE sessions.version < excluded.version OR sessions.expires_at <= ?
"""


class SqliteStore:
    """Session records in a SQLite file; expiry by an ``expires_at`` column.

    ``clock`` gives wall-clock seconds (inject a fake one in tests). Expired rows are invisible
    to ``load`` and ``delete`` and removed by ``purge_expired()``, which ``save`` also
    runs at most once a minute."""

    def __init__(self, path: str | Path, ttl_s: float, *, clock: Callable[[], float] = time.time) -> None:
        if not ttl_s > 0:
            raise ValueError("ttl_s must be > 0")
        self._ttl_s = float(ttl_s)
        self._clock = clock
        self._path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._next_purge = 0.0
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self._path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open session database {self._path}: {exc}") from exc
        self._conn = conn
        try:
            with self._cursor() as cur:
                # Deleted text is overwritten in the file, not left in free pages.
                cur.execute("PRAGMA secure_delete=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.executescript(_SCHEMA)
                (found,) = cur.execute("PRAGMA user_version").fetchone()
                if found == 0:
                    cur.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                elif found != SCHEMA_VERSION:
                    raise StoreError(f"{self._path}: schema version {found}, expected {SCHEMA_VERSION}")
        except BaseException:
            self.close()
            raise
        self._sweeper: threading.Timer | None = None
        self._schedule_sweep()

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    @property
    def path(self) -> Path:
        return self._path

    def load(self, session_id: str) -> SessionRecord | None:
        validate_session_id(session_id)
        with self._cursor() as cur:
            row = cur.execute(
                "SELECT record, version FROM sessions WHERE session_id = ? AND expires_at > ?",
                (session_id, self._clock()),
            ).fetchone()
        if row is None:
            return None
        data, version = row
        if not isinstance(data, str | bytes):
            data = b""
        record = decode_record(data, session_id=session_id)
        if record.version != version:
            raise CorruptRecord("stored version column does not match the record")
        return record

    def save(self, record: SessionRecord) -> None:
        check_saveable(record)
        data = encode_record(record)
        now = self._clock()
        with self._cursor() as cur:
            cur.execute(_UPSERT, (record.session_id, record.version, now + self._ttl_s, data, now))
            if cur.rowcount != 1:
                row = cur.execute(
                    "SELECT version FROM sessions WHERE session_id = ?", (record.session_id,)
                ).fetchone()
                raise StaleWrite(record.session_id, record.version, None if row is None else row[0])
            if now >= self._next_purge:
                self._next_purge = now + PURGE_INTERVAL_S
                purged = cur.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,)).rowcount
                if purged:
                    log.debug("purged %d expired sessions", purged)
        log.debug("saved session %s v%d", short_id(record.session_id), record.version)

    def delete(self, session_id: str) -> bool:
        validate_session_id(session_id)
        now = self._clock()
        with self._cursor() as cur:
            cur.execute("DELETE FROM sessions WHERE session_id = ? AND expires_at > ?", (session_id, now))
            live = cur.rowcount == 1
            if not live:
                cur.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))
            _checkpoint(cur)  # "forget" also empties the write-ahead log of the words
        return live

    def purge_expired(self) -> int:
        """Delete expired rows now and empty the write-ahead log (old versions of every record:
        a reset conversation's words, too); how many rows."""
        now = self._clock()
        with self._cursor() as cur:
            self._next_purge = now + PURGE_INTERVAL_S
            purged = cur.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,)).rowcount
            _checkpoint(cur)
        return purged

    def _schedule_sweep(self) -> None:
        """Purge every ``PURGE_INTERVAL_S`` on a daemon thread, also when no session saves."""
        self._sweeper = threading.Timer(PURGE_INTERVAL_S, self._sweep)
        self._sweeper.daemon = True
        self._sweeper.start()

    def _sweep(self) -> None:
        try:
            purged = self.purge_expired()
        except StoreError as exc:
            log.warning("session database sweep failed: %s", exc)
        else:
            if purged:
                log.debug("purged %d expired sessions", purged)
        if self._conn is not None:
            self._schedule_sweep()

    def ping(self) -> bool:
        try:
            with self._cursor() as cur:
                cur.execute("SELECT 1").fetchone()
            return True
        except StoreError:
            return False

    def close(self) -> None:
        sweeper = getattr(self, "_sweeper", None)  # None: the database never opened properly
        if sweeper is not None:
            sweeper.cancel()
        if sweeper is not None and self._conn is not None:
            try:
                self.purge_expired()  # nothing expired outlives the node in its file
            except StoreError as exc:
                log.warning("session database purge at close failed: %s", exc)
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        """A cursor under the lock; sqlite3 errors become store errors."""
        with self._lock:
            if self._conn is None:
                raise StoreUnavailable("the session store is closed")
            cur = self._conn.cursor()
            try:
                yield cur
            except sqlite3.OperationalError as exc:  # locked, I/O error, disk full, ...
                raise StoreUnavailable(f"session database: {exc}") from exc
            except sqlite3.Error as exc:
                raise StoreError(f"session database: {exc}") from exc
            finally:
                cur.close()


def _checkpoint(cur: sqlite3.Cursor) -> None:
    """Copy the write-ahead log into the database and truncate it (a reader in the way only delays it)."""
    cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
