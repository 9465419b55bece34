"""A fixed-size history of samples addressed by absolute timeline position (the echo reference and
the mic, as the echo suppressor reads them back)."""

from __future__ import annotations

import numpy as np


class SampleRing:
    """Samples by absolute position; unwritten or forgotten positions read as zeros."""

    def __init__(self, size: int) -> None:
        self._buf = np.zeros(size, dtype=np.float64)
        self._size = size
        self.end = 0
        """One past the highest position written."""

    def write(self, pos: int, samples: np.ndarray) -> None:
        """Store ``samples`` from position ``pos`` on (only the newest ``size`` of them fit)."""
        if samples.shape[0] == 0:
            return
        if samples.shape[0] > self._size:
            pos += samples.shape[0] - self._size
            samples = samples[-self._size :]
        if pos > self.end:  # a gap: clear it so stale data does not resurface
            gap_start = max(self.end, pos - self._size)
            self._put(gap_start, np.zeros(pos - gap_start))
        self._put(pos, samples)
        self.end = max(self.end, pos + samples.shape[0])

    def _put(self, pos: int, samples: np.ndarray) -> None:
        n = samples.shape[0]
        i = pos % self._size
        first = min(n, self._size - i)
        self._buf[i : i + first] = samples[:first]
        if first < n:
            self._buf[: n - first] = samples[first:]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Positions ``start``..``stop`` (exclusive); zeros where nothing (or nothing kept) was written."""
        out = np.zeros(stop - start)
        lo = max(start, self.end - self._size, 0)
        hi = min(stop, self.end)
        if hi > lo:
            i = lo % self._size
            n = hi - lo
            first = min(n, self._size - i)
            out[lo - start : lo - start + first] = self._buf[i : i + first]
            if first < n:
                out[lo - start + first : hi - start] = self._buf[: n - first]
        return out
