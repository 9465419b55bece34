"""Reply audio at the reply's rate converted to what the output device plays (streaming soxr)."""

from __future__ import annotations

import numpy as np
import soxr


class PlaybackResampler:
    """Reply-rate int16 -> device-rate float32, one soxr stream per turn (flushed at its end)."""

    def __init__(self, reply_rate: int, device_rate: int) -> None:
        self.reply_rate = reply_rate
        self.device_rate = device_rate
        self._streams: dict[int, soxr.ResampleStream] = {}

    def convert(self, turn_id: int, samples: np.ndarray) -> np.ndarray:
        """``samples`` of ``turn_id`` (int16 or float) as float32 at the device rate."""
        x = samples.astype(np.float32) / 32768.0 if samples.dtype == np.int16 else samples.astype(np.float32)
        if self.reply_rate == self.device_rate:
            return x
        stream = self._streams.get(turn_id)
        if stream is None:
            stream = self._streams[turn_id] = soxr.ResampleStream(self.reply_rate, self.device_rate, 1, dtype="float32")
        return stream.resample_chunk(x)

    def finish(self, turn_id: int) -> np.ndarray:
        """The resampler's tail for ``turn_id`` (it holds back a few ms until the end)."""
        stream = self._streams.pop(turn_id, None)
        if stream is None:
            return np.zeros(0, dtype=np.float32)
        return stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)

    def drop(self, turn_id: int) -> None:
        """Forget ``turn_id``'s stream and what it held back (the turn was stopped)."""
        self._streams.pop(turn_id, None)

    def reset(self) -> None:
        """Forget every turn's stream (a new connection numbers its turns from the start again)."""
        self._streams.clear()
