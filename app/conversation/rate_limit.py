"""A token bucket: how a client is held to an average rate with room for a burst."""

from __future__ import annotations


class TokenBucket:
    """``rate`` tokens per second on average, at most ``burst`` at once; time in monotonic seconds."""

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._at: float | None = None

    def take(self, now: float) -> bool:
        """Spend one token at ``now``; False when the bucket is empty (the caller refuses)."""
        if self._at is not None:
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
