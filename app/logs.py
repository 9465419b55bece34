"""Logging set-up. Privacy rule: no audio and no transcript or reply text above DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from typing import Any


class SessionLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes every record with the session's short id and attaches it for JSON logs."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        session = self.extra["session"] if self.extra else "-"
        kwargs.setdefault("extra", {})["session"] = session
        return f"[{session}] {msg}", kwargs


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        session = getattr(record, "session", None)
        if session is not None:
            entry["session"] = session
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, fmt: str = "text") -> None:
    """Configure the root logger once, for the server process (``fmt``: "text" or "json")."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet = max(logging.WARNING, root.level)
    # websockets logs every failed handshake at INFO with a traceback, and faster-whisper logs
    # every call: keep both at WARNING unless debugging.
    logging.getLogger("websockets").setLevel(quiet)
    logging.getLogger("faster_whisper").setLevel(quiet)
