"""Logging set-up. Privacy rule: no audio and no transcript or reply text above DEBUG."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any


class SessionLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes every record with the session's short id, so one conversation can be followed."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return f"[{self.extra['session'] if self.extra else '-'}] {msg}", kwargs


def configure(level: str) -> None:
    """Configure the root logger once, for the server process."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # websockets logs every handshake failure at INFO with tracebacks; keep it quieter.
    logging.getLogger("websockets").setLevel(max(logging.WARNING, logging.getLogger().level))
    # faster-whisper logs every call at INFO (durations only, but per turn): keep it at DEBUG.
    logging.getLogger("faster_whisper").setLevel(max(logging.WARNING, logging.getLogger().level))
