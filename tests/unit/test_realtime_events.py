"""Realtime client events: parsed into typed values, every bad input a RealtimeError with a param."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import TypeAdapter

from app.realtime import events as rt
from app.realtime import server_events as ev
from app.realtime.codecs import PCM24, PCMA, PCMU


def parse(event: dict) -> rt.ClientEvent:
    return rt.parse(json.dumps(event))


def refused(event: dict | str) -> rt.RealtimeError:
    with pytest.raises(rt.RealtimeError) as info:
        rt.parse(event if isinstance(event, str) else json.dumps(event))
    return info.value


def test_ga_session_update() -> None:
    update = parse(
        {
            "type": "session.update",
            "event_id": "e1",
            "session": {
                "type": "realtime",
                "instructions": "Be brief.",
                "model": "gpt-realtime",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcmu"},
                        "turn_detection": {"type": "semantic_vad", "eagerness": "high", "create_response": False},
                    },
                    "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
                },
            },
        }
    )
    assert isinstance(update, rt.SessionUpdate) and update.event_id == "e1"
    assert update.instructions == "Be brief." and update.input_format is PCMU and update.output_format is PCM24
    detection = update.turn_detection
    assert detection is not None and detection.type == "semantic_vad" and not detection.create_response
    assert detection.interrupt_response and detection.settings == {"eagerness": "high"}
    assert not rt.SessionUpdate(None).changes("instructions")


def test_beta_session_shape_is_an_alias() -> None:
    update = parse(
        {
            "type": "session.update",
            "session": {"input_audio_format": "g711_alaw", "output_audio_format": "pcm16", "turn_detection": None},
        }
    )
    assert isinstance(update, rt.SessionUpdate)
    assert update.input_format is PCMA and update.output_format is PCM24 and update.turn_detection is None


@pytest.mark.parametrize(
    ("session", "code", "param"),
    [
        ({"type": "transcription"}, "invalid_value", "session.type"),
        (
            {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}},
            "invalid_value",
            "session.audio.input.format.rate",
        ),
        (
            {"audio": {"output": {"format": {"type": "audio/opus"}}}},
            "invalid_value",
            "session.audio.output.format.type",
        ),
        (
            {"audio": {"input": {"turn_detection": {"type": "push_to_talk"}}}},
            "invalid_value",
            "session.audio.input.turn_detection.type",
        ),
        (
            {"audio": {"input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": "long"}}}},
            "invalid_type",
            "session.audio.input.turn_detection.silence_duration_ms",
        ),
        (
            {"audio": {"input": {"turn_detection": {"type": "server_vad", "create_response": 1}}}},
            "invalid_type",
            "session.audio.input.turn_detection.create_response",
        ),
        ({"instructions": 7}, "invalid_type", "session.instructions"),
        ({"instructions": "x" * 5000}, "invalid_value", "session.instructions"),
        ({"tools": [{"type": "mcp", "server_label": "x"}]}, "unsupported_parameter", "session.tools[0].type"),
        ({"input_audio_format": "mp3"}, "invalid_value", "session.input_audio_format"),
    ],
)
def test_bad_session_updates_name_their_parameter(session: dict, code: str, param: str) -> None:
    error = refused({"type": "session.update", "event_id": "e9", "session": session})
    assert (error.code, error.param, error.event_id) == (code, param, "e9")


def test_append_decodes_base64_and_refuses_what_is_not() -> None:
    event = parse({"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\x01\x02").decode()})
    assert isinstance(event, rt.Append) and event.audio == b"\x01\x02"
    assert refused({"type": "input_audio_buffer.append", "audio": "not base64!"}).param == "audio"
    assert refused({"type": "input_audio_buffer.append"}).code == "missing_required_parameter"


def test_item_create_takes_user_text_and_function_outputs_only() -> None:
    event = parse(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "id": "mine",
                "content": [{"type": "input_text", "text": " Hi there "}],
            },
        }
    )
    assert isinstance(event, rt.ItemCreate) and event.text == "Hi there" and event.item_id == "mine"
    call = {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}
    assert refused({"type": "conversation.item.create", "item": call}).code == "unsupported_item"
    system = {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "x"}]}
    assert refused({"type": "conversation.item.create", "item": system}).param == "item.role"
    audio = {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": ""}]}
    assert refused({"type": "conversation.item.create", "item": audio}).code == "unsupported_content"


def test_truncate_fields() -> None:
    event = parse({"type": "conversation.item.truncate", "item_id": "item_1", "content_index": 0, "audio_end_ms": 1500})
    assert event == rt.Truncate(None, "item_1", 0, 1500)
    assert (
        refused({"type": "conversation.item.truncate", "item_id": "i", "content_index": 1, "audio_end_ms": 5}).param
        == "content_index"
    )
    assert (
        refused({"type": "conversation.item.truncate", "item_id": "i", "content_index": 0, "audio_end_ms": -5}).param
        == "audio_end_ms"
    )
    assert (
        refused({"type": "conversation.item.truncate", "item_id": "i", "content_index": 0, "audio_end_ms": True}).code
        == "invalid_type"
    )


def test_response_events() -> None:
    assert parse({"type": "response.create", "response": {"instructions": "x"}}) == rt.ResponseCreate(
        None, instructions="x")
    assert parse({"type": "response.create", "response": {"instructions": None}}) == rt.ResponseCreate(None)
    for bad, code in ((7, "invalid_type"), ("x" * 4001, "invalid_value")):
        error = refused({"type": "response.create", "response": {"instructions": bad}})
        assert (error.code, error.param) == (code, "response.instructions")
    assert parse({"type": "response.cancel", "response_id": "r"}) == rt.ResponseCancel(None, "r")
    assert parse({"type": "input_audio_buffer.commit", "event_id": "c"}) == rt.Commit("c")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{oops", "invalid_json"),
        ("[1]", "invalid_type"),
        ('{"no": "type"}', "missing_required_parameter"),
        ('{"type": "dance"}', "invalid_value"),
        ('{"type": "output_audio_buffer.clear"}', "unsupported_event"),
        ('{"type": "conversation.item.delete"}', "missing_required_parameter"),
    ],
)
def test_malformed_events(raw: str, code: str) -> None:
    assert refused(raw).code == code


def test_error_event_has_openai_shape_and_validates_with_the_sdk() -> None:
    from openai.types.realtime import RealtimeServerEvent

    error = rt.RealtimeError("invalid_value", "bad", param="audio", event_id="e3")
    event = {**ev.error(error), "event_id": "event_1"}
    assert event["error"] == {
        "type": "invalid_request_error",
        "code": "invalid_value",
        "message": "bad",
        "param": "audio",
        "event_id": "e3",
    }
    TypeAdapter(RealtimeServerEvent).validate_python(event)
