"""Audio formats and PCM conversions. Time is counted in samples; milliseconds are derived."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INPUT_SAMPLE_RATE = 16_000
"""The only sample rate the server accepts from clients, in Hz (what Whisper and webrtcvad want)."""

FRAME_MS = 20
"""Nominal client frame length in ms; webrtcvad accepts 10, 20 or 30 ms frames."""


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """Format of a PCM stream: signed 16-bit little-endian, interleaved."""

    sample_rate: int
    """Samples per second per channel, in Hz."""
    channels: int = 1
    """Interleaved channel count."""

    def samples_to_ms(self, samples: int) -> float:
        """Duration of `samples` samples (per channel) in milliseconds."""
        return 1000.0 * samples / self.sample_rate

    def ms_to_samples(self, ms: float) -> int:
        """Number of samples (per channel) in `ms` milliseconds, rounded down."""
        return int(self.sample_rate * ms / 1000.0)

    def as_wire(self) -> dict[str, object]:
        """JSON description used in the `ready` message."""
        return {"encoding": "pcm_s16le", "sample_rate": self.sample_rate, "channels": self.channels}


INPUT_FORMAT = AudioFormat(INPUT_SAMPLE_RATE, 1)
FRAME_SAMPLES = INPUT_FORMAT.ms_to_samples(FRAME_MS)


def pcm16_to_float32(pcm: bytes | np.ndarray) -> np.ndarray:
    """PCM16 bytes or int16 array to float32 in [-1, 1)."""
    samples = np.frombuffer(pcm, dtype="<i2") if isinstance(pcm, (bytes, bytearray, memoryview)) else pcm
    return samples.astype(np.float32) / 32768.0


def float32_to_pcm16(audio: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] to int16, clipping out-of-range values."""
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level of int16 samples in dBFS (-inf for digital silence)."""
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return 20.0 * np.log10(rms / 32768.0) if rms > 0 else float("-inf")
