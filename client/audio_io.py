"""Microphone and speaker streams through sounddevice (PortAudio).

The mic is captured at the input device's native rate (the pipeline resamples it to 16 kHz). Reply
audio plays at the reply's rate when the output device accepts it, otherwise it is resampled to the
device's rate with a streaming soxr resampler. The output callback pulls from the jitter buffer and
hands every block it played, with its position, to the echo reference queue.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import soxr

from client.jitter import JitterBuffer

log = logging.getLogger(__name__)


class AudioDeviceError(OSError):
    """No usable audio device, or PortAudio refused a stream."""


_ALSA_ERROR = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)


class _AlsaLog:
    """alsa-lib prints its own messages to stderr ("ALSA lib pcm.c:...:(snd_pcm_recover) underrun
    occurred", device probing at start): they go to the debug log instead, and are counted.

    The handler is process-wide in alsa-lib, so its ctypes callback lives as long as the process.
    """

    def __init__(self) -> None:
        self.installed = False
        self.messages = 0
        self.xruns = 0
        """Under- and overruns alsa-lib recovered from."""
        self._callback = _ALSA_ERROR(self._on_error)

    def install(self) -> bool:
        """Install the handler (once); False where there is no alsa-lib (not Linux)."""
        if self.installed:
            return True
        name = ctypes.util.find_library("asound")
        if name is None:
            return False
        try:
            ctypes.CDLL(name).snd_lib_error_set_handler(self._callback)
        except (OSError, AttributeError) as exc:
            log.debug("cannot route ALSA messages: %s", exc)
            return False
        self.installed = True
        return True

    def _on_error(self, file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None) -> None:
        # Only the fixed arguments: the format's own arguments are C varargs ctypes cannot read.
        self.messages += 1
        if function == b"snd_pcm_recover":
            self.xruns += 1
        log.debug("ALSA %s:%d (%s) %s", (file or b"").decode(errors="replace"), line,
                  (function or b"").decode(errors="replace"), (fmt or b"").decode(errors="replace"))


alsa_log = _AlsaLog()


def _sounddevice():
    """``sounddevice``, imported after ALSA's messages are routed (its import probes every device)."""
    alsa_log.install()
    import sounddevice

    return sounddevice


@contextlib.contextmanager
def _portaudio_errors() -> Iterator[None]:
    sd = _sounddevice()

    try:
        yield
    except (sd.PortAudioError, ValueError) as exc:
        raise AudioDeviceError(str(exc)) from exc


def parse_device(spec: str | None) -> int | str | None:
    """``--input-device``/``--output-device``: an index, or (part of) a device name."""
    if spec is None or spec == "":
        return None
    return int(spec) if spec.strip().isdigit() else spec


def list_devices() -> str:
    """A readable table of the audio devices PortAudio sees, defaults marked."""
    sd = _sounddevice()

    with _portaudio_errors():
        devices = sd.query_devices()
    default_in, default_out = sd.default.device
    lines = ["  #  in out  rate    name"]
    for i, d in enumerate(devices):
        mark = ("<" if i == default_in else " ") + (">" if i == default_out else " ")
        lines.append(
            f"{mark}{i:2d} {d['max_input_channels']:3d} {d['max_output_channels']:3d} "
            f"{int(d['default_samplerate']):6d}  {d['name']}"
        )
    lines.append("(< default input, > default output)")
    return "\n".join(lines)


def input_rate(device: int | str | None) -> int:
    """The input device's native (default) sample rate."""
    sd = _sounddevice()

    with _portaudio_errors():
        return int(sd.query_devices(device, "input")["default_samplerate"])


def output_rate(device: int | str | None, wanted: int) -> int:
    """``wanted`` if the output device plays it, else the device's native rate."""
    sd = _sounddevice()

    try:
        sd.check_output_settings(device=device, samplerate=wanted, channels=1, dtype="float32")
        return wanted
    except Exception:  # PortAudio reports an unsupported rate in several ways
        with _portaudio_errors():
            return int(sd.query_devices(device, "output")["default_samplerate"])


class PlaybackResampler:
    """Reply-rate int16 -> device-rate float32, one soxr stream per turn (flushed at its end)."""

    def __init__(self, reply_rate: int, device_rate: int) -> None:
        self.reply_rate = reply_rate
        self.device_rate = device_rate
        self._streams: dict[int, soxr.ResampleStream] = {}

    def convert(self, turn_id: int, samples: np.ndarray) -> np.ndarray:
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
        self._streams.pop(turn_id, None)

    def reset(self) -> None:
        """Forget every turn's stream (a new connection numbers its turns from the start again)."""
        self._streams.clear()


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

    def __init__(self, input_device: int | str | None, output_device: int | str | None, *,
                 on_mic: Callable[[np.ndarray], None], prebuffer_ms: float = 100.0,
                 output_latency_ms: float = 50.0) -> None:
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
        sd = _sounddevice()

        with _portaudio_errors():
            self._in_stream = sd.InputStream(
                device=self.input_device, samplerate=self.in_rate, channels=1, dtype="float32",
                blocksize=self.in_rate // 100, latency="low", callback=self._mic_callback,
            )
            self._in_stream.start()

    def start_output(self, reply_rate: int) -> bool:
        """Open (or keep) the speaker stream for replies at ``reply_rate``; True if (re)opened."""
        sd = _sounddevice()

        if self._out_stream is not None and reply_rate == self.reply_rate:
            return False
        self._close_output()
        self.reply_rate = reply_rate
        self.out_rate = output_rate(self.output_device, reply_rate)
        self.resampler = PlaybackResampler(reply_rate, self.out_rate)
        self.jitter = JitterBuffer(self.out_rate, prebuffer_ms=self._prebuffer_ms)
        self._out_index = 0
        self.played.clear()
        with _portaudio_errors():
            self._out_stream = sd.OutputStream(
                device=self.output_device, samplerate=self.out_rate, channels=1, dtype="float32",
                blocksize=self.out_rate // 100, latency=self._output_latency_s, callback=self._speaker_callback,
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
            mic_index = (self._mic_frames + (time.monotonic() - self._mic_time) * self.in_rate
                         if self._mic_time else None)
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
