"""``response.create`` with nothing new to answer (Pipecat's ``LLMRunFrame`` on an empty context,
LiveKit's ``generate_reply(instructions=...)``): a turn answered from the history alone, and a
response's own ``instructions`` (every event checked against the SDK's types)."""

from __future__ import annotations

import numpy as np

from app.chat import ChatMessage
from app.conversation import ReplySpeech, ReplyText, StartTurn, TurnFinished
from tests.unit.test_realtime_session import VOICE, Client, committed_story, one, types


def started(effects: list) -> StartTurn:
    [start] = [e for e in effects if isinstance(e, StartTurn)]
    return start


def test_a_fresh_session_greets_when_asked() -> None:
    client = Client()
    create = {"type": "response.create", "event_id": "r1",
              "response": {"instructions": "Greet the user.", "metadata": {"client_event_id": "r1"}}}
    effects = client.send(create)
    assert "error" not in types(effects)
    start = started(effects)
    assert start.from_history and start.speak and start.transcript is None and start.functions is None
    assert start.history == (ChatMessage("system", "Greet the user."),)  # nothing else: an empty conversation
    tid = start.turn_id
    effects += client.turn(ReplyText(tid, "Hello! How can I help?"),
                           ReplySpeech(tid, "Hello! How can I help?", np.ones(VOICE, dtype=np.int16)))
    kinds = types(effects)
    assert kinds[:4] == ["response.created", "response.output_item.added", "conversation.item.added",
                         "response.content_part.added"]
    assert "response.output_audio.delta" in kinds
    assert one(effects, "response.output_audio_transcript.delta")["delta"] == "Hello! How can I help?"
    assert one(effects, "response.created")["response"]["metadata"] == {"client_event_id": "r1"}
    done = client.turn(TurnFinished(tid, {}))
    response = one(done, "response.done")["response"]
    assert response["status"] == "completed" and response["metadata"] == {"client_event_id": "r1"}
    assert not [k for k in types(effects + done) if k.startswith(("input_audio_buffer", "conversation.item.input"))]
    assert client.rt.history == [ChatMessage("assistant", "Hello! How can I help?")]  # no user message


def test_an_empty_context_with_no_instructions_is_answered_too() -> None:
    """Pipecat's ``LLMRunFrame`` on a system-only context: the system message became the session's instructions."""
    client = Client()
    client.send({"type": "session.update", "session": {"type": "realtime", "instructions": "You are a concierge."}})
    start = started(client.send({"type": "response.create"}))
    assert start.from_history and start.history == (ChatMessage("system", "You are a concierge."),)


def test_after_an_answered_turn_the_history_is_answered_again() -> None:
    client = Client()
    tid, _ = committed_story(client)
    client.turn(TurnFinished(tid, {}))
    start = started(client.send({"type": "response.create", "response": {"instructions": "Ask a follow-up."}}))
    assert start.from_history
    assert start.history == (ChatMessage("system", "Ask a follow-up."), ChatMessage("user", "Tell me a story."),
                             ChatMessage("assistant", "Once upon a time, there was a fox."))


def test_a_responses_instructions_replace_the_sessions_for_that_response_only() -> None:
    client = Client()
    client.send({"type": "session.update", "session": {"type": "realtime", "instructions": "Be brief."}})
    start = started(client.send({"type": "response.create", "response": {"instructions": "Say goodbye."}}))
    assert start.history == (ChatMessage("system", "Say goodbye."),)  # OpenAI's rule: instead of the session's
    client.turn(ReplyText(start.turn_id, "Bye."), TurnFinished(start.turn_id, {}))
    client.speak("." * 100)
    spoken = started(client.speak("x" * 20 + "." * 8))  # the user's next turn: the session's instructions again
    assert spoken.history[0] == ChatMessage("system", "Be brief.")


def test_one_response_at_a_time() -> None:
    client = Client()
    started(client.send({"type": "response.create"}))
    error = one(client.send({"type": "response.create", "event_id": "again"}), "error")["error"]
    assert (error["code"], error["event_id"]) == ("conversation_already_has_active_response", "again")


def test_a_greeting_is_cancelled_like_any_response() -> None:
    client = Client()
    tid = started(client.send({"type": "response.create"})).turn_id
    client.turn(ReplyText(tid, "Hello there."), ReplySpeech(tid, "Hello there.", np.ones(VOICE, dtype=np.int16)))
    stopped = client.send({"type": "response.cancel"})
    assert one(stopped, "response.done")["response"]["status"] == "cancelled"
    assert client.rt.history == [ChatMessage("assistant", "Hello there.")]


def test_a_text_response_from_the_history_is_not_spoken() -> None:
    client = Client()
    start = started(client.send({"type": "response.create", "response": {"output_modalities": ["text"]}}))
    assert not start.speak
    tid = start.turn_id
    effects = client.turn(ReplyText(tid, "Hi!"), ReplySpeech(tid, "Hi!", np.zeros(0, dtype=np.int16)),
                          TurnFinished(tid, {}))
    assert one(effects, "response.output_text.delta")["delta"] == "Hi!"
    assert one(effects, "response.done")["response"]["output_modalities"] == ["text"]
