"""Wire messages: every type round-trips, and every bad input raises a ProtocolError with a stable code."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app import protocol as p

SAMPLES = [
    p.Hello(), p.Hello(pipeline="naive", client="x", session_id="abcdefghijklmnop"),
    p.Interrupt(turn_id=3, played_ms=120.5), p.Commit(), p.Reset(), p.Forget(), p.GetHistory(),
    p.Hello(timezone="Europe/Paris"), p.CancelTimer(id="t1"),
]
SERVER_SAMPLES = [
    p.Ready(session_id="abc", input={"sample_rate": 16000}, output={"sample_rate": 22050}, resumed=True),
    p.History(messages=[{"role": "user", "content": "hi"}]), p.Forgotten(session_id="abc"),
    p.SpeechStarted(at_ms=10.0), p.SpeechStopped(at_ms=1200.0, turn_id=2), p.Transcript(turn_id=1, text="hi"),
    p.ReplyDelta(turn_id=1, text="Sure"), p.ReplyDone(turn_id=1, text="Sure.", audio_ms=800.0, truncated=True),
    p.Interrupted(turn_id=1, heard_text="Sure", played_ms=300.0),
    p.TurnTiming(turn_id=1, stages={"stt_ms": 40.0}),
    p.Timers(timers=[{"id": "t1", "kind": "timer", "label": "", "due_ms": 1.0e12, "duration_ms": 10000.0}]),
    p.TimerFired(id="t1", label="tea", text="Your tea timer is done.", turn_id=4, late_ms=1500.0),
    p.Error(code="bad_json", message="x", turn_id=None),
    p.Error(code="busy", message="full", fatal=True, retry_after_ms=5000),
]


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: m.type)
def test_client_messages_round_trip(message: p.Message) -> None:
    assert p.decode_client_message(message.encode()) == message


@pytest.mark.parametrize("message", SERVER_SAMPLES, ids=lambda m: m.type)
def test_server_messages_round_trip(message: p.Message) -> None:
    assert p.decode_server_message(message.encode()) == message


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(p.ProtocolError):
        p.decode_client_message(json.dumps({"type": "hello", "protocol": 1, "sample_rate": 16000,
                                            "timezone": "Mars/Olympus_Mons"}))


def test_every_message_type_is_covered_by_a_round_trip() -> None:
    assert {m.type for m in SAMPLES} == set(p.CLIENT_MESSAGES)
    assert {m.type for m in SERVER_SAMPLES} == set(p.SERVER_MESSAGES)


def test_reply_audio_round_trip() -> None:
    pcm = np.arange(-5, 5, dtype="<i2").tobytes()
    frame = p.ReplyAudio(turn_id=7, seq=42, pcm=pcm)
    assert p.ReplyAudio.decode(frame.encode()) == frame


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", p.ErrorCode.BAD_JSON),
        ("[1, 2]", p.ErrorCode.BAD_MESSAGE),
        ('{"no_type": 1}', p.ErrorCode.BAD_MESSAGE),
        ('{"type": "launch_rockets"}', p.ErrorCode.UNKNOWN_TYPE),
        ('{"type": "hello", "protocol": "1", "sample_rate": 16000}', p.ErrorCode.BAD_MESSAGE),
        ('{"type": "hello", "sample_rate": 16000}', p.ErrorCode.BAD_MESSAGE),
        ('{"type": "hello", "protocol": 1, "sample_rate": true}', p.ErrorCode.BAD_MESSAGE),
        ('{"type": "hello", "protocol": 1, "sample_rate": 16000, "pipeline": "warp"}', p.ErrorCode.BAD_MESSAGE),
        ('{"type": "interrupt", "turn_id": 1, "played_ms": -4}', p.ErrorCode.BAD_MESSAGE),
        ("x" * (p.MAX_TEXT_MESSAGE_BYTES + 1), p.ErrorCode.TEXT_TOO_LARGE),
    ],
)
def test_bad_client_text_raises_with_code(raw: str, code: str) -> None:
    with pytest.raises(p.ProtocolError) as info:
        p.decode_client_message(raw)
    assert info.value.code == code
    assert info.value.message


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    raw = json.dumps({"type": "hello", "protocol": 1, "sample_rate": 16000, "future": {"x": 1}})
    assert p.decode_client_message(raw) == p.Hello()


def test_odd_length_audio_is_misaligned() -> None:
    with pytest.raises(p.ProtocolError) as info:
        p.decode_client_audio(b"\x00\x01\x02")
    assert info.value.code == p.ErrorCode.MISALIGNED_AUDIO
    assert info.value.close_code is None


def test_oversized_audio_closes_with_1009() -> None:
    with pytest.raises(p.ProtocolError) as info:
        p.decode_client_audio(bytes(p.MAX_AUDIO_FRAME_BYTES + 2))
    assert info.value.code == p.ErrorCode.FRAME_TOO_LARGE
    assert info.value.close_code == p.CloseCode.MESSAGE_TOO_BIG


def test_audio_decodes_little_endian_int16() -> None:
    assert p.decode_client_audio(b"\x01\x00\xff\xff").tolist() == [1, -1]


@pytest.mark.parametrize("raw", [b"EVR1", b"XXXX" + bytes(10), b"EVR1" + bytes(9)])
def test_bad_reply_audio_frames_raise(raw: bytes) -> None:
    with pytest.raises(p.ProtocolError):
        p.ReplyAudio.decode(raw)
