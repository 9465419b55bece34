"""``input_audio_buffer.clear`` with turn detection off: the cleared audio is the user's time all
the same, so the node's stream clock moves on by it and a later question is not taken for the
continuation of the one before (continuation.py merges only speech soon after a turn)."""

from __future__ import annotations

import numpy as np

from app.chat import ChatMessage
from app.conversation import ReplySpeech, ReplyText, StartTurn, Transcribed, TurnFinished
from tests.unit.test_realtime_session import VOICE, Client, one, types


def manual(client: Client) -> None:
    off = {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
    assert "session.updated" in types(client.send({"type": "session.update", "session": off}))


def commit(client: Client, script: str) -> StartTurn:
    client.speak(script)
    committed = client.send({"type": "input_audio_buffer.commit"})
    assert "input_audio_buffer.committed" in types(committed), types(committed)
    [start] = [e for e in committed if isinstance(e, StartTurn)]
    return start


def answered(client: Client, start: StartTurn, question: str, reply: str) -> None:
    tid = start.turn_id
    client.turn(Transcribed(tid, question), ReplyText(tid, reply),
                ReplySpeech(tid, reply, np.ones(VOICE // 2, dtype=np.int16)), TurnFinished(tid, {}))


def test_a_question_after_cleared_audio_is_a_turn_of_its_own() -> None:
    client = Client()
    manual(client)
    first = commit(client, "x" * 20 + "...")
    client.send({"type": "response.create"})
    answered(client, first, "What time is it?", "It is noon.")
    client.speak("x" * 200)  # 4 s the user spoke over the reply, then dropped (a barge-in the client handled)
    assert types(client.send({"type": "input_audio_buffer.clear"})) == ["input_audio_buffer.cleared"]
    second = commit(client, "x" * 20 + "...")
    assert second.audio.shape[0] < 2 * first.audio.shape[0]  # not the first question's audio and this one's
    assert second.history == (ChatMessage("user", "What time is it?"), ChatMessage("assistant", "It is noon."))
    effects = client.turn(Transcribed(second.turn_id, "And in Tokyo?"))
    assert "conversation.item.deleted" not in types(effects)  # the first turn stays
    assert one(effects, "conversation.item.input_audio_transcription.completed")["transcript"] == "And in Tokyo?"


def test_speech_right_after_a_commit_still_continues_it() -> None:
    """Without cleared audio in between, the clock is unchanged: a pause the client cut too early is repaired."""
    client = Client()
    manual(client)
    first = commit(client, "x" * 20 + "...")
    answered(client, first, "What time is it", "It is noon.")
    second = commit(client, "x" * 20 + "...")
    assert second.audio.shape[0] > first.audio.shape[0] and second.history == ()  # merged into the first
