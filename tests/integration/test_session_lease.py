"""Session leases against a real ``redis-server``: one live connection per session across nodes.

Two ``RedisStore`` objects on one server stand for two nodes. The store-level tests check the
lease (claim, renewal, handover, takeover, release) and the fencing of stale saves; the
``SessionPersistence`` tests check what a connection does with them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest

from app.chat import ChatMessage
from app.conversation.effects import DeleteSession, SaveSession
from app.persistence import SessionPersistence
from app.store import FencedWrite, LeaseState, ResilientStore, SessionRecord, StaleWrite, new_session_id
from app.store.redis_store import RedisStore
from tests.integration.conftest import said
from tests.services import RedisServer


@pytest.fixture
def nodes(redis_server: RedisServer) -> Iterator[tuple[RedisStore, RedisStore]]:
    """Two nodes' stores on one Redis, in a key namespace of their own."""
    prefix = f"lease-{new_session_id()}:"
    a, b = RedisStore(redis_server.url, 600, prefix=prefix), RedisStore(redis_server.url, 600, prefix=prefix)
    yield a, b
    a.close()
    b.close()


# ---------------------------------------------------------------- the lease in the store


def test_claim_renew_release(nodes: tuple[RedisStore, RedisStore]) -> None:
    a, _ = nodes
    sid = new_session_id()
    generation, held = a.leases.claim(sid)
    assert generation > 0 and held is False  # nobody had it: no wait
    assert a.leases.renew(sid, generation) is LeaseState.HELD
    assert 0 < a.client.pttl(a.leases.lease_key(sid)) <= 5000
    assert a.leases.release(sid, generation) is True
    assert a.client.exists(a.leases.lease_key(sid)) == 0
    assert a.leases.release(sid, generation) is False
    again, held = a.leases.claim(sid)
    assert again > generation and held is False  # every claim is a newer generation


def test_a_lapsed_lease_nobody_took_is_renewed(redis_server: RedisServer) -> None:
    with RedisStore(redis_server.url, 600, prefix=f"lapse-{new_session_id()}:", lease_s=0.3) as store:
        sid = new_session_id()
        generation, _ = store.leases.claim(sid)
        time.sleep(0.5)  # the node was too busy to renew: the lease lapsed
        assert store.client.exists(store.leases.lease_key(sid)) == 0
        assert store.leases.renew(sid, generation) is LeaseState.HELD
        assert store.client.hget(store.leases.lease_key(sid), "gen") == str(generation).encode()


def test_takeover_without_an_answer(nodes: tuple[RedisStore, RedisStore]) -> None:
    """The old holder never hands over (a frozen node): the new one takes the lease after the wait."""
    a, b = nodes
    sid = new_session_id()
    old, _ = a.leases.claim(sid)
    new, held = b.leases.claim(sid, handover_s=0.2)
    assert held is True and new > old
    assert a.leases.renew(sid, old) is LeaseState.LOST
    assert a.leases.release(sid, old) is False  # a stale release does not free the new holder's
    assert b.leases.renew(sid, new) is LeaseState.HELD


def test_handover_waits_for_the_holder_to_let_go(nodes: tuple[RedisStore, RedisStore]) -> None:
    a, b = nodes
    sid = new_session_id()
    old, _ = a.leases.claim(sid)
    claimed: list[tuple[int, bool]] = []
    claimer = threading.Thread(target=lambda: claimed.append(b.leases.claim(sid, handover_s=60)))
    claimer.start()
    deadline = time.monotonic() + 10
    state = a.leases.renew(sid, old)
    while state is LeaseState.HELD and time.monotonic() < deadline:
        time.sleep(0.02)
        state = a.leases.renew(sid, old)
    assert state is LeaseState.WANTED  # asked, and still the holder: its last writes still go
    a.save(said(SessionRecord(sid), "the last words on node A", old))
    assert a.leases.release(sid, old) is True
    claimer.join(10)  # far less than the 60 s it would wait for a holder that never answers
    assert not claimer.is_alive()
    ((new, held),) = claimed
    assert held is True and new > old
    assert a.leases.renew(sid, old) is LeaseState.LOST
    record = b.load(sid)
    assert record is not None and record.history[-1].content == "the last words on node A"


def test_a_stale_save_is_refused_and_cannot_resurrect_a_forgotten_session(
    nodes: tuple[RedisStore, RedisStore],
) -> None:
    a, b = nodes
    sid = new_session_id()
    old, _ = a.leases.claim(sid)
    v1 = said(SessionRecord(sid), "hello from A", old)
    a.save(v1)
    new, _ = b.leases.claim(sid, handover_s=0)
    v2 = said(b.load(sid) or SessionRecord(sid), "hello from B", new)
    b.save(v2)
    with pytest.raises(FencedWrite) as refused:
        a.save(said(v2, "A, late", old))  # a newer version, but from the connection taken over
    assert isinstance(refused.value, StaleWrite) and refused.value.stored == new
    assert b.load(sid) == v2
    assert b.delete(sid) is True  # forget on B
    with pytest.raises(FencedWrite):
        a.save(said(v1, "A, later still", old))
    with pytest.raises(FencedWrite):
        a.save(said(SessionRecord(sid), "A, without a lease", 0))
    assert b.load(sid) is None  # still forgotten
    assert a.leases.renew(sid, 0) is LeaseState.LOST  # a connection that never got one learns of it too
    b.save(said(SessionRecord(sid), "B starts over", new))  # the holder may write it anew


