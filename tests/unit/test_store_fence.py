"""``SessionRecord.fence``: carried by the writer's records, never stored, ignored by equality."""

from __future__ import annotations

import pytest

from app.chat import ChatMessage
from app.store import FencedWrite, MemoryStore, SessionRecord, StaleWrite, decode_record, encode_record, leases_of


def test_the_fence_travels_with_the_next_versions_but_is_not_stored() -> None:
    record = SessionRecord("abcdefghijklmnopqrstuv").next_version(history=[ChatMessage("user", "hi")], fence=7)
    assert record.fence == 7 and record.next_version().fence == 7 and record.next_version(fence=9).fence == 9
    loaded = decode_record(encode_record(record))
    assert loaded.fence == 0 and loaded == record  # what is stored is the conversation, not who wrote it
    assert "fence" not in encode_record(record)


@pytest.mark.parametrize("fence", [-1, True, 1.5, "7"])
def test_a_bad_fence_is_refused(fence: object) -> None:
    with pytest.raises(ValueError, match="fence must be an int >= 0"):
        SessionRecord("abcdefghijklmnopqrstuv", fence=fence)  # type: ignore[arg-type]


def test_a_fenced_write_is_a_stale_write_that_says_why() -> None:
    refused = FencedWrite("abcdefghijklmnopqrstuv", 5, 9)
    assert isinstance(refused, StaleWrite)
    assert str(refused) == "session abcdefgh: not written, another connection holds it now (lease 5 < 9)"


def test_single_node_stores_have_no_leases() -> None:
    """SQLite and memory serve one node: Node.live keeps one connection per session there."""
    assert leases_of(MemoryStore(60)) is None
