"""What a SQLite session file still holds after forget, reset and expiry: none of the words."""

from __future__ import annotations

from pathlib import Path

from app.chat import ChatMessage
from app.store import SessionRecord, SqliteStore

SID = "abcdefghijklmnopqrstuv"
WORDS = "my secret banana recipe"


def on_disk(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.iterdir() if p.is_file())


def record(version_of: SessionRecord, *texts: str) -> SessionRecord:
    return version_of.next_version(history=tuple(ChatMessage("user", t) for t in texts), timers=())


def test_forget_leaves_no_words_in_the_file_or_its_write_ahead_log(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db", 3600)
    try:
        store.save(record(SessionRecord(SID), WORDS))
        assert WORDS.encode() in on_disk(tmp_path)
        store.delete(SID)
        assert b"banana" not in on_disk(tmp_path)
    finally:
        store.close()


def test_reset_and_expiry_are_erased_by_the_sweep_and_at_close(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SqliteStore(tmp_path / "s.db", 60, clock=lambda: now[0])
    first = record(SessionRecord(SID), WORDS)
    store.save(first)
    store.save(record(first))  # "reset": the same session, saved empty
    store.purge_expired()  # what the sweep does every minute
    assert b"banana" not in on_disk(tmp_path)
    other = "zyxwvutsrqponmlkjihgfedcba"
    store.save(record(SessionRecord(other), "an expiring kumquat"))
    now[0] += 120  # expired, and nothing saved since
    store.close()
    assert b"kumquat" not in on_disk(tmp_path)
