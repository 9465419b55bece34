"""Microphone and speaker streams through sounddevice (PortAudio).

The mic is captured at the input device's native rate (the pipeline resamples it to 16 kHz). Reply
audio plays at the reply's rate when the output device accepts it, otherwise it is resampled to the
device's rate with a streaming soxr resampler (:mod:`client.playback_resampler`). The output
callback pulls from the jitter buffer and hands every block it played, with its position, to the
echo reference queue. Device lookup is :mod:`client.audio_devices`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from client.audio_devices import input_rate, load_sounddevice, output_rate, portaudio_errors
from client.jitter import JitterBuffer
from client.playback_resampler import PlaybackResampler


@dataclass(frozen=True, slots=True)
class PlayedBlock:
    """A block the output callback handed to the device: reference for the echo suppressor."""

    samples: np.ndarray
    out_index: int
    """Index of its first sample in the output stream."""
    mic_index: float | None
    """The input stream's position (input-device samples) when it was handed over (None: no mic yet)."""


class AudioIO:
    """Owns the PortAudio streams. Callbacks run on PortAudio's threads and only copy and count."""

    def __init__(
        self,
        input_device: int | str | None,
        output_device: int | str | None,
        *,
        on_mic: Callable[[np.ndarray], None],
        prebuffer_ms: float = 100.0,
        output_latency_ms: float = 50.0,
    ) -> None:
        self.input_device = input_device
        self.output_device = output_device
        self._on_mic = on_mic
        self._prebuffer_ms = prebuffer_ms
        self._output_latency_s = output_latency_ms / 1000.0
        """Device buffer behind the output callback: it adds to the barge-in reaction, but too little
        and a busy CPU makes the device run dry (clicks)."""
        self.in_rate = input_rate(input_device)
        self.out_rate = 0
        self.reply_rate = 0
        self.jitter: JitterBuffer | None = None
        self.resampler: PlaybackResampler | None = None
        self.played: deque[PlayedBlock] = deque(maxlen=2000)
        self._mic_frames = 0
        self._mic_time = 0.0
        self._out_index = 0
        self._in_stream = None
        self._out_stream = None
        self._lock = threading.Lock()
        self.input_overflows = 0
        self.output_underflows = 0

    # ------------------------------------------------------------------ streams

    def start_input(self) -> None:
        sd = load_sounddevice()

        with portaudio_errors():
            self._in_stream = sd.InputStream(
                device=self.input_device,
                samplerate=self.in_rate,
                channels=1,
                dtype="float32",
                blocksize=self.in_rate // 100,
                latency="low",
                callback=self._mic_callback,
            )
            self._in_stream.start()

    def start_output(self, reply_rate: int) -> bool:
        """Open (or keep) the speaker stream for replies at ``reply_rate``; True if (re)opened."""
        sd = load_sounddevice()

        if self._out_stream is not None and reply_rate == self.reply_rate:
            return False
        self._close_output()
        self.reply_rate = reply_rate
        self.out_rate = output_rate(self.output_device, reply_rate)
        self.resampler = PlaybackResampler(reply_rate, self.out_rate)
        self.jitter = JitterBuffer(self.out_rate, prebuffer_ms=self._prebuffer_ms)
        self._out_index = 0
        self.played.clear()
        with portaudio_errors():
            self._out_stream = sd.OutputStream(
                device=self.output_device,
                samplerate=self.out_rate,
                channels=1,
                dtype="float32",
                blocksize=self.out_rate // 100,
                latency=self._output_latency_s,
                callback=self._speaker_callback,
            )
            self._out_stream.start()
        return True

    @property
    def output_latency_ms(self) -> float:
        return 1000.0 * float(self._out_stream.latency) if self._out_stream is not None else 0.0

    @property
    def input_latency_ms(self) -> float:
        return 1000.0 * float(self._in_stream.latency) if self._in_stream is not None else 0.0

    def _mic_callback(self, indata, frames, time_info, status) -> None:
        if status.input_overflow:
            self.input_overflows += 1
        with self._lock:
            self._mic_frames += frames
            self._mic_time = time.monotonic()
        self._on_mic(indata[:, 0].copy())

    def _speaker_callback(self, outdata, frames, time_info, status) -> None:
        if status.output_underflow:
            self.output_underflows += 1
        jitter = self.jitter
        block = jitter.pull(frames) if jitter is not None else np.zeros(frames, dtype=np.float32)
        outdata[:, 0] = block
        with self._lock:
            mic_index = (
                self._mic_frames + (time.monotonic() - self._mic_time) * self.in_rate if self._mic_time else None
            )
        self.played.append(PlayedBlock(block, self._out_index, mic_index))
        self._out_index += frames

    # ------------------------------------------------------------------ playback

    def play(self, turn_id: int, samples: np.ndarray) -> None:
        """Queue reply audio (int16 at the reply rate)."""
        if self.jitter is None or self.resampler is None:
            return
        self.jitter.push(turn_id, self.resampler.convert(turn_id, samples))

    def end_turn(self, turn_id: int) -> None:
        if self.jitter is None or self.resampler is None:
            return
        self.jitter.push(turn_id, self.resampler.finish(turn_id))
        self.jitter.end_turn(turn_id)

    def reset_turns(self) -> None:
        """A new connection: drop all reply audio and what is known of the old turns, whose ids
        the server now reuses."""
        if self.jitter is not None:
            self.jitter.reset()
        if self.resampler is not None:
            self.resampler.reset()
        self.played.clear()

    def stop_turn(self, turn_id: int | None = None) -> None:
        """Barge-in: stop playback now (all of it, or one turn)."""
        if self.jitter is not None:
            self.jitter.flush(turn_id)
        if self.resampler is not None and turn_id is not None:
            self.resampler.drop(turn_id)

    # ------------------------------------------------------------------ shutdown

    def _close_output(self) -> None:
        stream, self._out_stream = self._out_stream, None
        if stream is not None:
            try:
                stream.abort()
            finally:
                stream.close()

    def close(self) -> None:
        """Stop both streams at once (abort: no draining), and free the resamplers."""
        self._close_output()
        self.resampler = None
        stream, self._in_stream = self._in_stream, None
        if stream is not None:
            try:
                stream.abort()
            finally:
                stream.close()
