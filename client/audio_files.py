"""Reading and writing audio files, resampled with soxr (a proper band-limited resampler)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import soundfile
import soxr


def read_mono(path: Path, sample_rate: int) -> np.ndarray:
    """Read any format libsndfile knows (WAV, FLAC, OGG, MP3), mix to mono, resample; int16."""
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise ValueError(f"cannot read audio file {path}: {exc}") from None
    mono = data.mean(axis=1)
    if rate != sample_rate:
        mono = soxr.resample(mono, rate, sample_rate, quality="HQ")
    return (np.clip(mono, -1.0, 1.0) * 32767.0).astype(np.int16)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write int16 mono samples as a PCM16 WAV file."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.astype("<i2").tobytes())
