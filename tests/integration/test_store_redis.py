"""The session store contract and failure behaviour against a real ``redis-server``.

Each test module run starts its own ``redis-server`` on a free port (no persistence) and stops it
at the end. Without ``redis-server`` these tests fail: install it (Debian: apt-get install
redis-server) or put it on PATH.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.store import (
    CorruptRecord,
    ResilientStore,
    StaleWrite,
    StoreUnavailable,
    new_session_id,
    open_store,
)
from app.store.redis_store import RedisStore
from tests.integration.conftest import said
from tests.services import RedisServer, free_port
from tests.unit.test_store_contract import CONTRACT, Harness, check_ttl_expiry, first


@pytest.fixture
def redis_harness(redis_server: RedisServer) -> Iterator[Harness]:
    prefix = f"test-{new_session_id()}:"  # a namespace per test; nothing to flush
    stores: list[RedisStore] = []

    def make() -> RedisStore:
        stores.append(RedisStore(redis_server.url, 600, prefix=prefix))
        return stores[-1]

    store = make()

    def corrupt(sid: str) -> None:
        store.client.hset(store.key(sid), "record", b"\xff{ not json")

    yield Harness(store, peer=make, corrupt=corrupt)
    for s in stores:
        s.close()


@pytest.mark.parametrize("check", CONTRACT, ids=lambda f: f.__name__.removeprefix("check_"))
def test_contract(redis_harness: Harness, check: Callable[[Harness], None]) -> None:
    check(redis_harness)


def test_resilient_contract(redis_harness: Harness) -> None:
    """The wrapper keeps the contract over a healthy Redis too."""
    wrapped = Harness(
        ResilientStore(redis_harness.store),
        peer=lambda: ResilientStore(redis_harness.peer()),
        corrupt=redis_harness.corrupt,
    )
    for check in CONTRACT:
        check(wrapped)


def test_real_ttl_expiry(redis_server: RedisServer) -> None:
    with RedisStore(redis_server.url, 1.0) as store:
        record = first(None, "short-lived")
        store.save(record)
        pttl = store.client.pttl(store.key(record.session_id))
        assert 0 < pttl <= 1000
        time.sleep(0.6)
        saved_again = record.next_version()
        store.save(saved_again)  # restarts the 1 s
        time.sleep(0.6)
        assert store.load(record.session_id) == saved_again  # 1.2 s after the first save, 0.6 s after the second
        time.sleep(1.5)
        assert store.load(record.session_id) is None
        assert store.delete(record.session_id) is False
        fresh = first(record.session_id, "again")
        store.save(fresh)  # expired = unknown: version 1 accepted
        assert store.load(record.session_id) == fresh


def test_fake_clock_contract_runs_elsewhere() -> None:
    """Redis expires keys on its own clock, so the fake-clock TTL check is not run here."""
    assert check_ttl_expiry not in CONTRACT


def test_layout_and_wrong_type(redis_server: RedisServer) -> None:
    with RedisStore(redis_server.url, 600, prefix="layout:") as store:
        record = first(None, "hello")
        store.save(record)
        key = store.key(record.session_id)
        assert key == "layout:" + record.session_id
        assert store.client.hgetall(key).keys() == {b"version", b"record"}
        assert store.client.hget(key, "version") == b"1"

        store.client.hset(key, "version", b"2")  # version field disagrees with the record
        with pytest.raises(CorruptRecord):
            store.load(record.session_id)
        store.client.hset(key, "version", b"banana")
        with pytest.raises(CorruptRecord):
            store.save(record.next_version())
        store.client.hdel(key, "record")
        with pytest.raises(CorruptRecord):
            store.load(record.session_id)

        store.client.delete(key)
        store.client.set(key, "a plain string")  # some other tool wrote here
        with pytest.raises(CorruptRecord):
            store.load(record.session_id)
        with pytest.raises(CorruptRecord):
            store.save(record)
        assert store.delete(record.session_id) is True
        store.save(record)
        assert store.load(record.session_id) == record


def test_script_survives_a_flushed_script_cache(redis_server: RedisServer) -> None:
    with RedisStore(redis_server.url, 600) as store:
        record = first(None, "x")
        store.save(record)
        store.client.script_flush()  # as after a Redis restart
        store.save(record.next_version())
        with pytest.raises(StaleWrite):
            store.save(record)


def test_dead_redis_fails_fast() -> None:
    port = free_port()  # nothing listens here
    with RedisStore(f"redis://127.0.0.1:{port}/0", 60) as store:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.load(new_session_id())
        with pytest.raises(StoreUnavailable):
            store.save(first(None, "x"))
        assert store.ping() is False
        assert time.monotonic() - started < 1.0


def test_hung_redis_times_out(own_redis: RedisServer) -> None:
    with RedisStore(own_redis.url, 60, timeout_s=0.3) as store:
        record = first(None, "x")
        store.save(record)
        own_redis.freeze()
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                store.load(record.session_id)
            assert time.monotonic() - started < 1.5  # 0.3 s, one retry
        finally:
            own_redis.thaw()
        assert store.load(record.session_id) == record


def test_down_and_up(own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    """Redis dies mid-session and comes back empty on the same port: nothing the user said is lost."""
    caplog.set_level(logging.INFO, logger="app.store")
    store = open_store(own_redis.url, 600)
    assert isinstance(store, ResilientStore)
    store = ResilientStore(store.primary, retry_interval_s=0.2)
    redis_store = store.primary
    assert isinstance(redis_store, RedisStore)
    try:
        v1 = first(None, "what's the weather")
        store.save(v1)
        v2 = said(v1, "and tomorrow?")
        store.save(v2)
        assert store.healthy and store.ping() is True

        own_redis.stop()  # terminated mid-session
        started = time.monotonic()
        assert store.load(v1.session_id) == v2  # served from memory
        v3 = said(v2, "thanks")
        store.save(v3)  # no exception
        other = first(None, "a session opened while Redis was down")
        store.save(other)
        assert store.load(other.session_id) == other
        assert time.monotonic() - started < 1.0  # a dead Redis does not stall turns
        assert not store.healthy and store.pending == 2
        assert store.ping() is False
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]

        own_redis.start()  # same port, empty (no persistence)
        time.sleep(0.3)  # past the retry interval
        assert store.load(v1.session_id) == v3  # this call re-syncs, then reads Redis
        assert store.healthy and store.pending == 0
        assert redis_store.load(v1.session_id) == v3  # the dirty record reached Redis
        assert redis_store.load(other.session_id) == other
        assert 0 < redis_store.client.pttl(redis_store.key(v1.session_id)) <= 600_000
        infos = [r for r in caplog.records if r.levelno == logging.INFO and "back" in r.getMessage()]
        assert len(infos) == 1
        assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1

        # Back to normal: version races are still enforced.
        with pytest.raises(StaleWrite):
            store.save(v3)
        store.save(said(v3, "bye"))
    finally:
        store.close()


def test_hung_redis_then_delete_and_resync(own_redis: RedisServer) -> None:
    """A frozen Redis (timeouts, data kept): saves and forgets made meanwhile are applied on return."""
    primary = RedisStore(own_redis.url, 600, timeout_s=0.3)
    store = ResilientStore(primary, retry_interval_s=60)  # re-sync explicitly below
    try:
        keep, forget = first(None, "keep me"), first(None, "forget me")
        store.save(keep)
        store.save(forget)
        own_redis.freeze()
        try:
            started = time.monotonic()
            kept2 = said(keep, "more")
            store.save(kept2)  # times out once (<= 2 x 0.3 s), then memory
            assert store.delete(forget.session_id) is True
            assert store.load(forget.session_id) is None
            assert store.load(keep.session_id) == kept2
            assert time.monotonic() - started < 1.5
            assert store.resync() is False  # still frozen
        finally:
            own_redis.thaw()
        assert store.resync() is True
        assert primary.load(keep.session_id) == kept2
        assert primary.load(forget.session_id) is None
    finally:
        store.close()


def test_missing_binary_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.services.REDIS_SERVER", None)
    with pytest.raises(pytest.fail.Exception, match="redis-server is not installed"):
        RedisServer(tmp_path)
