"""The Realtime translator over the sans-I/O session, driven with plain values: Realtime events in,
Realtime events and the session's effects out (every event checked against the openai SDK's types)."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest
from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter

from app.audio import AudioFormat
from app.config import EndpointSettings, ReplySettings
from app.conversation import CancelTurn, ReplySpeech, ReplyText, Session, StartTurn, Transcribed, TurnFinished
from app.conversation import TurnPredicted as Predicted
from app.realtime import codecs
from app.realtime.connection import BINARY_FRAME, append_audio
from app.realtime.session import Observe, RealtimeSession, SendEvent

VOICE = 22_050
LOUD = np.full(480, 3000, dtype=np.int16)  # 20 ms at 24 kHz
QUIET = np.zeros(480, dtype=np.int16)
SERVER_EVENT = TypeAdapter(RealtimeServerEvent)


class LevelVad:
    """Speech is a frame with a loud sample (resampled silence keeps a bit of dither): for tests."""

    def is_speech(self, frame: np.ndarray) -> bool:
        return bool(np.abs(frame).max() > 100)


class Client:
    """A Realtime session and its clock (20 ms of stream per appended frame)."""

    def __init__(self, **endpoint: Any) -> None:
        inner = Session(
            vad=LevelVad(),
            output_format=AudioFormat(VOICE),
            endpoint=EndpointSettings(**{"complete_ms": 240, **endpoint}),
            reply=ReplySettings(),
        )
        self.rt = RealtimeSession(inner, voice_rate=VOICE, model="gpt-realtime")
        self.now = 0.0
        opened = self.rt.start(0.0)
        assert types(opened) == ["session.created"]
        assert any(isinstance(e, Observe) for e in opened)  # the native ready, for the connection's books

    def send(self, event: dict[str, Any]) -> list:
        return self.rt.receive_text(json.dumps(event), self.now)

    def speak(self, script: str) -> list:
        """'x' = a voiced 20 ms append, '.' = a silent one."""
        effects = []
        for ch in script:
            self.now += 0.02
            chunk = (LOUD if ch == "x" else QUIET).tobytes()
            effects += self.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()})
        return effects

    def turn(self, *events: Any) -> list:
        effects = []
        for event in events:
            effects += self.rt.turn_event(event, self.now)
        return effects


def events(effects: list) -> list[dict[str, Any]]:
    found = [e.event for e in effects if isinstance(e, SendEvent)]
    for event in found:
        SERVER_EVENT.validate_python(event)  # the shape the official SDK reads
    return found


def types(effects: list) -> list[str]:
    return [e["type"] for e in events(effects)]


def one(effects: list, kind: str) -> dict[str, Any]:
    found = [e for e in events(effects) if e["type"] == kind]
    assert len(found) == 1, (kind, types(effects))
    return found[0]


def committed_story(client: Client) -> tuple[int, list]:
    """A spoken turn, committed by the endpointing, answered with two clauses of 1 s each."""
    effects = client.speak("x" * 20 + "." * 8)
    assert types(effects)[0] == "input_audio_buffer.speech_started"
    start = next(e for e in effects if isinstance(e, StartTurn))
    tid = start.turn_id
    effects = client.turn(Transcribed(tid, "Tell me a story."), Predicted(tid, 0.9)) + client.speak("......")
    effects += client.turn(
        ReplyText(tid, "Once upon a time, there was a fox."),
        ReplySpeech(tid, "Once upon a time,", np.ones(VOICE, dtype=np.int16)),
        ReplySpeech(tid, "there was a fox.", np.ones(VOICE, dtype=np.int16)),
    )
    return tid, effects


def test_a_spoken_turn_becomes_items_and_an_automatic_response() -> None:
    client = Client()
    tid, effects = committed_story(client)
    kinds = types(effects)
    order = [
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.input_audio_transcription.completed",
        "conversation.item.done",
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_audio_transcript.delta",
        "response.output_audio.delta",
    ]
    assert [k for k in kinds if k in order][: len(order)] == order
    assert one(effects, "conversation.item.input_audio_transcription.completed")["transcript"] == "Tell me a story."
    assert one(effects, "conversation.item.input_audio_transcription.delta")["delta"] == "Tell me a story."
    audio = b"".join(base64.b64decode(e["delta"]) for e in events(effects) if e["type"].endswith("audio.delta"))
    assert 2 * 47_000 <= len(audio) <= 2 * 48_000  # 2 s at 24 kHz, but for the resampler's few held samples
    done = client.turn(TurnFinished(tid, {}))
    kinds = types(done)
    assert kinds[-6:] == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    response = one(done, "response.done")["response"]
    assert response["status"] == "completed" and response["usage"]["total_tokens"] == 0
    assert response["output"][0]["content"][0]["transcript"] == "Once upon a time, there was a fox."
    assert one(done, "response.output_audio_transcript.done")["transcript"] == "Once upon a time, there was a fox."


def test_truncate_is_the_native_interrupt_with_played_ms() -> None:
    client = Client()
    tid, effects = committed_story(client)
    item = one(effects, "response.output_item.added")["item"]["id"]
    stopped = client.send(
        {"type": "conversation.item.truncate", "item_id": item, "content_index": 0, "audio_end_ms": 1500}
    )
    assert CancelTurn(tid) in stopped
    assert one(stopped, "conversation.item.truncated") == {
        **one(stopped, "conversation.item.truncated"),
        "item_id": item,
        "audio_end_ms": 1500,
    }
    response = one(stopped, "response.done")["response"]
    assert response["status"] == "cancelled" and response["status_details"]["reason"] == "client_cancelled"
    assert client.rt.history[-1].content == "Once upon a time, there was"  # what the user heard


def test_truncate_refuses_unknown_items_and_audio_not_sent() -> None:
    client = Client()
    _, effects = committed_story(client)
    item = one(effects, "response.output_item.added")["item"]["id"]
    error = one(
        client.send({"type": "conversation.item.truncate", "item_id": "nope", "content_index": 0, "audio_end_ms": 10}),
        "error",
    )["error"]
    assert error["code"] == "item_not_found" and error["param"] == "item_id"
    error = one(
        client.send(
            {
                "type": "conversation.item.truncate",
                "item_id": item,
                "content_index": 0,
                "audio_end_ms": 9000,
                "event_id": "t1",
            }
        ),
        "error",
    )["error"]
    assert error["param"] == "audio_end_ms" and error["event_id"] == "t1"


def test_cancel_without_a_response_is_response_cancel_not_active() -> None:
    client = Client()
    error = one(client.send({"type": "response.cancel", "event_id": "c1"}), "error")["error"]
    assert (error["code"], error["event_id"]) == ("response_cancel_not_active", "c1")


def test_cancel_stops_the_active_response_and_keeps_what_was_spoken() -> None:
    client = Client()
    tid, _ = committed_story(client)
    stopped = client.send({"type": "response.cancel"})
    assert CancelTurn(tid) in stopped and "conversation.item.truncated" not in types(stopped)
    assert one(stopped, "response.done")["response"]["status"] == "cancelled"
    assert client.rt.history[-1].content == "Once upon a time, there was a fox."
    assert one(client.send({"type": "response.cancel"}), "error")["error"]["code"] == "response_cancel_not_active"


def test_a_second_response_while_one_is_active_is_refused() -> None:
    client = Client()
    committed_story(client)
    error = one(client.send({"type": "response.create"}), "error")["error"]
    assert error["code"] == "conversation_already_has_active_response"


def test_manual_commit_holds_the_reply_until_response_create() -> None:
    client = Client()
    updated = one(
        client.send(
            {"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}}}
        ),
        "session.updated",
    )
    assert updated["session"]["audio"]["input"]["turn_detection"] is None
    assert client.speak("x" * 20 + "...") == []  # held for the commit: no VAD events
    committed = client.send({"type": "input_audio_buffer.commit"})
    assert types(committed) == ["input_audio_buffer.committed", "conversation.item.added"]
    tid = next(e for e in committed if isinstance(e, StartTurn)).turn_id
    heard = client.turn(
        Transcribed(tid, "Tell me a story."),
        ReplyText(tid, "Once."),
        ReplySpeech(tid, "Once.", np.ones(2205, dtype=np.int16)),
    )
    assert "response.created" not in types(heard)  # nobody asked yet
    shown = client.send({"type": "response.create"})
    assert types(shown)[:4] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]
    assert "response.output_audio.delta" in types(shown)
    assert types(client.turn(TurnFinished(tid, {})))[-1] == "response.done"


def test_manual_commit_of_too_little_audio_is_an_error() -> None:
    client = Client()
    client.send({"type": "session.update", "session": {"audio": {"input": {"turn_detection": None}}}})
    client.speak("xx")
    error = one(client.send({"type": "input_audio_buffer.commit"}), "error")["error"]
    assert error["code"] == "input_audio_buffer_commit_empty"
    client.speak("x" * 10)
    assert types(client.send({"type": "input_audio_buffer.clear"})) == ["input_audio_buffer.cleared"]
    assert (
        one(client.send({"type": "input_audio_buffer.commit"}), "error")["error"]["code"]
        == "input_audio_buffer_commit_empty"
    )


def test_create_response_false_waits_for_the_client() -> None:
    client = Client()
    client.send(
        {
            "type": "session.update",
            "session": {"audio": {"input": {"turn_detection": {"type": "server_vad", "create_response": False}}}},
        }
    )
    _, effects = committed_story(client)
    assert "input_audio_buffer.committed" in types(effects) and "response.created" not in types(effects)
    assert "response.output_audio.delta" in types(client.send({"type": "response.create"}))


def test_a_typed_user_message_is_answered_on_response_create() -> None:
    client = Client()
    added = client.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "What is two plus two?"}],
            },
        }
    )
    assert types(added)[:2] == ["conversation.item.added", "conversation.item.done"]
    start = next(e for e in added if isinstance(e, StartTurn))
    assert start.transcript == "What is two plus two?"  # no speech-to-text for typed words
    quiet = client.turn(Transcribed(start.turn_id, "What is two plus two?"), ReplyText(start.turn_id, "Four."))
    assert "conversation.item.input_audio_transcription.completed" not in types(quiet)
    assert client.rt.history[-1].content == "What is two plus two?"  # the typed words, as if heard
    shown = client.send({"type": "response.create"})
    assert one(shown, "response.output_audio_transcript.delta")["delta"] == "Four."


def test_instructions_reach_the_prompt_as_a_system_message() -> None:
    client = Client()
    client.send({"type": "session.update", "session": {"instructions": "Answer like a pirate."}})
    start = next(e for e in client.speak("x" * 20 + "." * 8) if isinstance(e, StartTurn))
    assert start.history[0].role == "system" and start.history[0].content == "Answer like a pirate."


def test_mulaw_output_is_8_khz_bytes() -> None:
    client = Client()
    updated = client.send(
        {"type": "session.update", "session": {"audio": {"output": {"format": {"type": "audio/pcmu"}}}}}
    )
    assert one(updated, "session.updated")["session"]["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    _, effects = committed_story(client)
    audio = b"".join(base64.b64decode(e["delta"]) for e in events(effects) if e["type"].endswith("audio.delta"))
    assert 15_000 <= len(audio) <= 16_000  # 2 s at 8 kHz, one byte a sample


def test_g711_input_is_heard_by_the_endpointing() -> None:
    client = Client()
    client.send({"type": "session.update", "session": {"audio": {"input": {"format": {"type": "audio/pcma"}}}}})
    chunk = codecs.encode(codecs.PCMA, np.full(160, 3000, dtype=np.int16))
    effects = []
    for _ in range(10):
        client.now += 0.02
        effects += client.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()})
    assert "input_audio_buffer.speech_started" in types(effects)


@pytest.mark.parametrize("raw", ["{oops", '{"type": "output_audio_buffer.clear"}', BINARY_FRAME])
def test_bad_events_are_error_events_and_the_session_goes_on(raw: str) -> None:
    client = Client()
    assert types(client.rt.receive_text(raw, 0.0)) == ["error"]
    assert types(client.speak("x" * 10))[0] == "input_audio_buffer.speech_started"


def test_the_socket_hands_an_append_over_as_its_audio() -> None:
    append = json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\x01\x00").decode()})
    assert append_audio(append) == b"\x01\x00"
    assert append_audio('{"type": "input_audio_buffer.append", "audio": "%%"}') is None  # reported by the session
    assert append_audio('{"type": "response.create"}') is None


def test_a_new_turn_closes_the_response_it_supersedes_before_its_own_starts() -> None:
    client = Client()
    first, effects = committed_story(client)
    old = one(effects, "response.created")["response"]["id"]
    client.speak("." * 150)  # 3 s later: a new turn, not a continuation of the first
    start = next(e for e in client.speak("x" * 20 + "." * 8) if isinstance(e, StartTurn))
    effects = client.turn(Transcribed(start.turn_id, "Stop, what time is it?"), Predicted(start.turn_id, 0.9))
    effects += client.speak("......")
    assert CancelTurn(first) in effects
    kinds = types(effects)
    done = one(effects, "response.done")["response"]
    assert (done["id"], done["status"], done["status_details"]["reason"]) == (old, "cancelled", "turn_detected")
    assert kinds.index("response.done") < kinds.index("response.created")  # one response at a time
    late = client.turn(ReplyText(first, "More of the story."))
    assert events(late) == []  # the superseded response says no more


def test_retrieve_returns_the_item_as_last_told_and_refuses_unknown_ones() -> None:
    client = Client()
    tid, effects = committed_story(client)
    user = one(effects, "input_audio_buffer.committed")["item_id"]
    assistant = one(effects, "response.output_item.added")["item"]["id"]
    client.turn(TurnFinished(tid, {}))
    item = one(client.send({"type": "conversation.item.retrieve", "item_id": user}), "conversation.item.retrieved")
    assert item["item"]["content"][0]["transcript"] == "Tell me a story."
    item = one(client.send({"type": "conversation.item.retrieve", "item_id": assistant}), "conversation.item.retrieved")
    assert item["item"]["status"] == "completed"
    assert item["item"]["content"][0]["transcript"] == "Once upon a time, there was a fox."
    error = one(client.send({"type": "conversation.item.retrieve", "item_id": "nope"}), "error")["error"]
    assert (error["code"], error["param"]) == ("item_retrieve_invalid_item_id", "item_id")  # OpenAI's (Pipecat's)
