"""The Realtime protocol's audio formats, converted to and from the node's: ``audio/pcm`` (PCM16
little-endian at 24 kHz) and G.711 ``audio/pcmu`` (μ-law) / ``audio/pcma`` (A-law) at 8 kHz.

Client audio becomes the 16 kHz PCM16 that webrtcvad and Whisper take; reply audio at the
voice's rate becomes the client's format. Both sides resample with one streaming soxr resampler
each, so chunk boundaries leave no clicks. Lengths are counted in samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

from app.audio import INPUT_SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class WireFormat:
    """One of the audio formats a Realtime session may choose (``audio.input/output.format``)."""

    type: str
    """"audio/pcm", "audio/pcmu" or "audio/pcma"."""
    rate: int
    """Samples per second, in Hz."""

    def as_wire(self) -> dict[str, object]:
        """The ``format`` object of a session (the G.711 ones have no rate field)."""
        return {"type": self.type, "rate": self.rate} if self.type == "audio/pcm" else {"type": self.type}

    def samples_to_ms(self, samples: int) -> float:
        """Duration of ``samples`` samples, in ms."""
        return 1000.0 * samples / self.rate


PCM24 = WireFormat("audio/pcm", 24_000)
PCMU = WireFormat("audio/pcmu", 8_000)
PCMA = WireFormat("audio/pcma", 8_000)
FORMATS = {f.type: f for f in (PCM24, PCMU, PCMA)}
BETA_FORMATS = {"pcm16": PCM24, "g711_ulaw": PCMU, "g711_alaw": PCMA}
"""The beta protocol's names (``input_audio_format: "pcm16"``), accepted as aliases."""

# ------------------------------------------------------------------ G.711 (ITU-T), as tables

_ALL = np.arange(-32768, 32768, dtype=np.int32)


def _ulaw_encode(x: np.ndarray) -> np.ndarray:
    value = x >> 2  # μ-law codes 14-bit samples (arithmetic shift, as the reference g711.c)
    mask = np.where(value < 0, 0x7F, 0xFF)
    value = np.minimum(np.where(value < 0, -value, value), 8159) + 0x21
    segment = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), value)
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((value >> (segment + 1)) & 0x0F))
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def _ulaw_decode(u: np.ndarray) -> np.ndarray:
    u = ~u & 0xFF
    exponent, mantissa = (u >> 4) & 0x07, u & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def _alaw_encode(x: np.ndarray) -> np.ndarray:
    value = x >> 3  # A-law codes 13-bit samples
    mask = np.where(value >= 0, 0xD5, 0x55)
    value = np.where(value >= 0, value, -value - 1)
    segment = np.searchsorted(np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]), value)
    shift = np.where(segment < 2, 1, segment)
    code = (segment << 4) | ((value >> np.minimum(shift, 12)) & 0x0F)
    code = np.where(segment >= 8, 0x7F, code)
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def _alaw_decode(a: np.ndarray) -> np.ndarray:
    a = a ^ 0x55
    segment = (a & 0x70) >> 4
    t = ((a & 0x0F) << 4) + np.where(segment == 0, 8, 0x108)
    t = np.where(segment > 1, t << np.maximum(segment - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)


_CODES = np.arange(256, dtype=np.int32)
ULAW_ENCODE, ULAW_DECODE = _ulaw_encode(_ALL), _ulaw_decode(_CODES)
ALAW_ENCODE, ALAW_DECODE = _alaw_encode(_ALL), _alaw_decode(_CODES)
"""Encode: index ``sample + 32768`` of an int16 sample; decode: index the code byte."""


def decode(fmt: WireFormat, data: bytes) -> np.ndarray:
    """Wire bytes of ``fmt`` to int16 samples at ``fmt.rate`` (ValueError for a cut sample)."""
    if fmt.type == "audio/pcm":
        if len(data) % 2:
            raise ValueError("audio/pcm audio must be whole 16-bit samples (an even number of bytes)")
        return np.frombuffer(data, dtype="<i2").astype(np.int16)
    table = ULAW_DECODE if fmt.type == "audio/pcmu" else ALAW_DECODE
    return table[np.frombuffer(data, dtype=np.uint8)]


def encode(fmt: WireFormat, samples: np.ndarray) -> bytes:
    """int16 samples at ``fmt.rate`` to wire bytes of ``fmt``."""
    if fmt.type == "audio/pcm":
        return samples.astype("<i2", copy=False).tobytes()
    table = ULAW_ENCODE if fmt.type == "audio/pcmu" else ALAW_ENCODE
    return table[samples.astype(np.int32) + 32768].tobytes()


class _Resampler:
    """A streaming int16 resampler (no resampling when the rates match).

    soxr holds back its filter's delay (measured on 20 ms chunks: HQ 21 ms at 24 -> 16 kHz and
    66 ms at 8 -> 16 kHz, LQ 6 and 60 ms, QQ under 1 ms). On the way in that delay is added to
    every endpoint decision, so input uses LQ, and QQ's cubic interpolation for the upsampling of
    telephone audio; reply audio uses LQ (under 1 ms at 22.05 -> 24 kHz)."""

    def __init__(self, in_rate: int, out_rate: int) -> None:
        quality = "QQ" if out_rate > 2 * in_rate - 1 else "LQ"
        self._stream = (
            None if in_rate == out_rate else soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16", quality=quality)
        )

    def __call__(self, samples: np.ndarray, last: bool = False) -> np.ndarray:
        if self._stream is None:
            return samples
        return self._stream.resample_chunk(samples, last=last).astype(np.int16, copy=False)


class InputAudio:
    """Client audio in ``fmt`` -> 16 kHz int16, chunk by chunk."""

    def __init__(self, fmt: WireFormat) -> None:
        self.format = fmt
        self._resample = _Resampler(fmt.rate, INPUT_SAMPLE_RATE)

    def convert(self, data: bytes) -> np.ndarray:
        """The 16 kHz samples that ``data`` (wire bytes) completes."""
        return self._resample(decode(self.format, data))


class OutputAudio:
    """Reply audio at the voice's rate -> wire bytes of ``fmt``, counting what was produced."""

    def __init__(self, voice_rate: int, fmt: WireFormat) -> None:
        self.format = fmt
        self._resample = _Resampler(voice_rate, fmt.rate)
        self.samples = 0
        """Samples at ``fmt.rate`` produced so far."""

    def convert(self, pcm: bytes, last: bool = False) -> bytes:
        """Wire bytes for ``pcm`` (PCM16 at the voice's rate); ``last`` flushes the resampler."""
        out = self._resample(np.frombuffer(pcm, dtype="<i2").astype(np.int16), last=last)
        self.samples += int(out.shape[0])
        return encode(self.format, out)

    @property
    def ms(self) -> float:
        """Audio produced so far, in ms."""
        return self.format.samples_to_ms(self.samples)
