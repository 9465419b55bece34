"""``output_modalities: ["text"]``: responses as ``response.output_text.*`` with no audio, for the
session or one ``response.create`` (every event checked against the SDK's types)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app import protocol as p
from app.conversation import CancelTurn, ReplySpeech, ReplyText, SendAudio, StartTurn, Transcribed, TurnFinished
from app.conversation import TurnPredicted as Predicted
from app.realtime.session import Observe
from tests.unit.test_realtime_session import VOICE, Client, committed_story, one, types


def text_session(client: Client, **session: Any) -> dict[str, Any]:
    update = {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"], **session}}
    return one(client.send(update), "session.updated")["session"]


def test_a_text_session_answers_in_text_without_audio() -> None:
    client = Client()
    assert text_session(client)["output_modalities"] == ["text"]
    tid, effects = committed_story(client)
    kinds = types(effects)
    assert one(effects, "response.created")["response"]["output_modalities"] == ["text"]
    assert one(effects, "response.content_part.added")["part"] == {"type": "text", "text": ""}
    assert one(effects, "response.output_text.delta")["delta"] == "Once upon a time, there was a fox."
    assert not [k for k in kinds if k.startswith(("response.output_audio", "response.output_audio_transcript"))]
    done = client.turn(TurnFinished(tid, {}))
    assert types(done) == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    assert one(done, "response.output_text.done")["text"] == "Once upon a time, there was a fox."
    item = one(done, "response.output_item.done")["item"]
    assert item["content"] == [{"type": "output_text", "text": "Once upon a time, there was a fox."}]
    response = one(done, "response.done")["response"]
    assert response["output_modalities"] == ["text"] and response["status"] == "completed"
    retrieve = {"type": "conversation.item.retrieve", "item_id": item["id"]}
    retrieved = one(client.send(retrieve), "conversation.item.retrieved")
    assert retrieved["item"]["content"][0]["type"] == "output_text"


def test_back_to_audio_from_the_next_response() -> None:
    client = Client()
    text_session(client)
    client.send({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio"]}})
    _, effects = committed_story(client)
    assert "response.output_audio.delta" in types(effects) and "response.output_text.delta" not in types(effects)


def test_one_response_in_text_in_an_audio_session() -> None:
    client = Client()
    client.send({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
        "turn_detection": {"type": "server_vad", "create_response": False}}}}})
    effects = client.speak("x" * 20 + "." * 8)
    tid = next(e for e in effects if isinstance(e, StartTurn)).turn_id
    client.turn(Transcribed(tid, "Tell me a story."), ReplyText(tid, "Once."),
                ReplySpeech(tid, "Once.", np.ones(VOICE, dtype=np.int16)), TurnFinished(tid, {}))
    client.speak("." * 60)  # committed at the node's longest wait
    shown = client.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
    assert one(shown, "response.output_text.delta")["delta"] == "Once."
    assert "response.output_audio.delta" not in types(shown)
    assert one(shown, "response.done")["response"]["output_modalities"] == ["text"]


def test_the_beta_modalities_alias() -> None:
    client = Client()
    updated = one(client.send({"type": "session.update", "session": {"modalities": ["text"]}}), "session.updated")
    assert updated["session"]["output_modalities"] == ["text"]
    updated = one(client.send({"type": "session.update", "session": {"modalities": ["text", "audio"]}}),
                  "session.updated")
    assert updated["session"]["output_modalities"] == ["audio"]


@pytest.mark.parametrize("value", [["text", "audio"], ["video"], [], "text"])
def test_other_modalities_are_refused_by_name(value: Any) -> None:
    client = Client()
    error = one(client.send({"type": "session.update", "session": {"output_modalities": value}}), "error")["error"]
    assert error["param"] == "session.output_modalities"
    error = one(client.send({"type": "response.create", "response": {"output_modalities": value}}), "error")["error"]
    assert error["param"] == "response.output_modalities"
    assert one(client.send({"type": "session.update", "session": {}}), "session.updated")["session"][
        "output_modalities"] == ["audio"]  # a refused update changed nothing


def text_turn(client: Client, words: str) -> tuple[StartTurn, list]:
    """A spoken question answered in text: the runner, not speaking, says each clause in no time."""
    effects = client.speak("x" * 20 + "." * 8)
    start = next(e for e in effects if isinstance(e, StartTurn))
    tid = start.turn_id
    effects += client.turn(Transcribed(tid, "Tell me a story."), Predicted(tid, 0.9)) + client.speak("......")
    effects += client.turn(ReplyText(tid, words), ReplySpeech(tid, words, np.zeros(0, dtype=np.int16)))
    return start, effects


def test_a_text_session_turn_is_not_spoken_and_plays_no_audio() -> None:
    client = Client()
    text_session(client)
    start, effects = text_turn(client, "Once upon a time, there was a fox.")
    assert not start.speak  # the runner skips synthesis
    assert not [e for e in effects if isinstance(e, SendAudio)]
    done = client.turn(TurnFinished(start.turn_id, {}))
    [reply_done] = [e.message for e in done if isinstance(e, Observe) and isinstance(e.message, p.ReplyDone)]
    # No audio went out: no echo or backchannel window opens (listening.py), the reply took no time.
    assert reply_done.audio_ms == 0 and reply_done.text == "Once upon a time, there was a fox."


def test_an_audio_session_turn_is_spoken_and_a_text_response_of_it_too() -> None:
    client = Client()
    start = next(e for e in client.speak("x" * 20 + "." * 8) if isinstance(e, StartTurn))
    assert start.speak  # asked for later in text, its audio is made and not sent (docs/realtime.md)


def test_a_cancelled_text_response_keeps_its_words() -> None:
    client = Client()
    text_session(client)
    start, _ = text_turn(client, "Once upon a time, there was a fox.")
    stopped = client.send({"type": "response.cancel"})
    assert CancelTurn(start.turn_id) in stopped
    assert one(stopped, "response.done")["response"]["status"] == "cancelled"
    assert client.rt.history[-1].content == "Once upon a time, there was a fox."  # all of it was shown
