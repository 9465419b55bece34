"""Acoustic end of speech: the 35 dB rule on synthetic signals, and the clock it starts."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from client.benchmark.clips import Clip, make_clip
from client.benchmark.noise import NoiseStream
from client.benchmark.prompts import noise_floor
from client.benchmark.session import BenchSession
from client.benchmark.speech_end import acoustic_end_sample, acoustic_span, speech_end_frame, window_rms

SR = 16_000


def tone(seconds: float, dbfs: float, freq: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return np.sqrt(2) * 32767 * 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)


def as_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def test_end_of_the_last_window_within_35_db_of_the_loudest() -> None:
    # 0.2 s floor, 0.5 s at -10 dBFS, 0.3 s at -40 (30 dB down: still sound), 0.3 s at -50 (40 dB down).
    x = np.concatenate([np.zeros(3200), tone(0.5, -10), tone(0.3, -40), tone(0.3, -50)])
    assert acoustic_span(as_int16(x)) == (3200, 3200 + 8000 + 4800)
    assert acoustic_end_sample(as_int16(x), range_db=25.0) == 3200 + 8000


def test_end_mid_window_rounds_up_to_the_window_end() -> None:
    x = np.concatenate([tone(0.3, -12), np.zeros(1000)])
    x[4800 + 50 : 4800 + 100] = 3000  # a 50-sample click in the 31st window
    assert acoustic_end_sample(as_int16(x)) == 4960  # end of the window holding the click


def test_quiet_trailing_sound_counts_though_webrtcvad_stopped() -> None:
    # Voiced speech-like burst, then a long faint hiss tail (like a trailing "s"), then a -60 floor.
    rng = np.random.default_rng(1)
    burst = rng.standard_normal(int(0.6 * SR)) * 32767 * 10 ** (-14 / 20)
    hiss = rng.standard_normal(int(0.3 * SR)) * 32767 * 10 ** (-42 / 20)
    clip = as_int16(np.concatenate([burst, hiss, np.zeros(SR // 2)])) + noise_floor(int(1.4 * SR), seed=2)
    end = acoustic_end_sample(clip)
    assert end is not None and abs(end - int(0.9 * SR)) <= 160
    vad = speech_end_frame(clip)
    assert vad is not None and (vad + 1) * 320 < end  # webrtcvad calls the hiss unvoiced


def test_a_noisy_floor_within_35_db_runs_to_the_clip_end() -> None:
    x = as_int16(np.concatenate([tone(0.5, -10), tone(0.5, -40, freq=3000)]))
    assert acoustic_end_sample(x) == x.shape[0]


def test_silence_and_partial_windows() -> None:
    assert acoustic_span(np.zeros(1000, dtype=np.int16)) is None
    assert acoustic_span(np.zeros(0, dtype=np.int16)) is None
    rms = window_rms(np.full(250, 100, dtype=np.int16))  # 160 + a partial 90
    assert rms.tolist() == pytest.approx([100.0, 100.0])
    assert acoustic_end_sample(np.full(250, 100, dtype=np.int16)) == 250  # clamped to the clip


def test_clip_knows_its_acoustic_end_frame_and_the_tail_after_it() -> None:
    samples = as_int16(np.concatenate([np.zeros(1600), tone(0.5, -12), np.zeros(3200)]))
    samples[1600 + 8000 - 10 :] = 0  # sound stops at sample 9590, inside window 59 (9440..9600)
    clip = make_clip("t.wav", samples + noise_floor(samples.shape[0], seed=1), None)
    assert clip.acoustic_start == 1600 and clip.acoustic_end == 9600
    assert clip.acoustic_end_frame == 29 and clip.acoustic_end_tail_s == pytest.approx(0.0)
    shifted = Clip("s.wav", clip.samples, clip.end_frame, acoustic_start=1600, acoustic_end=9500)
    assert shifted.acoustic_end_frame == 29 and shifted.acoustic_end_tail_s == pytest.approx(100 / SR)
    assert clip.acoustic_end_s == pytest.approx(0.6) and clip.speech_end_s >= clip.acoustic_end_s
    silent = Clip("z.wav", np.zeros(SR, dtype=np.int16), 40)
    assert silent.acoustic_end == 41 * 320  # no sound: the VAD's end stands in


# ------------------------------------------------------------------ the clock, over a fake connection


class FakeConnection:
    """A ClientSession stand-in: records each frame's send time; the server says nothing."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, np.ndarray]] = []
        self._closed = asyncio.Event()

    async def send_audio(self, samples: np.ndarray) -> None:
        self.sent.append((time.monotonic(), samples.copy()))

    async def send(self, message) -> None:
        pass

    async def events(self):
        await self._closed.wait()
        return
        yield

    async def close(self) -> None:
        self._closed.set()


def test_play_starts_the_clock_at_the_acoustic_end_and_mixes_the_noise() -> None:
    samples = as_int16(np.concatenate([np.zeros(800), tone(0.3, -12), np.zeros(2400)]))
    samples[800 + 4800 - 100 : 800 + 4800] = 0  # sound stops at 5500, in window 5440..5600
    samples[0] = 1  # so the first frame of the clip can be told from the noise (far below 35 dB)
    clip = make_clip("c.wav", samples, None)
    assert clip.acoustic_end == 5600 and clip.acoustic_end_frame == 17  # frame 17: 5440..5760
    loop = np.full(320 * 10, 7, dtype=np.int16)

    async def scenario():
        fake = FakeConnection()
        bench = BenchSession(fake, seed=0, noise=NoiseStream(loop), mix_noise=True)
        try:
            await asyncio.sleep(0.05)
            played = await bench.play(clip, timeout_s=0.8)  # nothing answers: it times out
        finally:
            await bench.close()
        return fake, played

    fake, played = asyncio.run(scenario())
    frames = [f for _, f in fake.sent]
    start = next(i for i, f in enumerate(frames) if (f != 7).any())  # first frame carrying the clip
    sent_17 = fake.sent[start + 17][0]
    assert played.acoustic_end_t == pytest.approx(sent_17 - 160 / SR)  # 160 samples of frame 17 follow the end
    assert played.speech_end_t == pytest.approx(fake.sent[start + clip.end_frame][0])
    assert played.onset_t == pytest.approx(fake.sent[start + 2][0] - (960 - 800) / SR)
    assert played.timed_out and played.outcome.turn_id is None
    assert np.array_equal(frames[start + 5], samples[1600:1920] + 7)  # noise under the speech
    assert all((f == 7).all() for f in frames[:start])  # and between clips
