"""Echo suppression on real speech: a reply (jfk) echoes into the mic through a simulated room.

The mic hears the reply delayed by 100-300 ms, attenuated by 10-20 dB and smeared by a short
room response, plus room noise. After suppression the local VAD must find no speech there (no
false barge-in) and the echo must be at least 15 dB weaker; a real user voice (hotwords.mp3)
talking over it must trigger a barge-in within 300 ms of its onset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import webrtcvad

from client.audio_files import read_mono
from client.bargein import BargeIn, BargeInDetector, BargeInPending, to_pcm16
from client.echo import FRAME, RATE, EchoSuppressor
from client.mic_pipeline import MicPipeline
from tests.conftest import SHARED_AUDIO

NOISE_DBFS = -60.0


@pytest.fixture(scope="module")
def reply() -> np.ndarray:
    return read_mono(SHARED_AUDIO / "jfk.flac", RATE).astype(np.float64) / 32768.0


@pytest.fixture(scope="module")
def user() -> np.ndarray:
    return read_mono(SHARED_AUDIO / "hotwords.mp3", RATE).astype(np.float64) / 32768.0


def energy_onset(x: np.ndarray, threshold_dbfs: float = -36.0) -> int:
    """First sample of the first 10 ms whose level exceeds ``threshold_dbfs``."""
    limit = 10 ** (threshold_dbfs / 20)
    for i in range(0, x.shape[0] - 160, 160):
        if np.sqrt(np.mean(x[i : i + 160] ** 2)) > limit:
            return i
    raise AssertionError("no onset")


def room_echo(reply: np.ndarray, delay_ms: float, gain_db: float, seed: int) -> tuple[np.ndarray, int]:
    """The reply as the mic hears it: a direct path plus 25 ms of decaying reflections."""
    rng = np.random.default_rng(seed)
    rir = np.zeros(400)
    rir[0] = 1.0
    rir[1:] = rng.standard_normal(399) * 0.25 * np.exp(-np.arange(1, 400) / 80.0)
    echo = np.convolve(reply, rir)
    echo *= 10 ** (gain_db / 20) * np.sqrt(np.mean(reply**2) / np.mean(echo**2))
    d = int(delay_ms * RATE / 1000)
    return np.concatenate([np.zeros(d), echo]), d


@dataclass
class Run:
    out: np.ndarray
    cleaned: np.ndarray
    near: list[bool]
    events: list[object]
    suppressor: EchoSuppressor


def run(mic: np.ndarray, reference: np.ndarray, playing_until: int) -> Run:
    """Feed reference and mic frame by frame, as the live client does (reference first)."""
    sup = EchoSuppressor()
    detector = BargeInDetector()
    ref = np.concatenate([reference, np.zeros(mic.shape[0])])
    outs, cleaned, near, events = [], [], [], []
    for i in range(0, mic.shape[0] - FRAME + 1, FRAME):
        sup.add_reference(ref[i : i + FRAME], i)
        r = sup.process(mic[i : i + FRAME])
        outs.append(r.out)
        cleaned.append(r.cleaned)
        near.append(r.near_end)
        event = detector.update(r.out, user=r.near_end or not r.far_active, armed=i < playing_until)
        if event is not None:
            events.append((i + FRAME, event))
    return Run(np.concatenate(outs).astype(np.float64), np.concatenate(cleaned).astype(np.float64), near, events, sup)


def voiced_frames(x: np.ndarray) -> int:
    vad = webrtcvad.Vad(3)
    starts = range(0, x.shape[0] - FRAME + 1, FRAME)
    return sum(vad.is_speech(to_pcm16(x[i : i + FRAME]).tobytes(), RATE) for i in starts)


def db(x: float) -> float:
    return 10 * np.log10(max(x, 1e-20))


CASES = [(100, -10, 1), (100, -20, 2), (200, -15, 3), (300, -10, 4), (300, -20, 5)]


@pytest.mark.parametrize(("delay_ms", "gain_db", "seed"), CASES)
def test_echo_alone_is_cancelled_and_never_taken_for_speech(reply: np.ndarray, delay_ms: int, gain_db: int,
                                                             seed: int) -> None:
    echo, d = room_echo(reply, delay_ms, gain_db, seed)
    n = echo.shape[0] + RATE
    noise = np.random.default_rng(100 + seed).standard_normal(n) * 10 ** (NOISE_DBFS / 20)
    mic = noise.copy()
    mic[: echo.shape[0]] += echo
    r = run(mic, reply, playing_until=reply.shape[0])

    # The echo path was found.
    assert r.suppressor.delay is not None
    assert abs(r.suppressor.delay - d) <= 32, f"delay {r.suppressor.delay / 16:.1f} ms, true {delay_ms} ms"
    # Without suppression the VAD would hear plenty of speech in the echo...
    echo_part = slice(d // FRAME * FRAME, min(echo.shape[0], r.out.shape[0]) // FRAME * FRAME)
    assert voiced_frames(mic[echo_part]) > 200
    # ...after it, none: no false barge-in, not even a tentative pause.
    assert voiced_frames(r.out[echo_part]) == 0
    assert r.events == [], r.events
    assert not any(r.near)
    # The adaptive filter alone takes >= 15 dB off the echo once it has converged (1.5 s in).
    seg = slice(d + int(1.5 * RATE), d + reply.shape[0])
    residual = r.cleaned[seg] - noise[seg]
    reduction = db(float(np.sum(echo[seg] ** 2))) - db(float(np.sum(residual**2)))
    assert reduction >= 15.0, f"echo reduced by only {reduction:.1f} dB"
    # And what is sent to the server while the reply plays is (near) silence.
    sent = db(float(np.mean(r.out[d : d + reply.shape[0]] ** 2)))
    assert sent < db(float(np.mean(echo**2))) - 40


@pytest.mark.parametrize(("delay_ms", "gain_db", "seed"), CASES)
@pytest.mark.parametrize("talk_at_s", [2.6, 7.3])
def test_user_talking_over_the_reply_barges_in_within_300_ms(reply: np.ndarray, user: np.ndarray, delay_ms: int,
                                                             gain_db: int, seed: int, talk_at_s: float) -> None:
    echo, _ = room_echo(reply, delay_ms, gain_db, seed)
    n = echo.shape[0] + RATE
    mic = np.random.default_rng(seed).standard_normal(n) * 10 ** (NOISE_DBFS / 20)
    mic[: echo.shape[0]] += echo
    start = int(talk_at_s * RATE)
    voice = user[: n - start]
    mic[start : start + voice.shape[0]] += voice
    onset = start + energy_onset(user)
    r = run(mic, reply, playing_until=reply.shape[0])

    hits = [(at, e) for at, e in r.events if isinstance(e, BargeIn)]
    assert hits, "the user's speech did not interrupt the reply"
    first_at, _ = hits[0]
    assert first_at >= onset, f"barge-in {1000 * (onset - first_at) / RATE:.0f} ms before the user spoke (echo?)"
    reaction_ms = 1000 * (first_at - onset) / RATE
    assert reaction_ms <= 300, f"barge-in {reaction_ms:.0f} ms after the onset"
    pending = [at for at, e in r.events if isinstance(e, BargeInPending)]
    assert pending and onset <= pending[0] < first_at, "playback should pause before the barge-in is confirmed"
    # The user's words reach the server: most of the voice energy passes the gate.
    seg = slice(onset, onset + RATE)
    assert db(float(np.sum(r.out[seg] ** 2))) > db(float(np.sum(voice[seg.start - start : seg.stop - start] ** 2))) - 3


def test_short_mhmm_pauses_at_most_and_does_not_interrupt(reply: np.ndarray, user: np.ndarray) -> None:
    echo, _ = room_echo(reply, 150, -15, 7)
    n = echo.shape[0] + RATE
    mic = np.random.default_rng(7).standard_normal(n) * 10 ** (NOISE_DBFS / 20)
    mic[: echo.shape[0]] += echo
    start = int(3.0 * RATE)
    burst_start = energy_onset(user)
    burst = user[burst_start : burst_start + int(0.14 * RATE)] * np.hanning(int(0.14 * RATE))  # ~140 ms "mhmm"
    mic[start : start + burst.shape[0]] += burst
    r = run(mic, reply, playing_until=reply.shape[0])
    assert not [e for _, e in r.events if isinstance(e, BargeIn)], r.events


def test_headphones_without_echo_become_a_plain_open_mic(reply: np.ndarray, user: np.ndarray) -> None:
    n = reply.shape[0] + RATE
    mic = np.random.default_rng(9).standard_normal(n) * 10 ** (NOISE_DBFS / 20)
    start = int(6.0 * RATE)
    mic[start : start + user.shape[0]] += user[: n - start]
    r = run(mic, reply, playing_until=reply.shape[0])
    assert r.suppressor.echo_free
    hits = [(at, e) for at, e in r.events if isinstance(e, BargeIn)]
    onset = start + energy_onset(user)
    assert hits and 0 <= hits[0][0] - onset <= 300 * RATE // 1000


def test_without_playback_the_mic_passes_untouched() -> None:
    mic = np.random.default_rng(3).standard_normal(RATE) * 0.1
    sup = EchoSuppressor()
    out = np.concatenate([sup.process(mic[i : i + FRAME]).out for i in range(0, RATE, FRAME)])
    np.testing.assert_allclose(out, mic.astype(np.float32), atol=1e-7)
    assert sup.delay is None and sup.frames_gated == 0


def test_a_changed_echo_path_is_found_again(reply: np.ndarray) -> None:
    """The delay jumps from 120 to 220 ms mid-reply (a device buffer changed): re-estimated, and the
    reply never gets taken for the user."""
    half = reply.shape[0] // 2
    first, _ = room_echo(reply[:half], 120, -12, 11)
    second, d2 = room_echo(reply[half:], 220, -12, 11)
    n = reply.shape[0] + RATE
    mic = np.random.default_rng(11).standard_normal(n) * 10 ** (NOISE_DBFS / 20)
    mic[: first.shape[0]] += first
    mic[half : half + second.shape[0]] += second[: n - half]
    r = run(mic, reply, playing_until=reply.shape[0])
    assert r.suppressor.delay is not None and abs(r.suppressor.delay - d2) <= 32
    assert not [e for _, e in r.events if isinstance(e, BargeIn)], r.events


def test_full_mic_path_at_device_rates(reply: np.ndarray, user: np.ndarray) -> None:
    """Device-rate blocks through the pipeline: mic at 44.1 kHz, reply played at 22.05 kHz, the
    reference placed on the mic timeline by the tap; echo 180 ms late and 15 dB down."""
    import soxr

    out_rate, in_rate = 22_050, 44_100
    played = soxr.resample(reply, RATE, out_rate).astype(np.float32)
    echo16, d = room_echo(reply, 180, -15, 13)
    n16 = echo16.shape[0] + RATE
    mic16 = np.random.default_rng(13).standard_normal(n16) * 10 ** (NOISE_DBFS / 20)
    mic16[: echo16.shape[0]] += echo16
    talk = int(7.0 * RATE)
    mic16[talk : talk + user.shape[0]] += user[: n16 - talk]
    mic = soxr.resample(mic16, RATE, in_rate).astype(np.float32)

    pipeline = MicPipeline(in_rate)
    tap = pipeline.reference_tap(out_rate)
    out_block, in_block = out_rate // 100, in_rate // 100
    out_index = 0
    results = []
    for k in range(mic.shape[0] // in_block):
        # The speaker callback runs at the same pace: one 10 ms block each.
        block = played[out_index : out_index + out_block]
        block = np.pad(block, (0, out_block - block.shape[0]))
        tap.add(block, out_index, mic_index=float(k * in_block))
        out_index += out_block
        results += pipeline.push(mic[k * in_block : (k + 1) * in_block], playing=out_index < played.shape[0])
    assert tap.offset is not None and tap.relocks == 0
    hits = [i for i, f in enumerate(results) if isinstance(f.barge_in, BargeIn)]
    onset_frame = (talk + energy_onset(user)) / FRAME
    assert hits, "no barge-in"
    assert onset_frame <= hits[0] <= onset_frame + 15, f"barge-in at frame {hits[0]}, onset {onset_frame:.0f}"
    assert pipeline.echo.delay is not None and abs(pipeline.echo.delay - d) < 16 * 20  # device buffers aside
    echo_only = [f for f in results[: int(onset_frame)] if f.echo.far_active]
    assert len(echo_only) > 200
    assert sum(f.echo.near_end for f in echo_only) == 0
    assert all(f.pcm.dtype == np.int16 and f.pcm.shape == (FRAME,) for f in results)
