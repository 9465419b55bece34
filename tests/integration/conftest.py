"""Fixtures of the integration tier: real ``redis-server`` processes on free loopback ports; and
how a test grows a stored conversation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.chat import ChatMessage
from app.store import SessionRecord
from tests.services import RedisServer


def said(record: SessionRecord, text: str, fence: int | None = None) -> SessionRecord:
    """The record's next version, one user message longer, written under lease ``fence``
    (by default the record's own)."""
    return record.next_version(history=[*record.history, ChatMessage("user", text)], fence=fence)


def running_redis(workdir: Path) -> Iterator[RedisServer]:
    """A started ``redis-server`` (no persistence) in ``workdir``, stopped when the fixture ends."""
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One server a test module shares: each test keeps to a key prefix of its own."""
    yield from running_redis(tmp_path_factory.mktemp("redis"))


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server this test alone may stop, freeze and restart."""
    yield from running_redis(tmp_path)
