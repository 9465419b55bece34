"""``--input-wav``/``--output-wav``: play a recording into the server as if it were the microphone."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app import protocol as p
from client.audio_files import read_mono, write_wav
from client.connection import AudioIn, ClientSession, SendClock

log = logging.getLogger(__name__)

FRAME = 320
"""20 ms at 16 kHz, the frame size a microphone client sends."""


@dataclass
class FileRunResult:
    """What one file-mode run heard back."""

    transcripts: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    """Replies that completed (interrupted or withdrawn ones are left out)."""
    timings: list[dict[str, float]] = field(default_factory=list)
    e2e_ms: list[float] = field(default_factory=list)
    """Per answered turn: from sending the turn's last voiced frame to its first reply audio (ms)."""
    audio: list[np.ndarray] = field(default_factory=list)
    errors: list[p.Error] = field(default_factory=list)
    output_rate: int = 0
    heard_speech: bool = False
    """The node's VAD heard speech at least once."""

    @property
    def reply_audio(self) -> np.ndarray:
        return np.concatenate(self.audio) if self.audio else np.zeros(0, dtype=np.int16)

    def problem(self, input_path: Path) -> str | None:
        """Why the run got no reply, in one line (None when it got one)."""
        if self.replies:
            return None
        if not self.heard_speech:
            return f"no speech found in {input_path}"
        if not any(self.transcripts):
            return f"nothing intelligible heard in {input_path}"
        return "no reply" + (" (see the errors above)" if self.errors else "")


def format_timing(stages: dict[str, float], e2e_ms: float | None) -> str:
    """One ``timing:`` line: the end-to-end figure first, ``*_ms`` stages in ms, the rest
    (``turn_p_complete``, ``words_p_end``) as the probabilities they are."""
    parts = [f"end_to_end={e2e_ms:.0f}ms" if e2e_ms is not None else "end_to_end=n/a"]
    for key, value in sorted(stages.items()):
        if key.endswith("_ms"):
            parts.append(f"{key.removesuffix('_ms')}={value:.0f}ms")
        else:
            parts.append(f"{key}={value:.2f}")
    return "timing: " + ", ".join(parts)


async def run_file(url: str, input_path: Path, *, output_path: Path | None = None, timeout_s: float = 120.0,
                   pipeline: str = "fast", trailing_silence_s: float = 1.5, quiet_s: float = 2.0,
                   echo=print) -> FileRunResult:
    """Stream ``input_path`` at real-time pace, then silence, until every turn's reply is done.

    When nothing was answered, it ends ``quiet_s`` s after the recording and its trailing
    silence once no turn is open (see :meth:`FileRunResult.problem`). Raises NoNode when nothing
    answers at ``url``, TimeoutError when the replies are not complete within ``timeout_s`` s.
    """
    speech = read_mono(input_path, 16_000)
    session = await ClientSession.open(url, pipeline=pipeline)
    result = FileRunResult(output_rate=session.output_rate)
    clock = SendClock()
    stops: dict[int, float | None] = {}
    """Send time of each turn's last voiced frame, by turn id."""
    first_audio: dict[int, float] = {}
    pending_turns: set[int] = set()
    speaking = False
    last_event = time.monotonic()
    stream_done = asyncio.Event()
    settled = asyncio.Event()

    def check_settled(now: float) -> None:
        if not stream_done.is_set() or pending_turns or speaking:
            return
        if result.replies or now - last_event >= quiet_s:
            settled.set()

    async def stream() -> None:
        nonlocal last_event
        padded = np.concatenate([speech, np.zeros(int(trailing_silence_s * 16_000), dtype=np.int16)])
        start = time.monotonic()
        sent = 0
        silence = np.zeros(FRAME, dtype=np.int16)
        # Real-time pace against an absolute schedule, so send jitter does not accumulate.
        while not settled.is_set():
            chunk = padded[sent : sent + FRAME] if sent < padded.shape[0] else silence
            if chunk.shape[0] < FRAME:
                chunk = np.concatenate([chunk, silence[: FRAME - chunk.shape[0]]])
            await session.send_audio(chunk)
            now = time.monotonic()
            clock.record(now)
            sent += FRAME
            if sent >= padded.shape[0] and not stream_done.is_set():
                stream_done.set()
                last_event = max(last_event, now)
            check_settled(now)
            await asyncio.sleep(max(0.0, start + sent / 16_000 - time.monotonic()))

    async def receive() -> None:
        nonlocal speaking, last_event
        async for event in session.events():
            now = last_event = time.monotonic()
            if isinstance(event, AudioIn):
                result.audio.append(event.samples)
                first_audio.setdefault(event.turn_id, now)
            elif isinstance(event, p.SpeechStarted):
                speaking = result.heard_speech = True
            elif isinstance(event, p.SpeechStopped):
                speaking = False
                pending_turns.add(event.turn_id)
                stops[event.turn_id] = clock.sent_time(event.at_ms)
            elif isinstance(event, p.Transcript):
                result.transcripts.append(event.text)
                echo(f"you: {event.text}" if event.text else "(nothing intelligible heard)")
                if not event.text:
                    pending_turns.discard(event.turn_id)
            elif isinstance(event, p.ReplyDone):
                if not event.interrupted:
                    result.replies.append(event.text)
                    echo(f"assistant: {event.text}")
                else:
                    # Withdrawn (the user went on: a merged turn) or cut short; no timing follows.
                    if event.text:
                        echo(f"assistant (cut short): {event.text}")
                    pending_turns.discard(event.turn_id)
            elif isinstance(event, p.TurnTiming):
                stop, heard = stops.get(event.turn_id), first_audio.get(event.turn_id)
                e2e = 1000.0 * (heard - stop) if stop is not None and heard is not None else None
                result.timings.append(event.stages)
                if e2e is not None:
                    result.e2e_ms.append(e2e)
                echo(format_timing(event.stages, e2e))
                pending_turns.discard(event.turn_id)
            elif isinstance(event, p.Error):
                result.errors.append(event)
                echo(f"error: {event.code}: {event.message}")
                pending_turns.discard(event.turn_id or -1)
            check_settled(now)

    sender = asyncio.create_task(stream())
    receiver = asyncio.create_task(receive())
    waiter = asyncio.create_task(settled.wait())
    try:
        done, _ = await asyncio.wait([waiter, receiver], timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        if not done:
            raise TimeoutError(f"no complete reply within {timeout_s:g} s")
        if waiter not in done:
            failure = receiver.exception()
            why = f": {failure}" if failure is not None else ""
            raise ConnectionError(f"the node closed the connection before the reply was complete{why}")
    finally:
        sender.cancel()
        waiter.cancel()
        await session.close()
        await asyncio.gather(sender, receiver, waiter, return_exceptions=True)
    if output_path is not None:
        write_wav(output_path, result.reply_audio, result.output_rate)
    return result
