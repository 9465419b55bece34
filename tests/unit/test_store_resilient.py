"""ResilientStore over a primary that can be switched off."""

from __future__ import annotations

import logging
import random
import threading
import time

import pytest

from app.chat import ChatMessage
from app.store import (
    MemoryStore,
    ResilientStore,
    SessionRecord,
    StaleWrite,
    StoreUnavailable,
    new_session_id,
)
from app.store.base import SessionStore
from tests.unit.test_store_contract import FakeClock

TTL_S = 600.0


class FlakyPrimary:
    """A MemoryStore that raises StoreUnavailable on every call while ``down``."""

    def __init__(self, clock: FakeClock) -> None:
        self.inner = MemoryStore(TTL_S, clock=clock)
        self.down = False
        self.calls = 0
        self.fail_after_write = False
        """Apply the next save, then raise StoreUnavailable (a reply lost to a timeout)."""
        self.fail_after_n: int | None = None
        """Go down after this many more successful calls."""
        self.closed = False

    @property
    def ttl_s(self) -> float:
        return self.inner.ttl_s

    def _call(self) -> None:
        self.calls += 1
        if self.fail_after_n is not None:
            if self.fail_after_n == 0:
                self.down, self.fail_after_n = True, None
            else:
                self.fail_after_n -= 1
        if self.down:
            raise StoreUnavailable("primary is down")

    def load(self, session_id: str) -> SessionRecord | None:
        self._call()
        return self.inner.load(session_id)

    def save(self, record: SessionRecord) -> None:
        self._call()
        self.inner.save(record)
        if self.fail_after_write:
            self.fail_after_write = False
            raise StoreUnavailable("timed out waiting for the reply")

    def delete(self, session_id: str) -> bool:
        self._call()
        return self.inner.delete(session_id)

    def ping(self) -> bool:
        self.calls += 1
        return not self.down

    def close(self) -> None:
        self.closed = True


class Rig:
    def __init__(self, retry_interval_s: float = 1.0) -> None:
        self.wall = FakeClock()
        self.mono = FakeClock(100.0)
        self.primary = FlakyPrimary(self.wall)
        primary: SessionStore = self.primary
        self.store = ResilientStore(
            primary,
            retry_interval_s=retry_interval_s,
            clock=self.mono,
            cache=MemoryStore(TTL_S, clock=self.wall),
        )


def rec(sid: str | None = None, *texts: str) -> SessionRecord:
    return SessionRecord(sid or new_session_id()).next_version(
        history=[ChatMessage("user", t) for t in texts], settings={"pipeline": "fast"}
    )


def grow(record: SessionRecord, text: str) -> SessionRecord:
    return record.next_version(history=[*record.history, ChatMessage("assistant", text)])


def store_logs(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("app.store") and r.levelno == level]


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_serves_from_memory_while_down(rig: Rig) -> None:
    v1 = rec(None, "hello")
    rig.store.save(v1)
    assert rig.store.healthy and rig.primary.inner.load(v1.session_id) == v1

    rig.primary.down = True
    assert rig.store.load(v1.session_id) == v1  # from the in-memory copy
    assert not rig.store.healthy
    v2 = grow(v1, "hi")
    rig.store.save(v2)  # no exception
    assert rig.store.load(v1.session_id) == v2
    assert rig.store.pending == 1
    assert rig.primary.inner.load(v1.session_id) == v1  # not written yet
    assert rig.store.load(new_session_id()) is None  # unknown here: nothing to serve
    fresh = rec(None, "a session started while down")
    rig.store.save(fresh)
    assert rig.store.load(fresh.session_id) == fresh
    assert rig.store.ping() is False


def test_version_check_still_applies_while_down(rig: Rig) -> None:
    v1 = rec(None, "hello")
    rig.store.save(v1)
    rig.primary.down = True
    rig.store.save(grow(v1, "a"))
    with pytest.raises(StaleWrite):
        rig.store.save(grow(v1, "b"))


