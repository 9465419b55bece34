"""A playback jitter buffer for reply audio, pulled by the PortAudio output callback.

Audio arrives from the network in bursts; the output callback needs exactly ``n`` samples every few
milliseconds. The buffer starts a turn's playback only once ``prebuffer`` samples are queued (or the
turn's stream has ended), plays silence on an underrun, with a short fade so there is no click, and
counts it. It also counts, per turn, the samples actually handed to the device: that is what a
barge-in reports as ``played_ms``.

All methods are thread-safe; ``pull`` is meant for the real-time audio thread and never blocks for
long (one short lock, no allocation beyond the output block).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class PlaybackEvent:
    """Something the output callback did that the UI and the barge-in logic care about."""

    kind: str
    """"started" (first sample of a turn played), "finished" (last sample of an ended turn played),
    "underrun" (the queue ran dry mid-turn)."""
    turn_id: int
    played_samples: int


class JitterBuffer:
    """Thread-safe FIFO of float32 samples at the output device's rate, tagged by turn."""

    def __init__(self, sample_rate: int, *, prebuffer_ms: float = 100.0, fade_ms: float = 5.0) -> None:
        self.sample_rate = sample_rate
        self.prebuffer = max(1, int(sample_rate * prebuffer_ms / 1000))
        self._need = self.prebuffer
        """Samples to queue before (re)starting: the prebuffer, doubled after each underrun of a
        turn (up to four times), so a slow stream stutters once rather than constantly."""
        self._fade = max(1, int(sample_rate * fade_ms / 1000))
        self._chunks: deque[tuple[int, np.ndarray]] = deque()
        self._queued = 0
        self._ended: set[int] = set()
        self._playing = False
        self._fade_in = 0
        """Samples of fade-in still to apply (after a prebuffer wait)."""
        self._tail = np.zeros(0, dtype=np.float32)
        """A fade-out still to play (after a flush or underrun)."""
        self._last = 0.0
        self._current: int | None = None
        self._played: dict[int, int] = {}
        self._started: set[int] = set()
        self._finished: set[int] = set()
        self._lock = threading.Lock()
        self.events: deque[PlaybackEvent] = deque()
        """Drained by the orchestrator; appended by ``pull``."""
        self.underruns = 0
        self.total_played = 0
        self.paused = False
        """Held: the queue is kept but silence plays (a barge-in is being confirmed)."""

    # ---------------------------------------------------------------- producer side

    def push(self, turn_id: int, samples: np.ndarray) -> None:
        """Queue reply audio (float32 in [-1, 1] or int16) of ``turn_id``."""
        if samples.dtype == np.int16:
            samples = samples.astype(np.float32) / 32768.0
        if samples.shape[0] == 0:
            return
        with self._lock:
            self._chunks.append((turn_id, samples.astype(np.float32, copy=False)))
            self._queued += samples.shape[0]

    def end_turn(self, turn_id: int) -> None:
        """No more audio will come for ``turn_id``: play out what is queued without waiting."""
        with self._lock:
            self._ended.add(turn_id)
            if turn_id in self._started and not any(t == turn_id for t, _ in self._chunks):
                self._finish_locked(turn_id)  # it already played out (or underran) completely

    def flush(self, turn_id: int | None = None) -> int:
        """Drop queued audio (of ``turn_id`` only, or all) with a short fade-out; returns samples dropped."""
        with self._lock:
            dropped = 0
            kept: deque[tuple[int, np.ndarray]] = deque()
            tail: list[np.ndarray] = []
            tail_left = self._fade if self._playing and not self.paused else 0  # paused: already faded
            for tid, chunk in self._chunks:
                if turn_id is not None and tid != turn_id:
                    kept.append((tid, chunk))
                    continue
                if tid == self._current and tail_left > 0:
                    take = chunk[:tail_left]
                    tail.append(take)
                    tail_left -= take.shape[0]
                    self._played[tid] = self._played.get(tid, 0) + take.shape[0]
                    dropped += chunk.shape[0] - take.shape[0]
                else:
                    dropped += chunk.shape[0]
            if tail:
                t = np.concatenate(tail)
                self._tail = t * np.linspace(1.0, 0.0, t.shape[0], dtype=np.float32)
            elif self._playing and not self.paused:
                self._tail = self._ramp_from_last()
            self._chunks = kept
            self._queued = sum(c.shape[0] for _, c in kept)
            if turn_id is None or turn_id == self._current:
                self._playing = False
                self._current = None
            self.paused = False
            return dropped

    def reset(self) -> None:
        """Drop all queued audio (with a fade-out) and forget every turn: a new connection numbers
        its turns from the start again, and they must start, end and count afresh. Keeps the
        underrun and played totals."""
        self.flush()
        with self._lock:
            self._ended.clear()
            self._started.clear()
            self._finished.clear()
            self._played.clear()
            self._need = self.prebuffer
            self.events.clear()

    def pause(self) -> None:
        """Hold playback (fading out) without dropping anything; ``resume`` continues seamlessly."""
        with self._lock:
            if self.paused:
                return
            self.paused = True
            if self._playing:
                take, count = self._take_locked(self._fade)
                if count:
                    self._tail = take * np.linspace(1.0, 0.0, take.shape[0], dtype=np.float32)
                else:
                    self._tail = self._ramp_from_last()

    def resume(self) -> None:
        """Continue after ``pause`` (with a short fade-in)."""
        with self._lock:
            if self.paused:
                self.paused = False
                self._fade_in = self._fade

    def _take_locked(self, n: int) -> tuple[np.ndarray, int]:
        """Remove up to ``n`` samples of the current turn from the queue (counted as played)."""
        parts: list[np.ndarray] = []
        count = 0
        while count < n and self._chunks and (self._current is None or self._chunks[0][0] == self._current):
            turn_id, head = self._chunks[0]
            take = min(n - count, head.shape[0])
            parts.append(head[:take])
            count += take
            self._played[turn_id] = self._played.get(turn_id, 0) + take
            self._queued -= take
            if take == head.shape[0]:
                self._chunks.popleft()
            else:
                self._chunks[0] = (turn_id, head[take:])
        return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)), count

    # ---------------------------------------------------------------- consumer side (audio thread)

    def pull(self, n: int) -> np.ndarray:
        """Exactly ``n`` float32 samples: reply audio when available, otherwise (faded) silence."""
        out = np.zeros(n, dtype=np.float32)
        with self._lock:
            filled = 0
            if self._tail.shape[0]:  # a fade-out from a flush or an underrun
                filled = min(n, self._tail.shape[0])
                out[:filled] = self._tail[:filled]
                self._tail = self._tail[filled:]
            if self.paused:
                self._last = float(out[filled - 1]) if filled else 0.0
                return out
            if not self._playing and self._chunks:
                head_turn = self._chunks[0][0]
                if head_turn not in self._started:
                    self._need = self.prebuffer  # a new turn starts with the normal prebuffer
                if self._queued >= self._need or head_turn in self._ended:
                    self._playing = True
                    self._fade_in = self._fade
            if not self._playing:
                self._last = float(out[filled - 1]) if filled else 0.0
                return out
            start = filled
            while filled < n and self._chunks:
                turn_id, head = self._chunks[0]
                self._current = turn_id
                if turn_id not in self._started:
                    self._started.add(turn_id)
                    self.events.append(PlaybackEvent("started", turn_id, self._played.get(turn_id, 0)))
                take = min(n - filled, head.shape[0])
                out[filled : filled + take] = head[:take]
                filled += take
                self._played[turn_id] = self._played.get(turn_id, 0) + take
                self._queued -= take
                if take < head.shape[0]:
                    self._chunks[0] = (turn_id, head[take:])
                    continue
                self._chunks.popleft()
                if turn_id in self._ended and not any(t == turn_id for t, _ in self._chunks):
                    self._finish_locked(turn_id)
                    break  # the next turn (if any) waits for its own prebuffer
            got = filled - start
            self.total_played += got
            if self._fade_in and got:
                k = min(self._fade_in, got)
                done = self._fade - self._fade_in
                out[start : start + k] *= (np.arange(done, done + k, dtype=np.float32) + 1.0) / self._fade
                self._fade_in -= k
            if self._playing and filled < n:
                # Ran dry before the turn ended: an underrun. Fade out, play silence, and wait for
                # the prebuffer again before resuming.
                self.underruns += 1
                self._playing = False
                self._need = min(2 * self._need, 4 * self.prebuffer)
                turn = self._current if self._current is not None else 0
                self.events.append(PlaybackEvent("underrun", turn, self._played.get(turn, 0)))
                if got >= self._fade:
                    out[filled - self._fade : filled] *= np.linspace(1.0, 0.0, self._fade, dtype=np.float32)
                else:
                    self._last = float(out[filled - 1]) if filled else self._last
                    ramp = self._ramp_from_last()
                    m = min(ramp.shape[0], n - filled)
                    out[filled : filled + m] = ramp[:m]
                    self._tail = ramp[m:]
                    filled += m
            self._last = float(out[filled - 1]) if filled else 0.0
        return out

    def _ramp_from_last(self) -> np.ndarray:
        """A fade from the last output sample to zero (no step, so no click)."""
        if abs(self._last) < 1e-6:
            return np.zeros(0, dtype=np.float32)
        return (self._last * np.linspace(1.0, 0.0, self._fade + 1, dtype=np.float32)[1:]).astype(np.float32)

    def _finish_locked(self, turn_id: int) -> None:
        self._playing = False
        if turn_id not in self._finished:
            self._finished.add(turn_id)
            self.events.append(PlaybackEvent("finished", turn_id, self._played.get(turn_id, 0)))
        if self._current == turn_id:
            self._current = None

    # ---------------------------------------------------------------- queries

    def played_samples(self, turn_id: int) -> int:
        with self._lock:
            return self._played.get(turn_id, 0)

    def played_ms(self, turn_id: int) -> float:
        return 1000.0 * self.played_samples(turn_id) / self.sample_rate

    @property
    def queued_samples(self) -> int:
        with self._lock:
            return self._queued

    @property
    def active_turn(self) -> int | None:
        """The turn being played or waiting to play, if any."""
        with self._lock:
            if self._current is not None:
                return self._current
            return self._chunks[0][0] if self._chunks else None

    @property
    def busy(self) -> bool:
        """Audio is playing or queued (including a fade-out still sounding)."""
        with self._lock:
            return self._playing or bool(self._chunks) or bool(self._tail.shape[0])
