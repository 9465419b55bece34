"""The noise gate beside webrtcvad: speech must stand out of the microphone's own floor."""

from __future__ import annotations

import numpy as np

from app.config import EndpointSettings
from app.speech_gate import SpeechGate, frame_dbfs
from app.turn_policy import adds_words

RNG = np.random.default_rng(5)


def noise(dbfs: float, frames: int = 1) -> np.ndarray:
    x = RNG.standard_normal(320 * frames) * 32767 * 10 ** (dbfs / 20)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def test_frame_level_is_rms_in_dbfs() -> None:
    assert abs(frame_dbfs(noise(-40)) - -40) < 1
    assert frame_dbfs(np.zeros(320, np.int16)) == -100


def test_noise_the_vad_calls_speech_never_opens_speech_once_the_floor_is_known() -> None:
    gate = SpeechGate(EndpointSettings())
    verdicts = [gate.passes(noise(-35), True) for _ in range(400)]  # 8 s, webrtcvad fooled throughout
    assert not any(verdicts[300:])  # at the latest once the all-audio floor bound applies
    assert gate.floor_dbfs is not None and abs(gate.floor_dbfs - -35) < 2


def test_speech_over_the_floor_starts_goes_on_softly_and_ends_at_the_floor() -> None:
    gate = SpeechGate(EndpointSettings())
    for _ in range(50):
        assert not gate.passes(noise(-50), False)
    assert not gate.passes(noise(-48), True)  # 2 dB over the floor: not an onset
    assert gate.passes(noise(-30), True)  # 20 dB over: speech starts
    assert gate.passes(noise(-47), True)  # 3 dB over: a soft consonant inside speech goes on
    assert not gate.passes(noise(-50), True)  # back at the floor: webrtcvad's hangover is not speech
    assert gate.passes(noise(-45), True)  # a soft frame right after a dip (a stop's closure) goes on
    for _ in range(5):
        assert not gate.passes(noise(-50), True)  # 100 ms at the floor: the speech is over
    assert not gate.passes(noise(-45), True)  # and 5 dB is not enough to start again


def test_noise_that_swings_must_be_outdone_by_its_loud_moments_not_its_floor() -> None:
    gate = SpeechGate(EndpointSettings())
    for i in range(300):  # typing-like: levels swinging between -50 and -38 dBFS, heard as noise
        gate.passes(noise(-50 + 12 * (i % 7) / 6), False)
    assert not gate.passes(noise(-40), True)  # 10 dB over the floor, but no louder than the noise gets
    assert gate.passes(noise(-30), True)  # speech well over the noise's loud moments starts
    assert not gate.passes(noise(-40), True)  # and a loud moment of the noise does not carry it on


def test_steady_noise_lets_soft_speech_through_at_a_low_snr() -> None:
    gate = SpeechGate(EndpointSettings())
    for _ in range(200):
        gate.passes(noise(-30), False)  # white noise at -30 dBFS: its frames vary by a dB
    assert gate.passes(noise(-22), True)  # 8 dB over: a vowel starts speech
    assert gate.passes(noise(-28), True)  # 2 dB over: a soft consonant goes on


def test_a_floor_that_steps_up_is_followed() -> None:
    gate = SpeechGate(EndpointSettings())
    for _ in range(100):
        gate.passes(noise(-60), False)
    opened = [gate.passes(noise(-35), True) for _ in range(600)]  # a fan, called speech by webrtcvad
    assert opened[0] and not any(opened[-100:])


def test_a_continuation_must_add_words() -> None:
    assert not adds_words("Remind me to call my sister.", "Remind me to call my sister")
    assert not adds_words("Remind me to call my sister.", "Remind me to call my sister. You")
    assert adds_words("Remind me to call my sister.", "Remind me to call my sister after work.")
    assert adds_words(None, "Hello there")
