"""The JSON form of a session record: what the SQLite and Redis stores keep."""

from __future__ import annotations

import json
from typing import Any

from app.chat import ChatMessage
from app.store.base import RECORD_FORMAT, CorruptRecord, SessionRecord, is_number


def encode_record(record: SessionRecord) -> str:
    """The record as compact ASCII JSON (non-ASCII text is escaped, so any str round-trips)."""
    return json.dumps(
        {
            "format": RECORD_FORMAT,
            "session_id": record.session_id,
            "version": record.version,
            "updated_at": record.updated_at,
            "settings": dict(record.settings),
            "history": [{"role": m.role, "content": m.content} for m in record.history],
            "timers": [dict(t) for t in record.timers],
        },
        separators=(",", ":"),
        allow_nan=False,
    )


def decode_record(data: str | bytes, *, session_id: str | None = None) -> SessionRecord:
    """Parse ``encode_record`` output; raise ``CorruptRecord`` on anything else.

    ``session_id``, if given, must match the id inside (the key the data was stored under)."""
    try:
        obj = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, TypeError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise CorruptRecord(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(obj, dict):
        raise CorruptRecord("not a JSON object")
    if obj.get("format") not in (1, RECORD_FORMAT) or isinstance(obj.get("format"), bool):
        raise CorruptRecord(f"unknown record format {obj.get('format')!r}")
    expected = {"format", "session_id", "version", "updated_at", "settings", "history"}
    if obj["format"] >= 2:
        expected.add("timers")  # format 1 (before timers) is read as a record without any
    if set(obj) != expected:
        raise CorruptRecord(f"unexpected fields: {sorted(set(obj) ^ expected)}")
    if session_id is not None and obj["session_id"] != session_id:
        raise CorruptRecord("stored session id does not match its key")
    version = obj["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise CorruptRecord("version is not an integer")
    if not is_number(obj["updated_at"]):
        raise CorruptRecord("updated_at is not a number")
    if not isinstance(obj["settings"], dict):
        raise CorruptRecord("settings is not an object")
    history = obj["history"]
    if not isinstance(history, list):
        raise CorruptRecord("history is not a list")
    messages: list[ChatMessage] = []
    for item in history:
        if (
            not isinstance(item, dict)
            or set(item) != {"role", "content"}
            or not isinstance(item["role"], str)
            or not isinstance(item["content"], str)
        ):
            raise CorruptRecord("history item is not {role: str, content: str}")
        messages.append(ChatMessage(item["role"], item["content"]))
    timers = obj.get("timers", [])
    if not isinstance(timers, list):
        raise CorruptRecord("timers is not a list")
    try:
        return SessionRecord(
            session_id=obj["session_id"],
            history=tuple(messages),
            settings=obj["settings"],
            updated_at=float(obj["updated_at"]),
            version=version,
            timers=tuple(timers),
        )
    except (ValueError, TypeError) as exc:  # InvalidSessionId is a ValueError
        raise CorruptRecord(f"invalid record: {type(exc).__name__}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")
