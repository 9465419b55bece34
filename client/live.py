"""Live mode: microphone in, speakers out, through sounddevice (PortAudio).

This is the minimal hands-on client; it plays replies through a small jitter buffer.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from pathlib import Path

import numpy as np
import soxr

from app import protocol as p
from client.audio_files import write_wav
from client.connection import AudioIn, ClientSession

FRAME = 320


class JitterBuffer:
    """Thread-safe FIFO of int16 samples; playback starts after ``prebuffer`` samples are queued."""

    def __init__(self, prebuffer: int) -> None:
        self._prebuffer = prebuffer
        self._chunks: deque[np.ndarray] = deque()
        self._queued = 0
        self._playing = False
        self._lock = threading.Lock()
        self.underruns = 0
        self.played = 0

    def push(self, samples: np.ndarray) -> None:
        with self._lock:
            self._chunks.append(samples)
            self._queued += samples.shape[0]

    def flush(self) -> None:
        with self._lock:
            self._chunks.clear()
            self._queued = 0
            self._playing = False

    def pull(self, n: int) -> np.ndarray:
        """Exactly ``n`` samples: audio when available, otherwise silence (an underrun)."""
        out = np.zeros(n, dtype=np.int16)
        with self._lock:
            if not self._playing:
                if self._queued < self._prebuffer:
                    return out
                self._playing = True
            filled = 0
            while filled < n and self._chunks:
                head = self._chunks[0]
                take = min(n - filled, head.shape[0])
                out[filled : filled + take] = head[:take]
                filled += take
                if take == head.shape[0]:
                    self._chunks.popleft()
                else:
                    self._chunks[0] = head[take:]
            self._queued -= filled
            self.played += filled
            if filled < n:
                self._playing = False
                if filled:
                    self.underruns += 1
        return out


async def run_live(url: str, *, output_wav: Path | None = None) -> int:
    """Hands-free conversation on the default devices until Ctrl-C."""
    import sounddevice as sd

    session = await ClientSession.open(url, client="edge-voice-live")
    loop = asyncio.get_running_loop()
    mic_queue: asyncio.Queue[np.ndarray] = asyncio.Queue()
    in_rate = int(sd.query_devices(kind="input")["default_samplerate"])
    resampler = soxr.ResampleStream(in_rate, 16_000, 1, dtype="float32")
    jitter = JitterBuffer(prebuffer=session.output_rate // 10)
    received: list[np.ndarray] = []

    def on_mic(indata, frames, time_info, status) -> None:  # noqa: ANN001 - PortAudio callback
        loop.call_soon_threadsafe(mic_queue.put_nowait, indata[:, 0].copy())

    def on_speaker(outdata, frames, time_info, status) -> None:  # noqa: ANN001
        outdata[:, 0] = jitter.pull(frames)

    async def pump_mic() -> None:
        pending = np.zeros(0, dtype=np.float32)
        while True:
            block = await mic_queue.get()
            pending = np.concatenate([pending, resampler.resample_chunk(block)])
            while pending.shape[0] >= FRAME:
                frame, pending = pending[:FRAME], pending[FRAME:]
                await session.send_audio((np.clip(frame, -1, 1) * 32767).astype(np.int16))

    async def receive() -> None:
        async for event in session.events():
            if isinstance(event, AudioIn):
                jitter.push(event.samples)
                received.append(event.samples)
            elif isinstance(event, p.Transcript) and event.text:
                print(f"you: {event.text}")
            elif isinstance(event, p.ReplyDone):
                print(f"assistant: {event.text}")
            elif isinstance(event, p.Error):
                print(f"error: {event.code}: {event.message}")

    with sd.InputStream(samplerate=in_rate, channels=1, dtype="float32", callback=on_mic, blocksize=in_rate // 50), \
            sd.OutputStream(samplerate=session.output_rate, channels=1, dtype="int16", callback=on_speaker):
        print("listening (Ctrl-C to quit)")
        tasks = [asyncio.create_task(pump_mic()), asyncio.create_task(receive())]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            await session.close()
            if output_wav is not None and received:
                write_wav(output_wav, np.concatenate(received), session.output_rate)
    return 0
