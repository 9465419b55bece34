"""Audio a client appends with turn detection off, held until it commits (or clears) it."""

from __future__ import annotations

import numpy as np

from app.audio import INPUT_FORMAT
from app.realtime.errors import RealtimeError

MAX_HELD_MS = 30_000
"""Audio held for a manual commit, at most: the node's longest utterance."""
MIN_COMMIT_MS = 100
"""Least audio a manual commit takes (OpenAI's rule)."""


class HeldAudio:
    """16 kHz int16 pieces in the order appended."""

    def __init__(self) -> None:
        self._pieces: list[np.ndarray] = []
        self._samples = 0

    def add(self, samples: np.ndarray) -> None:
        """Hold ``samples`` (RealtimeError past MAX_HELD_MS)."""
        if INPUT_FORMAT.samples_to_ms(self._samples + samples.shape[0]) > MAX_HELD_MS:
            raise RealtimeError("input_audio_buffer_full", f"at most {MAX_HELD_MS} ms of audio can wait for a commit "
                                "here", param="audio")
        self._pieces.append(samples)
        self._samples += samples.shape[0]

    def take(self) -> np.ndarray:
        """Everything held, now no longer held."""
        pieces, self._pieces, self._samples = self._pieces, [], 0
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)

    def take_for_commit(self, event_id: str | None) -> np.ndarray:
        """Everything held, for ``input_audio_buffer.commit`` (RealtimeError under MIN_COMMIT_MS)."""
        held = self.take()
        if INPUT_FORMAT.samples_to_ms(held.shape[0]) < MIN_COMMIT_MS:
            raise RealtimeError("input_audio_buffer_commit_empty", f"buffer too small: at least {MIN_COMMIT_MS} ms "
                                "of audio must be appended before a commit", event_id=event_id)
        return held
