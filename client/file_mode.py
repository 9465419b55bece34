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
from client.connection import AudioIn, ClientSession

log = logging.getLogger(__name__)

FRAME = 320
"""20 ms at 16 kHz, the frame size a microphone client sends."""


@dataclass
class FileRunResult:
    """What one file-mode run heard back."""

    transcripts: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    timings: list[dict[str, float]] = field(default_factory=list)
    audio: list[np.ndarray] = field(default_factory=list)
    errors: list[p.Error] = field(default_factory=list)
    output_rate: int = 0

    @property
    def reply_audio(self) -> np.ndarray:
        return np.concatenate(self.audio) if self.audio else np.zeros(0, dtype=np.int16)


async def run_file(url: str, input_path: Path, *, output_path: Path | None = None, timeout_s: float = 120.0,
                   pipeline: str = "fast", trailing_silence_s: float = 1.5, echo=print) -> FileRunResult:
    """Stream ``input_path`` at real-time pace, then silence, until every turn's reply is done."""
    speech = read_mono(input_path, 16_000)
    session = await ClientSession.open(url, pipeline=pipeline)
    result = FileRunResult(output_rate=session.output_rate)
    pending_turns: set[int] = set()
    speaking = False
    stream_done = asyncio.Event()
    settled = asyncio.Event()

    def check_settled() -> None:
        if stream_done.is_set() and not pending_turns and not speaking and result.replies:
            settled.set()

    async def stream() -> None:
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
            sent += FRAME
            if sent >= padded.shape[0] and not stream_done.is_set():
                stream_done.set()
                check_settled()
            await asyncio.sleep(max(0.0, start + sent / 16_000 - time.monotonic()))

    async def receive() -> None:
        nonlocal speaking
        async for event in session.events():
            if isinstance(event, AudioIn):
                result.audio.append(event.samples)
            elif isinstance(event, p.SpeechStarted):
                speaking = True
            elif isinstance(event, p.SpeechStopped):
                speaking = False
                pending_turns.add(event.turn_id)
            elif isinstance(event, p.Transcript):
                result.transcripts.append(event.text)
                echo(f"you: {event.text}" if event.text else "(nothing intelligible heard)")
                if not event.text:
                    pending_turns.discard(event.turn_id)
            elif isinstance(event, p.ReplyDone):
                result.replies.append(event.text)
                echo(f"assistant: {event.text}")
                pending_turns.discard(event.turn_id)
            elif isinstance(event, p.TurnTiming):
                result.timings.append(event.stages)
                echo("timing: " + ", ".join(f"{k}={v:.0f}ms" for k, v in sorted(event.stages.items())))
            elif isinstance(event, p.Error):
                result.errors.append(event)
                echo(f"error: {event.code}: {event.message}")
                pending_turns.discard(event.turn_id or -1)
            check_settled()

    sender = asyncio.create_task(stream())
    receiver = asyncio.create_task(receive())
    try:
        await asyncio.wait_for(settled.wait(), timeout=timeout_s)
    finally:
        sender.cancel()
        await session.close()
        await asyncio.gather(sender, receiver, return_exceptions=True)
    if output_path is not None:
        write_wav(output_path, result.reply_audio, result.output_rate)
    return result
