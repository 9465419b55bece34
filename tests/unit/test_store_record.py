"""SessionRecord, its JSON form, session ids, and open_store's URL handling."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.chat import ChatMessage
from app.store import (
    CorruptRecord,
    InvalidSessionId,
    MemoryStore,
    ResilientStore,
    SessionRecord,
    SqliteStore,
    StoreError,
    decode_record,
    encode_record,
    new_session_id,
    open_store,
    short_id,
    validate_session_id,
)

SID = "abcdefghijklmnopqrstuv"


def good() -> dict[str, object]:
    obj: dict[str, object] = json.loads(
        encode_record(
            SessionRecord(SID).next_version(history=[ChatMessage("user", "hi")], settings={"p": "fast"}, now=1.0)
        )
    )
    return obj


def test_new_session_ids_are_url_safe_random_and_valid() -> None:
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    for sid in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", sid)
        assert validate_session_id(sid) == sid
    assert short_id(SID) == "abcdefgh"


def test_invalid_session_id_is_a_store_error_and_value_error() -> None:
    with pytest.raises(InvalidSessionId) as info:
        validate_session_id("nope")
    assert isinstance(info.value, StoreError) and isinstance(info.value, ValueError)


def test_next_version_and_immutability() -> None:
    r0 = SessionRecord(SID)
    assert (r0.version, r0.history, dict(r0.settings)) == (0, (), {})
    r1 = r0.next_version(history=[ChatMessage("user", "a")], settings={"pipeline": "fast"}, now=10.0)
    r2 = r1.next_version(now=11.0)
    assert (r1.version, r2.version) == (1, 2)
    assert r2.history == r1.history and r2.settings == r1.settings and r2.updated_at == 11.0
    with pytest.raises(AttributeError):
        r2.version = 9  # type: ignore[misc]
    source = {"pipeline": "fast"}
    r3 = r2.next_version(settings=source)
    source["pipeline"] = "naive"
    assert r3.settings["pipeline"] == "fast"  # copied, not aliased


@pytest.mark.parametrize(
    "kwargs",
    [
        {"history": ["not a message"]},
        {"history": [ChatMessage("robot", "x")]},
        {"settings": {"k": None}},
        {"settings": {"k": [1]}},
        {"settings": {"k": float("nan")}},
        {"settings": {1: "x"}},
        {"updated_at": float("inf")},
        {"updated_at": True},
        {"version": -1},
        {"version": 1.0},
        {"version": True},
    ],
)
def test_record_rejects_bad_fields(kwargs: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        SessionRecord(SID, **kwargs)  # type: ignore[arg-type]


def test_encoding_is_ascii_json_and_round_trips() -> None:
    record = SessionRecord(SID).next_version(
        history=[ChatMessage("user", "😀 \ud800 ü"), ChatMessage("assistant", "ok")],
        settings={"a": 1, "b": 1.5, "c": True, "d": "x"},
        now=123.25,
    )
    data = encode_record(record)
    assert data.isascii()
    assert decode_record(data) == record
    assert decode_record(data.encode()) == record
    assert decode_record(data, session_id=SID) == record


def _corrupt_variants() -> list[object]:
    variants: list[object] = [
        b"",
        b"\xff\xfe garbage",
        "not json",
        '{"format":1,',
        "[]",
        "null",
        '"a string"',
        '{"format":1,"session_id":"' + SID + '","version":NaN}',
    ]
    for key, value in [
        ("format", 3),
        ("format", True),
        ("timers", {}),
        ("timers", ["t1"]),
        ("timers", [{"id": "t1", "due_s": None}]),
        ("timers", [{"id": "t1", "nested": {"a": 1}}]),
        ("timers", [{"id": f"t{i}"} for i in range(21)]),
        ("session_id", "short"),
        ("session_id", None),
        ("version", "1"),
        ("version", 1.5),
        ("version", False),
        ("version", -3),
        ("updated_at", "yesterday"),
        ("updated_at", None),
        ("settings", []),
        ("settings", {"k": None}),
        ("settings", {"k": {"nested": 1}}),
        ("history", {}),
        ("history", ["hi"]),
        ("history", [{"role": "user"}]),
        ("history", [{"role": "user", "content": 5}]),
        ("history", [{"role": "user", "content": "x", "extra": 1}]),
        ("history", [{"role": "wizard", "content": "x"}]),
    ]:
        obj = good()
        obj[key] = value
        variants.append(json.dumps(obj))
    missing = good()
    del missing["history"]
    extra = good()
    extra["audio"] = "AAAA"
    variants += [json.dumps(missing), json.dumps(extra), "[" * 100_000 + "]" * 100_000]
    return variants


@pytest.mark.parametrize("data", _corrupt_variants())
def test_corrupt_data_fails_loudly(data: str | bytes) -> None:
    with pytest.raises(CorruptRecord):
        decode_record(data)


def test_timers_round_trip() -> None:
    timer = {"id": "t1", "kind": "timer", "label": "tea", "due_s": 1.8e9, "duration_s": 300.0}
    record = SessionRecord(SID).next_version(timers=[timer], now=2.0)
    decoded = decode_record(encode_record(record))
    assert decoded == record
    assert dict(decoded.timers[0]) == timer
    assert decoded.next_version(history=[ChatMessage("user", "hi")]).timers == record.timers


def test_a_format_1_record_reads_as_one_without_timers() -> None:
    old = good()
    old["format"] = 1
    del old["timers"]
    record = decode_record(json.dumps(old))
    assert record.timers == ()
    assert record.history == (ChatMessage("user", "hi"),)


def test_a_format_2_record_needs_its_timers() -> None:
    obj = good()
    del obj["timers"]
    with pytest.raises(CorruptRecord):
        decode_record(json.dumps(obj))


def test_decode_checks_the_key() -> None:
    data = json.dumps(good())
    with pytest.raises(CorruptRecord):
        decode_record(data, session_id="zzzzzzzzzzzzzzzzzzzzzz")


def test_open_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    memory = open_store("memory://", 60)
    assert isinstance(memory, MemoryStore) and memory.ttl_s == 60

    absolute = tmp_path / "abs" / "s.db"
    store = open_store(f"sqlite:///{absolute}", 30)  # sqlite:/// + "/tmp/..." = four slashes
    assert isinstance(store, ResilientStore) and isinstance(store.primary, SqliteStore)
    assert store.primary.path == absolute and absolute.exists()
    store.close()

    monkeypatch.chdir(tmp_path)
    bare = open_store("sqlite:///rel/dir/s.db", 30, resilient=False)
    assert isinstance(bare, SqliteStore) and bare.path == Path("rel/dir/s.db")
    assert (tmp_path / "rel" / "dir" / "s.db").exists()
    bare.close()

    from app.store.redis_store import RedisStore

    redis_store = open_store("redis://127.0.0.1:1/0", 30)  # connects lazily: no error yet
    assert isinstance(redis_store, ResilientStore) and isinstance(redis_store.primary, RedisStore)
    redis_store.close()

    for bad in ["", "sessions.db", "postgres://x/y", "sqlite://", "sqlite:///", "sqlite://rel.db", "memory://x"]:
        with pytest.raises(ValueError):
            open_store(bad, 30)
    with pytest.raises(ValueError):
        open_store("memory://", 0)
