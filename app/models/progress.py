"""A minimal progress bar on stderr: label, percentage and MB, redrawn in place."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

_MB = 1_000_000


class Progress(Protocol):
    """What sources report to while copying one file."""

    def begin(self, label: str, total: int | None) -> None: ...
    def set_total(self, total: int | None) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def end(self) -> None: ...


class NullProgress:
    """Reports nothing (non-interactive runs, tests)."""

    def begin(self, label: str, total: int | None) -> None:
        pass

    def set_total(self, total: int | None) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def end(self) -> None:
        pass


class TerminalProgress:
    """``label  42.0%  31.7/75.5 MB`` rewritten with ``\\r``; at most ~10 redraws per second."""

    def __init__(self, stream: TextIO | None = None, min_interval_s: float = 0.1) -> None:
        self._stream = stream or sys.stderr
        self._min_interval_s = min_interval_s
        self._label = ""
        self._total: int | None = None
        self._done = 0
        self._last_draw = 0.0

    def begin(self, label: str, total: int | None) -> None:
        self._label, self._total, self._done, self._last_draw = label, total, 0, 0.0
        self._draw()

    def set_total(self, total: int | None) -> None:
        self._total = total

    def advance(self, nbytes: int) -> None:
        self._done += nbytes
        now = time.monotonic()
        if now - self._last_draw >= self._min_interval_s:
            self._last_draw = now
            self._draw()

    def end(self) -> None:
        self._draw()
        self._stream.write("\n")
        self._stream.flush()

    def _draw(self) -> None:
        done_mb = self._done / _MB
        if self._total:
            pct = min(100.0, 100.0 * self._done / self._total)
            text = f"{self._label}  {pct:5.1f}%  {done_mb:.1f}/{self._total / _MB:.1f} MB"
        else:
            text = f"{self._label}  {done_mb:.1f} MB"
        # \033[K clears what a longer previous line left behind.
        self._stream.write("\r" + text + "\033[K")
        self._stream.flush()