def test_generations_grow_across_a_redis_restart_that_lost_every_key(own_redis: RedisServer) -> None:
    with RedisStore(own_redis.url, 600) as store:
        sid = new_session_id()
        old, _ = store.leases.claim(sid)
        own_redis.stop()
        own_redis.start()  # empty: no persistence
        new, held = store.leases.claim(sid)
        assert held is False and new > old  # the server's clock, not a counter that restarted
        store.save(said(SessionRecord(sid), "after the restart", new))
        with pytest.raises(FencedWrite):
            store.save(said(SessionRecord(sid), "the old holder", old).next_version(fence=old))


def test_a_stale_node_coming_back_from_an_outage_does_not_overwrite(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Node A saved while Redis was down; B took the session when it came back. A's re-sync is dropped."""
    a = ResilientStore(RedisStore(own_redis.url, 600), retry_interval_s=60)
    b = RedisStore(own_redis.url, 600)
    try:
        sid = new_session_id()
        assert a.leases is not None
        old, _ = a.leases.claim(sid)
        v1 = said(SessionRecord(sid), "before the outage", old)
        a.save(v1)
        own_redis.stop()
        a.save(said(v1, "while cut off", old))  # served from memory, dirty
        own_redis.start()  # empty again; B takes the session first
        new, _ = b.leases.claim(sid, handover_s=0)
        v2 = said(SessionRecord(sid), "on node B", new)
        b.save(v2)
        with caplog.at_level(logging.WARNING, logger="app.store"):
            assert a.resync() is True
        assert b.load(sid) == v2
        assert "dropped" in caplog.text
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------- what a connection does with it


class Side:
    """One connection's persistence on one node, and whether it was told it was taken over."""

    def __init__(self, store: RedisStore, sid: str) -> None:
        self.sid = sid
        self.told = asyncio.Event()
        self.persistence = SessionPersistence(store, sid, on_taken_over=self.told.set)

    def say(self, *texts: str) -> None:
        history = tuple(ChatMessage("user", t) for t in texts)
        self.persistence.submit(SaveSession(self.sid, history))

    @classmethod
    async def holding(cls, store: RedisStore, sid: str, *texts: str) -> Side:
        """A connection that holds the session's lease and has saved ``texts``."""
        side = cls(store, sid)
        side.persistence.hold(sid)
        side.say(*texts)
        await side.persistence.flush()
        return side

    def freeze(self) -> None:
        """The node stops: it renews nothing and hears of no handover."""
        assert self.persistence._keeper is not None
        self.persistence._keeper.cancel()


async def taken_over_behind_a_frozen_a(a_store: RedisStore, b_store: RedisStore, sid: str) -> tuple[Side, Side]:
    """A saves "from A" and freezes; B claims the session after the handover wait and saves
    "from A", "from B"."""
    a = await Side.holding(a_store, sid, "from A")
    a.freeze()
    b = Side(b_store, sid)
    assert await b.persistence.claim(sid) is True  # after the handover wait
    b.say("from A", "from B")
    await b.persistence.flush()
    return a, b


def stored_texts(store: RedisStore, sid: str) -> list[str]:
    """The contents of the session's stored history."""
    record = store.load(sid)
    assert record is not None, f"session {sid} is not stored"
    return [m.content for m in record.history]


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 20))


def test_a_new_connection_elsewhere_gets_the_old_ones_last_writes(nodes: tuple[RedisStore, RedisStore]) -> None:
    a_store, b_store = nodes
    sid = new_session_id()

    async def test() -> None:
        a = await Side.holding(a_store, sid, "first")
        a.say("first", "second")  # queued when B arrives: it lands before B's load
        b = Side(b_store, sid)
        assert await b.persistence.claim(sid) is True
        await asyncio.wait_for(a.told.wait(), 5)
        record = await b.persistence.load(sid)
        assert record is not None and [m.content for m in record.history] == ["first", "second"]
        a.say("after")  # sealed: dropped
        await a.persistence.close()
        b.say("first", "second", "third")
        await b.persistence.close()
        assert stored_texts(b_store, sid) == ["first", "second", "third"]
        assert not b.told.is_set()

    run(test)


def test_a_connection_taken_over_behind_its_back_writes_nothing(
    nodes: tuple[RedisStore, RedisStore], caplog: pytest.LogCaptureFixture
) -> None:
    """A's node missed the handover (frozen): its late save and its late forget are refused."""
    a_store, b_store = nodes
    sid = new_session_id()

    async def test() -> None:
        a, b = await taken_over_behind_a_frozen_a(a_store, b_store, sid)
        a.say("from A", "A, late")
        await a.persistence.flush()
        assert a.told.is_set()  # the refused write told it
        assert stored_texts(b_store, sid) == ["from A", "from B"]
        forgotten: list[bool] = []
        b.persistence.submit(DeleteSession(sid), done=forgotten.append)
        await b.persistence.flush()
        assert forgotten == [True] and b_store.load(sid) is None
        a.say("from A", "A, later still")  # sealed now; and the store would refuse it anyway
        await a.persistence.close()
        await b.persistence.close()
        assert b_store.load(sid) is None  # forget on B is not undone by A

    with caplog.at_level(logging.WARNING, logger="app.persistence"):
        run(test)
    assert "another connection serves the session now" in caplog.text


def test_a_forget_from_a_connection_taken_over_is_refused(nodes: tuple[RedisStore, RedisStore]) -> None:
    a_store, b_store = nodes
    sid = new_session_id()

    async def test() -> None:
        a, b = await taken_over_behind_a_frozen_a(a_store, b_store, sid)
        confirmed: list[bool] = []
        a.persistence.submit(DeleteSession(sid), done=confirmed.append)
        await a.persistence.flush()
        assert confirmed == [False] and a.told.is_set()
        assert stored_texts(b_store, sid) == ["from A", "from B"]  # B's conversation is still there
        await a.persistence.close()
        await b.persistence.close()

    run(test)
