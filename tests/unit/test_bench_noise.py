"""Benchmark noise: the level is the RMS asked for, and each kind has its character."""

from __future__ import annotations

import numpy as np
import pytest

from client.benchmark.noise import KINDS, NoiseStream, dbfs, make_noise, mix

SR = 16_000


def _speech() -> list[np.ndarray]:
    """Speech-like stand-ins: noise amplitude-modulated at syllable rate, with gaps."""
    rng = np.random.default_rng(7)
    t = np.arange(3 * SR) / SR
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * (t % 1.5 < 1.1)
    return [(rng.standard_normal(t.shape[0]) * 4000 * envelope).astype(np.int16) for _ in range(2)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("level", [-55.0, -42.0, -30.0])
def test_level_is_the_rms_asked_for(kind: str, level: float) -> None:
    x = make_noise(kind, level, seed=3, seconds=6.0, speech=_speech())
    assert x.dtype == np.int16 and x.shape[0] == 6 * SR
    assert dbfs(x) == pytest.approx(level, abs=1.0)


def test_deterministic_per_seed_and_different_across_seeds() -> None:
    a, b, c = (make_noise("pink", -40, seed=s, seconds=1.0) for s in (1, 1, 2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def _power_spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    return np.fft.rfftfreq(x.shape[0], 1.0 / SR), spectrum


def test_pink_falls_ten_db_per_decade_and_white_is_flat() -> None:
    for kind, want in (("pink", -10.0), ("white", 0.0)):
        freqs, power = _power_spectrum(make_noise(kind, -40, seed=1, seconds=10.0))
        band = (freqs > 50) & (freqs < 5000)
        slope = np.polyfit(np.log10(freqs[band]), 10 * np.log10(power[band]), 1)[0]  # dB per decade
        assert slope == pytest.approx(want, abs=1.5), kind


def test_hum_peaks_at_mains_frequency() -> None:
    freqs, power = _power_spectrum(make_noise("hum", -40, seed=1, seconds=4.0))
    assert freqs[np.argmax(power)] in (50.0, 60.0)
    low = power[(freqs > 40) & (freqs < 320)].sum()
    assert low > 0.8 * power.sum()  # mostly the tones and their first harmonics


def test_keyboard_is_impulsive() -> None:
    def crest(x: np.ndarray) -> float:
        xf = x.astype(np.float64)
        return float(np.abs(xf).max() / np.sqrt(np.mean(xf**2)))

    keys = make_noise("keyboard", -45, seed=2, seconds=10.0)
    assert crest(keys) > 15.0 > 6.0 > crest(make_noise("white", -45, seed=2, seconds=10.0))
    # Clicks 80-250 ms apart: most 10 ms windows are quiet, some are far above the median.
    rms = np.sqrt(np.mean(keys[: keys.shape[0] // 160 * 160].astype(np.float64).reshape(-1, 160) ** 2, axis=1))
    assert np.percentile(rms, 99) > 10 * np.median(rms)


def test_babble_is_modulated_like_speech_not_stationary() -> None:
    talkers = make_noise("babble", -40, seed=4, seconds=8.0, speech=_speech())
    rms = np.sqrt(np.mean(talkers.astype(np.float64).reshape(-1, 1600) ** 2, axis=1))  # 100 ms windows
    white = make_noise("white", -40, seed=4, seconds=8.0)
    white_rms = np.sqrt(np.mean(white.astype(np.float64).reshape(-1, 1600) ** 2, axis=1))
    assert np.std(rms) / np.mean(rms) > 3 * np.std(white_rms) / np.mean(white_rms)
    with pytest.raises(ValueError):
        make_noise("babble", -40, speech=[])


def test_unknown_kind() -> None:
    with pytest.raises(ValueError):
        make_noise("thunder", -40)


def test_stream_is_continuous_across_takes_and_loops() -> None:
    loop = np.arange(10, dtype=np.int16)
    stream = NoiseStream(loop)
    assert stream.take(4).tolist() == [0, 1, 2, 3]
    assert stream.take(8).tolist() == [4, 5, 6, 7, 8, 9, 0, 1]


def test_mix_adds_and_clips() -> None:
    out = mix(np.array([100, 32000, -32000], dtype=np.int16), np.array([5, 2000, -2000], dtype=np.int16))
    assert out.tolist() == [105, 32767, -32768] and out.dtype == np.int16
