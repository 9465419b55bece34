"""One benchmark session: a microphone that never stops, and a log of what the server sends.

The sender runs for the whole session on an absolute 20 ms schedule (so send jitter does not
accumulate) and sends the low noise floor whenever no clip is queued, like a real microphone
between utterances. Clips are queued into that stream; the send time of a chosen frame is
reported back, which is where the latency clock starts.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from dataclasses import dataclass

import numpy as np
from websockets.exceptions import ConnectionClosed

from app import protocol as p
from client.benchmark.accounting import (
    AUDIO,
    ERROR,
    REPLY_DONE,
    SPEECH_STARTED,
    SPEECH_STOPPED,
    TIMING,
    TRANSCRIPT,
    ClipOutcome,
    Event,
    attribute,
    is_settled,
)
from client.benchmark.clips import Clip
from client.benchmark.prompts import NOISE_DBFS, noise_floor
from client.benchmark.speech_end import FRAME_SAMPLES, SAMPLE_RATE
from client.connection import AudioIn, ClientSession

Mark = asyncio.Future[tuple[float, int]]
"""Resolves to (client monotonic send time in s, frame index in the session's stream)."""

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
"""Duration of one frame, in seconds (0.02)."""


@dataclass(frozen=True)
class PlayedClip:
    """A clip's outcome plus when its marks were sent (client monotonic seconds)."""

    outcome: ClipOutcome
    speech_end_t: float | None
    timed_out: bool
    connection_lost: bool


class BenchSession:
    """An open session streaming like a microphone; use :meth:`open`, then :meth:`play`, then :meth:`close`."""

    def __init__(self, session: ClientSession, seed: int) -> None:
        self.session = session
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        # Frames waiting to go out, each with the future to resolve once it is sent (or None).
        self._queue: collections.deque[tuple[np.ndarray, Mark | None]] = collections.deque()
        # A few seconds of noise floor, looped: cheap, and never digital silence.
        self._filler = noise_floor(FRAME_SAMPLES * 250, NOISE_DBFS, seed).reshape(-1, FRAME_SAMPLES)
        self._filler_i = 0
        self._closed = False
        self._sender = asyncio.create_task(self._send_loop(), name="bench-mic")
        self._receiver = asyncio.create_task(self._receive_loop(), name="bench-recv")

    @classmethod
    async def open(cls, url: str, *, pipeline: str, seed: int = 0) -> BenchSession:
        """Connect with the given pipeline ("fast" or "naive") and start streaming the noise floor."""
        session = await ClientSession.open(url, pipeline=pipeline, client="latency-benchmark")
        return cls(session, seed)

    @property
    def closed(self) -> bool:
        """True once the connection is gone."""
        return self._closed

    def _next_filler(self) -> np.ndarray:
        frame = self._filler[self._filler_i % self._filler.shape[0]]
        self._filler_i += 1
        return frame

    async def _send_loop(self) -> None:
        start = time.monotonic()
        sent = 0
        try:
            while not self._closed:
                frame, mark = self._queue.popleft() if self._queue else (self._next_filler(), None)
                t = time.monotonic()
                await self.session.send_audio(frame)
                if mark is not None and not mark.done():
                    mark.set_result((t, sent))  # send time (monotonic s), frame index in the stream
                sent += 1
                await asyncio.sleep(max(0.0, start + sent * FRAME_S - time.monotonic()))
        except ConnectionClosed:
            self._closed = True
            # Whoever waits on a mark learns now, instead of at its timeout.
            for _, mark in self._queue:
                if mark is not None and not mark.done():
                    mark.set_exception(ConnectionError("the server closed the connection"))
            self._changed.set()

    async def _receive_loop(self) -> None:
        try:
            async for message in self.session.events():
                self._record(message)
        finally:
            self._closed = True
            self._changed.set()

    def _record(self, m: p.Message | AudioIn) -> None:
        t = time.monotonic()
        if isinstance(m, AudioIn):
            event = Event(t, AUDIO, m.turn_id)
        elif isinstance(m, p.SpeechStarted):
            event = Event(t, SPEECH_STARTED)
        elif isinstance(m, p.SpeechStopped):
            event = Event(t, SPEECH_STOPPED, m.turn_id, at_ms=float(m.at_ms))
        elif isinstance(m, p.Transcript):
            event = Event(t, TRANSCRIPT, m.turn_id, m.text, replaces_turn=m.replaces_turn)
        elif isinstance(m, p.ReplyDone):
            event = Event(t, REPLY_DONE, m.turn_id, m.text, interrupted=m.interrupted)
        elif isinstance(m, p.TurnTiming):
            event = Event(t, TIMING, m.turn_id, stages={k: float(v) for k, v in m.stages.items()})
        elif isinstance(m, p.Error):
            event = Event(t, ERROR, m.turn_id, f"{m.code}: {m.message}")
        else:
            return  # reply_delta and the like carry nothing the accounting needs
        self.events.append(event)
        self._changed.set()

    async def silence(self, seconds: float) -> None:
        """Let ``seconds`` of noise floor go out (the sender keeps running on its own)."""
        await asyncio.sleep(seconds)

    async def play(self, clip: Clip, *, timeout_s: float) -> PlayedClip:
        """Queue ``clip`` into the stream and wait until its turn is settled or ``timeout_s`` passes."""
        loop = asyncio.get_running_loop()
        first = len(self.events)
        end_mark: Mark = loop.create_future()
        last_mark: Mark = loop.create_future()
        n_frames = -(-clip.samples.shape[0] // FRAME_SAMPLES)
        for i in range(n_frames):
            frame = clip.samples[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]
            if frame.shape[0] < FRAME_SAMPLES:  # the clip's last partial frame is topped up with floor
                frame = np.concatenate([frame, self._next_filler()[: FRAME_SAMPLES - frame.shape[0]]])
            mark = end_mark if i == clip.end_frame else last_mark if i == n_frames - 1 else None
            self._queue.append((frame.astype(np.int16, copy=False), mark))
        if clip.end_frame >= n_frames - 1:  # speech runs to the very last frame: one frame, two marks
            last_mark = end_mark
        deadline = loop.time() + timeout_s
        timed_out = False
        speech_end_t: float | None = None
        speech_end_stream_ms: float | None = None
        try:
            speech_end_t, end_index = await asyncio.wait_for(asyncio.shield(end_mark), timeout=timeout_s)
            speech_end_stream_ms = (end_index + 1) * FRAME_S * 1000.0
            clip_end_t, _ = await asyncio.wait_for(asyncio.shield(last_mark), timeout=max(0.0, deadline - loop.time()))
            while not self._closed:
                tail_s = time.monotonic() - clip_end_t
                if is_settled(self.events[first:], tail_s):
                    break
                self._changed.clear()
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError
                # Re-check at least every 100 ms: the tail grows without any message arriving.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout=min(0.1, remaining))
        except TimeoutError:
            timed_out = True
        except ConnectionError:
            pass  # the outcome below shows what was heard before the connection went away
        outcome = attribute(self.events[first:], speech_end_t, speech_end_stream_ms)
        return PlayedClip(outcome, speech_end_t, timed_out, self._closed)

    async def close(self) -> None:
        """Stop streaming and close the connection."""
        self._closed = True
        self._sender.cancel()
        await self.session.close()
        await asyncio.gather(self._sender, self._receiver, return_exceptions=True)
