"""Push-to-talk: Enter toggles talking. While not talking the mic is replaced by silence (the
server needs a continuous stream); releasing sends ``commit`` so the turn ends at once."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TextIO

import numpy as np


class PushToTalk:
    """The talk toggle. ``gate`` decides what a mic frame becomes; ``toggle`` reports what changed."""

    def __init__(self) -> None:
        self.talking = False

    def toggle(self) -> bool:
        """Flip; returns True when talking started, False when it stopped (commit due)."""
        self.talking = not self.talking
        return self.talking

    def gate(self, frame: np.ndarray) -> np.ndarray:
        return frame if self.talking else np.zeros_like(frame)


class KeyWatch(threading.Thread):
    """The daemon thread that reads Enter presses. A blocking ``readline`` cannot be stopped, so
    ``stop`` lets go of the callback: the thread then holds nothing of the client until exit."""

    def __init__(self, on_enter: Callable[[], None], source: TextIO) -> None:
        super().__init__(name="ptt-keys", daemon=True)
        self._on_enter: Callable[[], None] | None = on_enter
        self._source = source

    def run(self) -> None:
        for _ in iter(self._source.readline, ""):
            callback = self._on_enter
            if callback is None:
                return
            callback()

    def stop(self) -> None:
        self._on_enter = None


def watch_enter(on_enter: Callable[[], None], stream: TextIO | None = None) -> KeyWatch:
    """Call ``on_enter`` (from a daemon thread) for each line typed, until end of input or ``stop()``."""
    thread = KeyWatch(on_enter, stream or sys.stdin)
    thread.start()
    return thread
