"""Session state that outlives a connection and a node: records, stores and the factory.

``open_store(url, ttl_s)`` picks the backend from a URL:

- ``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db`` (SQLAlchemy-style: the
  path is what follows ``sqlite:///``): the embedded default, a file, zero set-up;
- ``redis://host:port/db`` (also ``rediss://``, ``unix://``): shared by several edge nodes;
- ``memory://``: this process only (tests, development).

SQLite and Redis stores are wrapped in a ``ResilientStore`` unless ``resilient=False``.
"""

from __future__ import annotations

from app.store.base import (
    CorruptRecord,
    FencedWrite,
    InvalidSessionId,
    SessionRecord,
    SessionStore,
    SettingValue,
    StaleWrite,
    StoreError,
    StoreUnavailable,
    new_session_id,
    short_id,
    validate_session_id,
)
from app.store.codec import decode_record, encode_record
from app.store.lease import LeaseState, SessionLeases, leases_of
from app.store.memory import MemoryStore
from app.store.resilient import ResilientStore
from app.store.sqlite import SqliteStore

__all__ = [
    "CorruptRecord",
    "FencedWrite",
    "InvalidSessionId",
    "LeaseState",
    "MemoryStore",
    "ResilientStore",
    "SessionLeases",
    "SessionRecord",
    "SessionStore",
    "SettingValue",
    "SqliteStore",
    "StaleWrite",
    "StoreError",
    "StoreUnavailable",
    "decode_record",
    "encode_record",
    "leases_of",
    "new_session_id",
    "open_store",
    "short_id",
    "validate_session_id",
]


def open_store(url: str, ttl_s: float, *, resilient: bool = True) -> SessionStore:
    """The store a URL names (see the module doc). ``ValueError`` for an unknown scheme.

    Opening Redis does not connect (the first call does); opening SQLite creates the file and
    its directory and raises ``StoreUnavailable`` if it cannot."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"session store URL {url!r} lacks a scheme (sqlite://, redis://, memory://)")
    scheme = scheme.lower()
    store: SessionStore
    if scheme == "memory":
        if rest not in ("", "/"):
            raise ValueError("memory:// takes no path")
        return MemoryStore(ttl_s)
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise ValueError("write sqlite:///relative/path.db or sqlite:////absolute/path.db")
        store = SqliteStore(rest[1:], ttl_s)
    elif scheme in ("redis", "rediss", "unix"):
        from app.store.redis_store import (
            RedisStore,  # the redis package is needed only here
        )

        store = RedisStore(url, ttl_s)
    else:
        raise ValueError(f"unknown session store scheme {scheme!r} (sqlite, redis, rediss, unix, memory)")
    return ResilientStore(store) if resilient else store
