"""One benchmark session: a microphone that never stops, and a log of what the server sends.

The sender runs for the whole session on an absolute 20 ms schedule (so send jitter does not
accumulate) and sends the session's noise whenever no clip is queued, like a real microphone
between utterances; with ``mix_noise`` the same continuous noise is also added under the clips.
Clips are queued into that stream; the send times of chosen frames (the clip's acoustic start,
its webrtcvad end, its acoustic end, its last frame) are reported back.

Frames go out at real-time pace, so a frame's send time is when its last sample has been
"spoken". The latency clock starts at the acoustic end: the send time of the frame holding it
minus the part of that frame after it (never later than the sound really stopped).
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
from client.benchmark.noise import NoiseStream, mix
from client.benchmark.prompts import NOISE_DBFS, noise_floor
from client.benchmark.realtime_link import RealtimeLink
from client.benchmark.speech_end import FRAME_SAMPLES, SAMPLE_RATE
from client.connection import AudioIn, ClientSession

Mark = asyncio.Future[tuple[float, int]]
"""Resolves to (client monotonic send time in s, frame index in the session's stream)."""

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
"""Duration of one frame, in seconds (0.02)."""


HISTORY_TIMEOUT_S = 5.0
"""Longest wait for the answer to ``get_history``, in seconds."""


@dataclass(frozen=True)
class PlayedClip:
    """A clip's outcome plus when its marks were sent (client monotonic seconds)."""

    outcome: ClipOutcome
    speech_end_t: float | None
    """Send time of the frame holding the webrtcvad end."""
    timed_out: bool
    connection_lost: bool
    acoustic_end_t: float | None = None
    """The latency clock's start: when the acoustic end was "spoken" (see the module docstring)."""
    onset_t: float | None = None
    """When the clip's acoustic start was "spoken"."""
    first_event: int = 0
    """Index in the session's event log of the first event after the clip was queued."""


class BenchSession:
    """An open session streaming like a microphone; use :meth:`open`, then :meth:`play`, then :meth:`close`."""

    def __init__(self, session: ClientSession | RealtimeLink, seed: int, *, noise: NoiseStream | None = None,
                 mix_noise: bool = False) -> None:
        """``noise``: the session's continuous noise (default: 5 s of the -60 dBFS white floor,
        looped); ``mix_noise``: also add it under the clips, not only between them."""
        self.session = session
        self.events: list[Event] = []
        self.history: list[dict[str, str]] | None = None
        """The last ``history`` answer (see :meth:`fetch_history`)."""
        self._history_came = asyncio.Event()
        self._changed = asyncio.Event()
        # Frames waiting to go out, each with the futures to resolve once it is sent.
        self._queue: collections.deque[tuple[np.ndarray, tuple[Mark, ...]]] = collections.deque()
        self._in_flight: tuple[Mark, ...] = ()
        self._noise = noise or NoiseStream(noise_floor(FRAME_SAMPLES * 250, NOISE_DBFS, seed))
        self._mix = mix_noise
        self._closed = False
        self._sender = asyncio.create_task(self._send_loop(), name="bench-mic")
        self._receiver = asyncio.create_task(self._receive_loop(), name="bench-recv")

    @classmethod
    async def open(cls, url: str, *, pipeline: str, seed: int = 0, noise: NoiseStream | None = None,
                   mix_noise: bool = False, protocol: str = "native") -> BenchSession:
        """Connect with the given pipeline ("fast" or "naive") over ``protocol`` ("native", or
        "realtime": ``/v1/realtime`` of the same node, which runs the fast pipeline) and start
        streaming the noise."""
        if protocol == "realtime":
            link: ClientSession | RealtimeLink = await RealtimeLink.open(url)
        else:
            link = await ClientSession.open(url, pipeline=pipeline, client="latency-benchmark")
        return cls(link, seed, noise=noise, mix_noise=mix_noise)

    @property
    def closed(self) -> bool:
        """True once the connection is gone."""
        return self._closed

    def _next_frame(self) -> tuple[np.ndarray, tuple[Mark, ...]]:
        if not self._queue:
            return self._noise.take(FRAME_SAMPLES), ()
        frame, marks = self._queue.popleft()
        return (mix(frame, self._noise.take(FRAME_SAMPLES)) if self._mix else frame), marks

    async def _send_loop(self) -> None:
        start = time.monotonic()
        sent = 0
        try:
            while not self._closed:
                frame, self._in_flight = self._next_frame()
                t = time.monotonic()
                await self.session.send_audio(frame)
                for mark in self._in_flight:
                    if not mark.done():
                        mark.set_result((t, sent))  # send time (monotonic s), frame index in the stream
                self._in_flight = ()
                sent += 1
                await asyncio.sleep(max(0.0, start + sent * FRAME_S - time.monotonic()))
        except ConnectionClosed:
            self._closed = True
            # Whoever waits on a mark learns now, instead of at its timeout.
            for mark in [*self._in_flight, *(m for _, marks in self._queue for m in marks)]:
                if not mark.done():
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
        elif isinstance(m, p.History):
            self.history = [dict(message) for message in m.messages]
            self._history_came.set()
            return
        else:
            return  # reply_delta and the like carry nothing the accounting needs
        self.events.append(event)
        self._changed.set()

    async def silence(self, seconds: float) -> None:
        """Let ``seconds`` of noise floor go out (the sender keeps running on its own)."""
        await asyncio.sleep(seconds)

    async def fetch_history(self, timeout_s: float = HISTORY_TIMEOUT_S) -> list[dict[str, str]] | None:
        """Ask for the stored conversation (``get_history``); None when no answer came in time (or
        the protocol has no way to ask)."""
        if self._closed or not getattr(self.session, "has_history", True):
            return None
        self._history_came.clear()
        try:
            await self.session.send(p.GetHistory())
            await asyncio.wait_for(self._history_came.wait(), timeout=timeout_s)
        except (ConnectionClosed, TimeoutError):
            return None
        return self.history

    def _queue_clip(self, clip: Clip, marks: dict[str, Mark]) -> None:
        """Queue the clip's frames; ``marks`` are resolved when the frame they point at is sent."""
        n_frames = -(-clip.samples.shape[0] // FRAME_SAMPLES)
        at = {"onset": clip.onset_frame, "vad_end": clip.end_frame, "acoustic_end": clip.acoustic_end_frame,
              "last": n_frames - 1}
        by_frame: dict[int, list[Mark]] = collections.defaultdict(list)
        for name, index in at.items():
            by_frame[min(index, n_frames - 1)].append(marks[name])
        for i in range(n_frames):
            frame = clip.samples[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]
            if frame.shape[0] < FRAME_SAMPLES:  # the clip's last partial frame is topped up with noise
                pad = np.zeros(FRAME_SAMPLES - frame.shape[0], dtype=np.int16) if self._mix else \
                    self._noise.take(FRAME_SAMPLES - frame.shape[0])
                frame = np.concatenate([frame, pad])
            self._queue.append((frame.astype(np.int16, copy=False), tuple(by_frame.get(i, ()))))

    async def play(self, clip: Clip, *, timeout_s: float) -> PlayedClip:
        """Queue ``clip`` into the stream and wait until its turn is settled or ``timeout_s`` passes."""
        loop = asyncio.get_running_loop()
        first = len(self.events)
        marks: dict[str, Mark] = {name: loop.create_future() for name in ("onset", "vad_end", "acoustic_end", "last")}
        self._queue_clip(clip, marks)
        deadline = loop.time() + timeout_s
        timed_out = False
        try:
            clip_end_t, _ = await asyncio.wait_for(asyncio.shield(marks["last"]), timeout=timeout_s)
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
        sent = {name: m.result() for name, m in marks.items() if m.done() and m.exception() is None}
        speech_end_t, end_index = sent.get("vad_end", (None, None))
        speech_end_stream_ms = (end_index + 1) * FRAME_S * 1000.0 if end_index is not None else None
        acoustic_end_t = acoustic_end_stream_ms = None
        if "acoustic_end" in sent:
            acoustic_end_t = sent["acoustic_end"][0] - clip.acoustic_end_tail_s
            acoustic_end_stream_ms = ((sent["acoustic_end"][1] + 1) * FRAME_S - clip.acoustic_end_tail_s) * 1000.0
        onset_t = sent["onset"][0] - clip.onset_tail_s if "onset" in sent else None
        outcome = attribute(self.events[first:], speech_end_t, speech_end_stream_ms, acoustic_end_t=acoustic_end_t,
                            acoustic_end_stream_ms=acoustic_end_stream_ms)
        return PlayedClip(outcome, speech_end_t, timed_out, self._closed, acoustic_end_t=acoustic_end_t,
                          onset_t=onset_t, first_event=first)

    async def close(self) -> None:
        """Stop streaming and close the connection."""
        self._closed = True
        self._sender.cancel()
        await self.session.close()
        await asyncio.gather(self._sender, self._receiver, return_exceptions=True)
