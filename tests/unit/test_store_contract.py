"""The session store contract, run over every store.

The ``check_*`` functions take a ``Harness`` and are reused by tests/integration/test_store_redis.py
against a real Redis. ``CONTRACT`` needs no clock control; ``CLOCK_CONTRACT`` moves the store's
clock (backends whose expiry is server-side test it with real sleeps instead).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.chat import ChatMessage
from app.store import (
    CorruptRecord,
    InvalidSessionId,
    MemoryStore,
    ResilientStore,
    SessionRecord,
    SessionStore,
    SettingValue,
    SqliteStore,
    StaleWrite,
    new_session_id,
)

TTL_S = 600.0

UNICODE = [
    "Grüße aus Köln — ça va? ½ ∑ ∞",
    "日本語のテキスト、한국어, 中文",
    "emoji 😀👩‍👩‍👧 and a flag 🇧🇪",
    "RTL: مرحبا بالعالم שלום",
    "quotes \" ' ` backslash \\ newline\nnul\x00 tab\t",
    "combining e\u0301 and a lone surrogate \ud800",
]


class FakeClock:
    """Wall-clock seconds that move only when told to."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    """A store under test and the backend-specific hooks the contract needs."""

    store: SessionStore
    peer: Callable[[], SessionStore]
    """Another store object on the same data (another thread's connection, another node)."""
    corrupt: Callable[[str], None]
    """Overwrite the stored data of a saved session with garbage."""
    advance: Callable[[float], None] | None = None
    """Move the store's clock forward, or None when expiry runs on the backend's own clock."""


def first(session_id: str | None = None, *texts: str) -> SessionRecord:
    """A version-1 record holding ``texts`` as alternating user/assistant messages."""
    history = [ChatMessage("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts)]
    return SessionRecord(session_id or new_session_id()).next_version(
        history=history, settings={"pipeline": "fast"}, now=1_700_000_000.5
    )


# ------------------------------------------------------------------ the contract


def check_round_trip_unicode(h: Harness) -> None:
    settings: dict[str, SettingValue] = {
        "pipeline": "naive", "turns": 8, "temperature": 0.25, "barge_in": True, "empty": ""
    }
    record = SessionRecord(new_session_id()).next_version(
        history=[ChatMessage("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(UNICODE)],
        settings=settings,
        now=1_700_000_123.456,
    )
    h.store.save(record)
    loaded = h.store.load(record.session_id)
    assert loaded == record
    assert loaded is not None
    assert loaded.history == tuple(ChatMessage(m.role, m.content) for m in record.history)
    assert isinstance(loaded.history, tuple)
    assert [m.content for m in loaded.history] == UNICODE
    assert {k: (type(v), v) for k, v in loaded.settings.items()} == {
        k: (type(v), v) for k, v in settings.items()
    }  # bool stays bool, int stays int
    assert loaded.updated_at == 1_700_000_123.456
    assert loaded.version == 1
    with pytest.raises(TypeError):
        loaded.settings["pipeline"] = "fast"  # type: ignore[index]
    # Another connection/node sees the same record.
    other = h.peer()
    assert other.load(record.session_id) == record


def check_empty_history_round_trip(h: Harness) -> None:
    record = SessionRecord(new_session_id(), settings={}).next_version(now=5.0)
    h.store.save(record)
    assert h.store.load(record.session_id) == record


def check_unknown_session(h: Harness) -> None:
    sid = new_session_id()
    assert h.store.load(sid) is None
    assert h.store.delete(sid) is False


def check_delete(h: Harness) -> None:
    record = first(None, "hello", "hi there")
    keep = first(None, "another conversation")
    h.store.save(record)
    h.store.save(keep)
    assert h.store.delete(record.session_id) is True
    assert h.store.load(record.session_id) is None
    assert h.store.delete(record.session_id) is False
    assert h.store.load(keep.session_id) == keep
    # A forgotten id starts afresh at version 1.
    fresh = first(record.session_id, "new start")
    h.store.save(fresh)
    assert h.store.load(record.session_id) == fresh


def check_versions(h: Harness) -> None:
    v1 = first(None, "one")
    h.store.save(v1)
    v2 = v1.next_version(history=[*v1.history, ChatMessage("assistant", "two")], now=2e9)
    h.store.save(v2)
    assert h.store.load(v1.session_id) == v2

    # Another node resumed from v1 and tries to write its own v2: rejected, v2 kept.
    rival = v1.next_version(history=[ChatMessage("user", "rival")], now=2e9 + 1)
    with pytest.raises(StaleWrite) as info:
        h.store.save(rival)
    assert (info.value.attempted, info.value.stored) == (2, 2)
    with pytest.raises(StaleWrite):
        h.store.save(v1)  # an older version never overwrites a newer one
    with pytest.raises(StaleWrite):
        h.store.save(v2)  # nor does the same one twice
    assert h.store.load(v1.session_id) == v2

    # Two nodes load the same version; the first save wins, the second must reload.
    other = h.peer()
    a = h.store.load(v1.session_id)
    b = other.load(v1.session_id)
    assert a is not None and b is not None
    other.save(b.next_version(history=[*b.history, ChatMessage("user", "from b")]))
    with pytest.raises(StaleWrite):
        h.store.save(a.next_version(history=[*a.history, ChatMessage("user", "from a")]))
    latest = h.store.load(v1.session_id)
    assert latest is not None and latest.version == 3 and latest.history[-1].content == "from b"

    # A version may skip ahead; it only has to be newer.
    h.store.save(latest.next_version().next_version())
    loaded = h.store.load(v1.session_id)
    assert loaded is not None and loaded.version == 5

    with pytest.raises(ValueError):
        h.store.save(SessionRecord(new_session_id()))  # version 0: never saveable


def check_corrupt_record(h: Harness) -> None:
    record = first(None, "hello")
    h.store.save(record)
    h.corrupt(record.session_id)
    with pytest.raises(CorruptRecord):
        h.store.load(record.session_id)
    assert h.store.delete(record.session_id) is True  # the way out of a corrupt record
    assert h.store.load(record.session_id) is None


def check_invalid_ids_rejected(h: Harness) -> None:
    bad: list[object] = [
        "",
        "short",
        "x" * 15,
        "x" * 129,
        "has a space in it ok",
        "../../../../etc/passwd",
        "edgevoice:other:key000",
        "é" * 20,
        "abcdefghijklmnop\n",
        None,
        12345678901234567890,
        b"abcdefghijklmnopqrstuv",
    ]
    for value in bad:
        for method in (h.store.load, h.store.delete):
            with pytest.raises(InvalidSessionId):
                method(value)  # type: ignore[arg-type]
        with pytest.raises(InvalidSessionId):
            SessionRecord(value)  # type: ignore[arg-type]
    # Ids the server has issued all along (uuid4().hex) and new ones are fine.
    for good in (uuid.uuid4().hex, new_session_id(), "x" * 16, "A-b_9" * 25):
        assert h.store.load(good) is None


def check_concurrent_saves(h: Harness) -> None:
    """Threads appending to one session through their own store objects: no lost or torn write."""
    sid = new_session_id()
    threads_n, appends = 6, 12
    stores = [h.peer() for _ in range(threads_n)]
    stale = [0]
    errors: list[BaseException] = []
    start = threading.Barrier(threads_n)

    def work(n: int) -> None:
        store = stores[n]
        try:
            start.wait()
            for i in range(appends):
                while True:
                    current = store.load(sid) or SessionRecord(sid)
                    nxt = current.next_version(history=[*current.history, ChatMessage("user", f"t{n}-{i} ✓")])
                    try:
                        store.save(nxt)
                        break
                    except StaleWrite:
                        stale[0] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(60)
    assert not errors, errors
    final = h.store.load(sid)
    assert final is not None
    assert final.version == threads_n * appends
    contents = [m.content for m in final.history]
    assert sorted(contents) == sorted(f"t{n}-{i} ✓" for n in range(threads_n) for i in range(appends))
    for n in range(threads_n):  # each thread's messages in its own order
        mine = [c for c in contents if c.startswith(f"t{n}-")]
        assert mine == [f"t{n}-{i} ✓" for i in range(appends)]


def check_concurrent_sessions(h: Harness) -> None:
    """Threads saving their own sessions in parallel through one store object."""
    errors: list[BaseException] = []
    sids = [new_session_id() for _ in range(8)]

    def work(sid: str) -> None:
        try:
            record = SessionRecord(sid)
            for i in range(15):
                record = record.next_version(history=[*record.history, ChatMessage("user", f"{sid}:{i}")])
                h.store.save(record)
                assert h.store.load(sid) == record
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(sid,)) for sid in sids]
    for t in workers:
        t.start()
    for t in workers:
        t.join(60)
    assert not errors, errors
    for sid in sids:
        loaded = h.store.load(sid)
        assert loaded is not None and loaded.version == 15 and len(loaded.history) == 15


def check_ttl_expiry(h: Harness) -> None:
    assert h.advance is not None
    ttl = h.store.ttl_s
    record = first(None, "remember me")
    h.store.save(record)
    h.advance(ttl - 1)
    assert h.store.load(record.session_id) == record
    saved_again = record.next_version()
    h.store.save(saved_again)  # a save restarts the TTL
    h.advance(ttl - 1)
    assert h.store.load(record.session_id) == saved_again
    h.advance(1.5)
    assert h.store.load(record.session_id) is None
    assert h.store.delete(record.session_id) is False
    # An expired session is unknown: a fresh version 1 is accepted.
    fresh = first(record.session_id, "new")
    h.store.save(fresh)
    assert h.store.load(record.session_id) == fresh


CONTRACT = [
    check_round_trip_unicode,
    check_empty_history_round_trip,
    check_unknown_session,
    check_delete,
    check_versions,
    check_corrupt_record,
    check_invalid_ids_rejected,
    check_concurrent_saves,
    check_concurrent_sessions,
]
CLOCK_CONTRACT = [check_ttl_expiry]


# ------------------------------------------------------------------ harnesses


def _memory(tmp_path: Path) -> Iterator[Harness]:
    clock = FakeClock()
    store = MemoryStore(TTL_S, clock=clock)

    def corrupt(sid: str) -> None:
        _, version, expires_at = store._data[sid]
        store._data[sid] = ('{"format": 1, "session_id": "', version, expires_at)

    yield Harness(store, peer=lambda: store, corrupt=corrupt, advance=clock.advance)
    store.close()


def _sqlite(tmp_path: Path) -> Iterator[Harness]:
    clock = FakeClock()
    path = tmp_path / "sub" / "sessions.db"
    store = SqliteStore(path, TTL_S, clock=clock)
    peers: list[SqliteStore] = []

    def peer() -> SqliteStore:
        peers.append(SqliteStore(path, TTL_S, clock=clock))
        return peers[-1]

    def corrupt(sid: str) -> None:
        import sqlite3

        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE sessions SET record = ? WHERE session_id = ?", ("\x00not json", sid))
        conn.close()

    yield Harness(store, peer=peer, corrupt=corrupt, advance=clock.advance)
    for s in [store, *peers]:
        s.close()


def _resilient_sqlite(tmp_path: Path) -> Iterator[Harness]:
    """The wrapper must keep the contract while its primary is healthy."""
    for inner in _sqlite(tmp_path):
        primary = inner.store
        assert isinstance(primary, SqliteStore)
        clock = primary._clock
        assert isinstance(clock, FakeClock)
        wrapped = ResilientStore(primary, cache=MemoryStore(TTL_S, clock=clock))
        yield Harness(
            wrapped,
            peer=lambda inner=inner, clock=clock: ResilientStore(inner.peer(), cache=MemoryStore(TTL_S, clock=clock)),
            corrupt=inner.corrupt,
            advance=inner.advance,
        )


HARNESSES = {"memory": _memory, "sqlite": _sqlite, "resilient-sqlite": _resilient_sqlite}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    yield from HARNESSES[request.param](tmp_path)


@pytest.mark.parametrize("check", CONTRACT + CLOCK_CONTRACT, ids=lambda f: f.__name__.removeprefix("check_"))
def test_contract(harness: Harness, check: Callable[[Harness], None]) -> None:
    check(harness)


# ------------------------------------------------------------------ backend specifics


def test_sqlite_purge_expired_and_reopen(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "s.db"
    with SqliteStore(path, 10, clock=clock) as store:
        old, new = first(None, "old"), first(None, "new")
        store.save(old)
        clock.advance(6)
        store.save(new)
        clock.advance(6)
        assert store.purge_expired() == 1
        assert store.purge_expired() == 0
    with SqliteStore(path, 10, clock=clock) as reopened:  # survives a restart of the node
        assert reopened.load(new.session_id) == new
        assert reopened.load(old.session_id) is None


def test_sqlite_save_purges_opportunistically(tmp_path: Path) -> None:
    import sqlite3

    clock = FakeClock()
    path = tmp_path / "s.db"
    with SqliteStore(path, 10, clock=clock) as store:
        for _ in range(5):
            store.save(first(None, "x"))
        clock.advance(3600)
        store.save(first(None, "y"))  # more than a minute since the last purge
        with sqlite3.connect(path) as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()
        conn.close()
        assert count == 1


def test_sqlite_version_column_mismatch_is_corrupt(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "s.db"
    with SqliteStore(path, 10) as store:
        record = first(None, "x")
        store.save(record)
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE sessions SET version = 7")
        conn.close()
        with pytest.raises(CorruptRecord):
            store.load(record.session_id)


def test_sqlite_uses_wal_and_closed_store_is_unavailable(tmp_path: Path) -> None:
    from app.store import StoreUnavailable

    store = SqliteStore(tmp_path / "s.db", 10)
    assert store.ping() is True
    assert store._conn is not None
    assert store._conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()
    store.close()
    assert store.ping() is False
    with pytest.raises(StoreUnavailable):
        store.load(new_session_id())


def test_sqlite_unopenable_path_is_unavailable(tmp_path: Path) -> None:
    from app.store import StoreUnavailable

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreUnavailable):
        SqliteStore(blocker / "sessions.db", 10)


def test_sqlite_not_a_database(tmp_path: Path) -> None:
    from app.store import StoreError

    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a sqlite file at all" * 100)
    with pytest.raises(StoreError):
        SqliteStore(path, 10)


def test_memory_purge_expired() -> None:
    clock = FakeClock()
    store = MemoryStore(10, clock=clock)
    store.save(first(None, "a"))
    store.save(first(None, "b"))
    assert len(store) == 2
    clock.advance(11)
    assert len(store) == 0
    assert store.purge_expired() == 2