def test_warns_once_per_outage_and_informs_once_on_return(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    v1 = rec(None, "hello")
    rig.store.save(v1)
    rig.primary.down = True
    record = v1
    for i in range(5):
        record = grow(record, f"turn {i}")
        rig.store.save(record)
        rig.store.load(v1.session_id)
        rig.mono.advance(1.5)  # probes are due, and fail
    assert len(store_logs(caplog, logging.WARNING)) == 1
    assert "unavailable" in store_logs(caplog, logging.WARNING)[0].getMessage()
    assert store_logs(caplog, logging.INFO) == []

    rig.primary.down = False
    rig.mono.advance(1.5)
    for _ in range(3):
        assert rig.store.load(v1.session_id) == record
    assert len(store_logs(caplog, logging.INFO)) == 1
    assert "back" in store_logs(caplog, logging.INFO)[0].getMessage()

    rig.primary.down = True  # a second outage warns again, once
    rig.store.load(v1.session_id)
    rig.store.load(v1.session_id)
    assert len(store_logs(caplog, logging.WARNING)) == 2


def test_probes_are_rate_limited(rig: Rig) -> None:
    v1 = rec(None, "hello")
    rig.store.save(v1)
    rig.primary.down = True
    rig.store.load(v1.session_id)
    calls = rig.primary.calls
    for _ in range(50):
        rig.store.load(v1.session_id)
        rig.store.save(grow(rig.store.load(v1.session_id) or v1, "x"))
        rig.mono.advance(0.01)
    assert rig.primary.calls == calls  # 0.5 s < the 1 s retry interval: no probe
    rig.mono.advance(0.6)
    rig.store.load(v1.session_id)
    assert rig.primary.calls == calls + 1  # exactly one ping
    rig.store.load(v1.session_id)
    assert rig.primary.calls == calls + 1


def test_resyncs_dirty_records_and_deletes_on_recovery(rig: Rig) -> None:
    a, b, c = rec(None, "a"), rec(None, "b"), rec(None, "c")
    for r in (a, b, c):
        rig.store.save(r)
    rig.primary.down = True
    a2 = grow(grow(a, "a1"), "a2")
    rig.store.save(grow(a, "a1"))
    rig.store.save(a2)
    assert rig.store.delete(b.session_id) is True
    assert rig.store.load(b.session_id) is None
    d = rec(None, "d, new while down")
    rig.store.save(d)
    assert rig.store.pending == 3  # a, d dirty; b deleted

    rig.primary.down = False
    rig.mono.advance(1.0)
    assert rig.store.load(a.session_id) == a2  # this call notices, re-syncs, then reads the primary
    assert rig.store.healthy and rig.store.pending == 0
    inner = rig.primary.inner
    assert inner.load(a.session_id) == a2
    assert inner.load(b.session_id) is None
    assert inner.load(d.session_id) == d
    assert inner.load(c.session_id) == c


def test_explicit_resync(rig: Rig) -> None:
    a = rec(None, "a")
    rig.store.save(a)
    rig.primary.down = True
    b = grow(a, "b")
    rig.store.save(b)
    assert rig.store.resync() is False
    assert rig.store.pending == 1
    rig.primary.down = False
    assert rig.store.resync() is True  # no need to wait out the retry interval
    assert rig.primary.inner.load(a.session_id) == b
    assert rig.store.resync() is True


def test_delete_then_save_while_down(rig: Rig) -> None:
    a = grow(rec(None, "old"), "old reply")
    rig.store.save(a)
    rig.primary.down = True
    rig.store.delete(a.session_id)
    restart = rec(a.session_id, "new start")
    rig.store.save(restart)  # version 1 after a forget: accepted
    rig.primary.down = False
    assert rig.store.resync() is True
    assert rig.primary.inner.load(a.session_id) == restart


def test_save_then_delete_while_down(rig: Rig) -> None:
    a = rec(None, "x")
    rig.store.save(a)
    rig.primary.down = True
    rig.store.save(grow(a, "y"))
    rig.store.delete(a.session_id)
    rig.primary.down = False
    assert rig.store.resync() is True
    assert rig.primary.inner.load(a.session_id) is None


def test_conflict_on_resync_keeps_the_primary(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    a = rec(None, "a")
    rig.store.save(a)
    rig.primary.down = True
    mine = grow(a, "saved here while cut off")
    rig.store.save(mine)
    theirs = grow(grow(a, "another node"), "moved on")
    rig.primary.inner.save(theirs)  # the user reconnected elsewhere meanwhile
    rig.primary.down = False
    assert rig.store.resync() is True
    assert rig.primary.inner.load(a.session_id) == theirs
    assert rig.store.load(a.session_id) == theirs
    warnings = store_logs(caplog, logging.WARNING)
    assert any("dropped" in w.getMessage() for w in warnings)


def test_write_applied_before_the_timeout_is_not_a_conflict(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    a = rec(None, "a")
    rig.primary.fail_after_write = True
    rig.store.save(a)  # the primary stored it, but the reply was lost
    assert not rig.store.healthy and rig.store.pending == 1
    caplog.clear()
    assert rig.store.resync() is True
    assert rig.primary.inner.load(a.session_id) == a
    assert store_logs(caplog, logging.WARNING) == []


def test_resync_interrupted_midway_resumes_later(rig: Rig) -> None:
    records = [rec(None, f"s{i}") for i in range(4)]
    rig.primary.down = True
    for r in records:
        rig.store.save(r)
    rig.primary.down = False
    rig.primary.fail_after_n = 2  # two saves get through, then it dies again
    assert rig.store.resync() is False
    assert not rig.store.healthy
    assert rig.store.pending == 2
    rig.primary.down = False
    assert rig.store.resync() is True
    for r in records:
        assert rig.primary.inner.load(r.session_id) == r


def test_healthy_passthrough_and_cache_fill(rig: Rig) -> None:
    a = rec(None, "a")
    rig.primary.inner.save(a)  # saved by another node
    assert rig.store.load(a.session_id) == a  # read through, and copied
    rig.primary.down = True
    assert rig.store.load(a.session_id) == a
    rig.primary.down = False
    rig.primary.inner.delete(a.session_id)  # forgotten elsewhere
    rig.mono.advance(2)
    assert rig.store.load(a.session_id) is None
    rig.primary.down = True
    assert rig.store.load(a.session_id) is None  # the copy went too


def test_stale_write_passes_through_when_healthy(rig: Rig) -> None:
    a = rec(None, "a")
    rig.store.save(a)
    with pytest.raises(StaleWrite):
        rig.store.save(a)


def test_close_flushes_pending(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    a = rec(None, "a")
    rig.primary.down = True
    rig.store.save(a)
    rig.primary.down = False
    rig.store.close()
    assert rig.primary.closed and rig.primary.inner.load(a.session_id) == a

    other = Rig()
    other.primary.down = True
    other.store.save(rec(None, "lost"))
    other.store.close()
    assert any("unsynced" in w.getMessage() for w in store_logs(caplog, logging.WARNING))


def test_logs_never_hold_content_or_whole_ids(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "my password is hunter2"
    a = rec(None, secret)
    rig.store.save(a)
    rig.primary.down = True
    rig.store.save(grow(a, secret))
    rig.primary.inner.save(grow(grow(a, secret), secret))  # forces a conflict warning on re-sync
    rig.primary.down = False
    rig.store.resync()
    rig.store.close()
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage()
        assert "hunter2" not in text
        assert a.session_id not in text


def test_threads_while_the_primary_flaps() -> None:
    """Sessions keep every turn while the primary goes down and up under concurrent use."""
    rig = Rig(retry_interval_s=0.0)
    stop = threading.Event()
    errors: list[BaseException] = []
    turns = 150

    def flap() -> None:
        rnd = random.Random(7)
        while not stop.is_set():
            rig.primary.down = not rig.primary.down
            time.sleep(rnd.uniform(0.0001, 0.001))

    def user(sid: str) -> None:
        try:
            record = SessionRecord(sid)
            for i in range(turns):
                loaded = rig.store.load(sid)
                assert loaded == (None if i == 0 else record), (i, loaded and loaded.version)
                record = grow(record, f"{sid}:{i}")
                rig.store.save(record)
        except BaseException as exc:
            errors.append(exc)

    flapper = threading.Thread(target=flap)
    sids = [new_session_id() for _ in range(6)]
    users = [threading.Thread(target=user, args=(sid,)) for sid in sids]
    flapper.start()
    for t in users:
        t.start()
    for t in users:
        t.join(60)
    stop.set()
    flapper.join()
    assert not errors, errors[0]
    rig.primary.down = False
    rig.primary.fail_after_n = None
    assert rig.store.resync() is True
    for sid in sids:
        final = rig.primary.inner.load(sid)
        assert final is not None and final.version == turns
        assert [m.content for m in final.history] == [f"{sid}:{i}" for i in range(turns)]
