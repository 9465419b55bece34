"""``interrupt_response: false``: the user's next turn does not stop the reply being made; it is
answered after it, its response after the first's ``response.done``, and the history in order."""

from __future__ import annotations

import numpy as np

from app.chat import ChatMessage
from app.conversation import CancelTurn, ReplySpeech, ReplyText, StartTurn, Transcribed, TurnFinished
from app.conversation import TurnPredicted as Predicted
from tests.unit.test_realtime_session import VOICE, Client, committed_story, one, types


def no_interrupt(client: Client) -> None:
    detection = {"type": "server_vad", "interrupt_response": False}
    updated = client.send({"type": "session.update", "session": {"audio": {"input": {"turn_detection": detection}}}})
    assert one(updated, "session.updated")["session"]["audio"]["input"]["turn_detection"]["interrupt_response"] is False


def second_question(client: Client) -> tuple[int, list]:
    client.speak("." * 150)  # 3 s later: a new turn, not a continuation nor an echo of the reply
    start = next(e for e in client.speak("x" * 20 + "." * 8) if isinstance(e, StartTurn))
    effects = client.turn(Transcribed(start.turn_id, "What time is it?"), Predicted(start.turn_id, 0.9))
    return start.turn_id, effects + client.speak("......")


def test_the_next_turn_waits_for_the_reply_being_made() -> None:
    client = Client()
    no_interrupt(client)
    first, effects = committed_story(client)
    old = one(effects, "response.created")["response"]["id"]
    second, effects = second_question(client)
    assert CancelTurn(first) not in effects and "response.done" not in types(effects)  # the story goes on
    assert one(effects, "conversation.item.input_audio_transcription.completed")["transcript"] == "What time is it?"
    assert "response.created" not in types(effects)  # one response at a time
    held = client.turn(ReplyText(second, "It is noon."), ReplySpeech(second, "It is noon.", np.ones(VOICE, np.int16)))
    assert types(held) == []
    effects = client.turn(ReplyText(first, " The end."), ReplySpeech(first, "The end.", np.ones(VOICE, np.int16)))
    assert one(effects, "response.output_audio_transcript.delta")["delta"] == " The end."
    effects = client.turn(TurnFinished(first, {}))
    kinds = types(effects)
    done = [e for e in effects if getattr(e, "event", {}).get("type") == "response.done"]
    assert done[0].event["response"]["id"] == old and done[0].event["response"]["status"] == "completed"
    assert kinds.index("response.done") < kinds.index("response.created")  # then the second response starts
    assert one(effects, "response.output_audio_transcript.delta")["delta"] == "It is noon."
    assert "response.output_audio.delta" in kinds[kinds.index("response.created"):]
    finished = client.turn(TurnFinished(second, {}))
    assert one(finished, "response.done")["response"]["status"] == "completed"
    assert client.rt.history == [
        ChatMessage("user", "Tell me a story."),
        ChatMessage("assistant", "Once upon a time, there was a fox. The end."),
        ChatMessage("user", "What time is it?"),
        ChatMessage("assistant", "It is noon."),
    ]


def test_a_reply_made_in_full_is_not_stopped_and_the_next_one_follows_at_once() -> None:
    client = Client()
    no_interrupt(client)
    first, _ = committed_story(client)
    client.turn(TurnFinished(first, {}))
    _, effects = second_question(client)
    assert "response.created" in types(effects)  # nothing in progress: answered as usual
    assert "response.done" not in types(effects)


def test_with_interrupt_response_the_next_turn_still_stops_the_reply() -> None:
    client = Client()
    no_interrupt(client)
    detection = {"type": "server_vad", "interrupt_response": True}
    client.send({"type": "session.update", "session": {"audio": {"input": {"turn_detection": detection}}}})
    first, _ = committed_story(client)
    _, effects = second_question(client)
    assert CancelTurn(first) in effects
    assert one(effects, "response.done")["response"]["status_details"]["reason"] == "turn_detected"


def test_turns_wait_in_line_and_a_cancel_lets_the_next_one_go() -> None:
    client = Client()
    no_interrupt(client)
    first, _ = committed_story(client)
    second, _ = second_question(client)
    client.turn(ReplyText(second, "It is noon."), TurnFinished(second, {}))  # made in full, held
    client.speak("." * 150)
    start = next(e for e in client.speak("x" * 20 + "." * 8) if isinstance(e, StartTurn))
    third = start.turn_id
    client.turn(Transcribed(third, "And the date?"), Predicted(third, 0.9))
    client.speak("......")
    client.turn(ReplyText(third, "It is Monday."))
    assert CancelTurn(first) not in client.turn(TurnFinished(third, {}))
    stopped = client.send({"type": "response.cancel"})  # the story, the one in progress
    assert CancelTurn(first) in stopped
    kinds = types(stopped)
    assert [k for k in kinds if k in ("response.created", "response.done")] == [
        "response.done", "response.created", "response.done", "response.created", "response.done"]
    assert [m.content for m in client.rt.history] == [
        "Tell me a story.", "Once upon a time, there was a fox.", "What time is it?", "It is noon.", "And the date?",
        "It is Monday."]
