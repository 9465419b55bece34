"""What one client is sent, in order: text and binary frames, then at most one close.

Bounded: a client that stops reading is abandoned rather than buffered without limit, and a
close that abandons it jumps the queue instead of waiting behind the backlog it gives up on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from app.protocol import CloseCode


@dataclass(frozen=True, slots=True)
class CloseFrame:
    code: CloseCode
    reason: str


class SendQueue:
    """A bounded FIFO of outgoing frames for one connection's single sender task."""

    def __init__(self, limit: int) -> None:
        """``limit``: frames held for a client before it counts as not reading."""
        self._items: deque[str | bytes] = deque()
        self._limit = limit
        self._close: CloseFrame | None = None
        self._wakeup = asyncio.Event()
        self.overflowed = False
        """Set when a frame was refused because the client stopped reading."""

    def __len__(self) -> int:
        return len(self._items)

    def put(self, data: str | bytes) -> bool:
        """Queue one frame; False if refused (closing, or full: then ``overflowed`` is set)."""
        if self._close is not None:
            return False
        if len(self._items) >= self._limit:
            self.overflowed = True
            return False
        self._items.append(data)
        self._wakeup.set()
        return True

    def close(self, code: CloseCode, reason: str, *, drop_backlog: bool = False) -> None:
        """Queue the close (the first one wins); ``drop_backlog`` discards the frames before it."""
        if self._close is None:
            self._close = CloseFrame(code, reason)
        if drop_backlog:
            self._items.clear()
        self._wakeup.set()

    async def get(self) -> str | bytes | CloseFrame:
        """The next frame, or the close once every frame before it is out."""
        while not self._items and self._close is None:
            self._wakeup.clear()
            await self._wakeup.wait()
        if self._items:
            return self._items.popleft()
        assert self._close is not None
        return self._close
