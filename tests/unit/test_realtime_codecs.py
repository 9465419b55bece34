"""The Realtime audio formats: G.711 tables against the reference values, resampling in chunks."""

from __future__ import annotations

import numpy as np
import pytest

from app.realtime import codecs
from app.realtime.codecs import PCM24, PCMA, PCMU, InputAudio, OutputAudio

SAMPLES = np.array([-32768, -1000, -1, 0, 1, 1000, 32767], dtype=np.int16)


def test_mulaw_and_alaw_codes_match_the_reference_g711() -> None:
    # Values of the ITU-T reference implementation (Sun's g711.c, as CPython's audioop had it).
    assert list(codecs.encode(PCMU, SAMPLES)) == [0, 78, 126, 255, 255, 206, 128]
    assert list(codecs.encode(PCMA, SAMPLES)) == [42, 122, 85, 213, 213, 250, 170]
    assert list(codecs.decode(PCMU, bytes([0, 0x7F, 0x80, 0xFF, 0x35]))) == [-32124, 0, 32124, 0, -3260]
    assert list(codecs.decode(PCMA, bytes([0, 0x55, 0xD5, 0x80, 0x2A]))) == [-5504, -8, 8, 5504, -32256]


@pytest.mark.parametrize("fmt", [PCMU, PCMA])
def test_g711_round_trip_keeps_the_signal_within_its_quantisation(fmt: codecs.WireFormat) -> None:
    x = (8000 * np.sin(np.linspace(0, 40 * np.pi, 4000))).astype(np.int16)
    back = codecs.decode(fmt, codecs.encode(fmt, x)).astype(np.float64)
    error = np.sqrt(np.mean((back - x) ** 2)) / np.sqrt(np.mean(x.astype(np.float64) ** 2))
    assert error < 0.05  # about 30 dB SNR, what 8-bit companding gives


def test_every_alaw_code_decodes_and_encodes_back_to_itself() -> None:
    assert codecs.encode(PCMA, codecs.decode(PCMA, bytes(range(256)))) == bytes(range(256))


def test_pcm_needs_whole_samples() -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        codecs.decode(PCM24, b"\x00\x01\x02")


def test_input_24k_becomes_16k_across_chunks() -> None:
    audio = InputAudio(PCM24)
    tone = (5000 * np.sin(2 * np.pi * 440 * np.arange(24_000) / 24_000)).astype(np.int16)
    out = np.concatenate([audio.convert(tone[i : i + 480].tobytes()) for i in range(0, 24_000, 480)])
    assert 16_000 - 160 <= out.shape[0] <= 16_000  # the resampler holds back under 10 ms
    assert out.dtype == np.int16 and np.abs(out[2000:]).max() > 4000


def test_mulaw_input_is_upsampled_to_16k() -> None:
    audio = InputAudio(PCMU)
    out = audio.convert(codecs.encode(PCMU, np.full(8000, 2000, dtype=np.int16)))
    assert 16_000 - 32 <= out.shape[0] <= 16_000  # under 2 ms held back: it delays every endpoint


def test_output_counts_samples_at_the_client_rate_and_flushes() -> None:
    out = OutputAudio(22_050, PCM24)
    data = out.convert(np.ones(22_050, dtype=np.int16).tobytes()) + out.convert(b"", last=True)
    assert len(data) == 2 * 24_000 and out.samples == 24_000 and out.ms == pytest.approx(1000.0)
    g711 = OutputAudio(22_050, PCMA)
    assert len(g711.convert(np.ones(2205, dtype=np.int16).tobytes()) + g711.convert(b"", last=True)) == 800
