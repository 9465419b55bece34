"""Property-based: any sequence of Realtime client events, well-formed or not, interleaved with
the runner's events, leaves the translator answering with events the SDK can read; it never
raises and never reports a bug of its own (``internal``)."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter

from app.audio import AudioFormat
from app.config import EndpointSettings, ReplySettings
from app.conversation import FunctionCalled, ReplySpeech, ReplyText, Session, StartTurn, Transcribed, TurnFinished
from app.realtime.session import RealtimeSession, SendEvent

SERVER_EVENT = TypeAdapter(RealtimeServerEvent)
LOUD = base64.b64encode(np.full(2400, 3000, dtype=np.int16).tobytes()).decode()  # 100 ms at 24 kHz
QUIET = base64.b64encode(np.zeros(2400, dtype=np.int16).tobytes()).decode()
WEATHER = {"type": "function", "name": "get_weather", "description": "Get the weather for a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
LAST_CALL = "<the latest call_id>"
LAST_ITEM = "<the latest item id>"


class LevelVad:
    def is_speech(self, frame: np.ndarray) -> bool:
        return bool(np.abs(frame).max() > 100)


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5000),
    st.text(max_size=8),
    st.sampled_from(["audio/pcm", "audio/pcmu", "server_vad", "item_x", "resp_x"]),
)
detection = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["server_vad", "semantic_vad", "x"])},
        optional={"create_response": values, "interrupt_response": values, "silence_duration_ms": values,
                  "prefix_padding_ms": values,
                  "threshold": st.one_of(values, st.floats(-1, 2)), "eagerness": st.sampled_from(["low", "high", "x"])},
    ),
)
modalities = st.sampled_from([["text"], ["audio"], ["text", "audio"], "text", None])
client_events = st.one_of(
    st.builds(lambda a: {"type": "input_audio_buffer.append", "audio": a}, st.sampled_from([LOUD, QUIET, "%%", ""])),
    st.just({"type": "input_audio_buffer.commit"}),
    st.just({"type": "input_audio_buffer.clear"}),
    st.just({"type": "response.create"}),
    st.builds(lambda m: {"type": "response.create", "response": {"output_modalities": m}}, modalities),
    st.builds(lambda i: {"type": "response.create", "response": {"instructions": i}}, values),
    st.builds(lambda m: {"type": "session.update", "session": {"output_modalities": m}}, modalities),
    st.builds(lambda i: {"type": "conversation.item.retrieve", "item_id": i}, values),
    st.builds(lambda i: {"type": "conversation.item.delete", "item_id": i}, st.one_of(values, st.just(LAST_ITEM))),
    st.builds(lambda r: {"type": "response.cancel", "response_id": r}, values),
    st.builds(
        lambda i, e: {"type": "conversation.item.truncate", "item_id": i, "content_index": 0, "audio_end_ms": e},
        values,
        values,
    ),
    st.builds(
        lambda t: {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": t}]},
        },
        st.sampled_from(["Hi there.", "", "What is two plus two?"]),
    ),
    st.builds(
        lambda d, f: {
            "type": "session.update",
            "session": {"audio": {"input": {"turn_detection": d}, "output": {"format": {"type": f}}}},
        },
        detection,
        st.sampled_from(["audio/pcm", "audio/pcma", "audio/opus"]),
    ),
    st.builds(
        lambda c: {"type": "session.update", "session": {"tools": [WEATHER], "tool_choice": c}},
        st.sampled_from(["auto", "none", "required", {"type": "function", "name": "get_weather"}, "x", None]),
    ),
    st.builds(
        lambda c, o: {"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": c,
                                                                    "output": o}},
        st.sampled_from([LAST_CALL, LAST_CALL, "call_x", 7]),
        st.sampled_from(['{"sky": "sunny"}', "", None]),
    ),
    st.builds(lambda k, v: {"type": k, "x": v}, st.text(max_size=30), values),
)
runner = st.sampled_from(["transcribed", "asked", "called", "text", "speech", "finished"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(client_events, runner), max_size=40))
def test_any_event_sequence_is_answered_with_valid_events(steps: list[Any]) -> None:
    inner = Session(
        vad=LevelVad(),
        output_format=AudioFormat(22_050),
        endpoint=EndpointSettings(complete_ms=240),
        reply=ReplySettings(),
    )
    session = RealtimeSession(inner, voice_rate=22_050)
    effects = session.start(0.0)
    turns: list[int] = []
    call_id = "call_none"
    item_id = "item_none"
    now = 0.0
    for step in steps:
        now += 0.1
        if isinstance(step, dict):
            text = json.dumps(step).replace(LAST_CALL, call_id).replace(LAST_ITEM, item_id)
            effects = session.receive_text(text, now)
        elif turns:
            tid = turns[-1]
            event = {
                "transcribed": Transcribed(tid, "Tell me a story."),
                "asked": Transcribed(tid, "What's the weather in Paris?"),
                "called": FunctionCalled(tid, "get_weather", '{"city": "Paris"}'),
                "text": ReplyText(tid, "Once."),
                "speech": ReplySpeech(tid, "Once.", np.ones(2205, dtype=np.int16)),
                "finished": TurnFinished(tid, {}),
            }[step]
            effects = session.turn_event(event, now)
        else:
            continue
        turns += [e.turn_id for e in effects if isinstance(e, StartTurn)]
        for effect in effects:
            if isinstance(effect, SendEvent):
                SERVER_EVENT.validate_python(effect.event)
                call_id = effect.event.get("item", {}).get("call_id") or call_id
                item_id = effect.event.get("item", {}).get("id") or item_id
                assert effect.event.get("error", {}).get("code") != "internal", effect.event
