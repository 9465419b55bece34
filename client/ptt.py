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


def watch_enter(on_enter: Callable[[], None], stream: TextIO | None = None) -> threading.Thread:
    """Call ``on_enter`` (from a daemon thread) for each line typed; stops at end of input."""
    source = stream or sys.stdin

    def loop() -> None:
        for _ in iter(source.readline, ""):
            on_enter()

    thread = threading.Thread(target=loop, name="ptt-keys", daemon=True)
    thread.start()
    return thread
