"""``conversation.item.delete``: a user or assistant item leaves the native history (and the store),
answered by ``conversation.item.deleted`` (checked against the SDK's types); bad ones are errors."""

from __future__ import annotations

from typing import Any

from app.conversation import ReplyText, SaveSession, StartTurn, Transcribed, TurnFinished
from tests.unit.test_realtime_session import Client, committed_story, one, types


def story(client: Client) -> tuple[str, str]:
    """An answered spoken turn: the user's item and the assistant's."""
    tid, effects = committed_story(client)
    user = one(effects, "input_audio_buffer.committed")["item_id"]
    assistant = one(effects, "response.output_item.added")["item"]["id"]
    client.turn(TurnFinished(tid, {}))
    return user, assistant


def delete(client: Client, item_id: str, **extra: Any) -> list:
    return client.send({"type": "conversation.item.delete", "item_id": item_id, **extra})


def said(client: Client) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in client.rt.history]


def test_deleting_the_users_item_takes_it_out_of_the_history_and_the_store() -> None:
    client = Client()
    user, _ = story(client)
    assert said(client) == [("user", "Tell me a story."), ("assistant", "Once upon a time, there was a fox.")]
    effects = delete(client, user, event_id="d1")
    assert one(effects, "conversation.item.deleted")["item_id"] == user
    assert said(client) == [("assistant", "Once upon a time, there was a fox.")]
    saved = [e for e in effects if isinstance(e, SaveSession)]
    assert len(saved) == 1 and [m.content for m in saved[0].history] == ["Once upon a time, there was a fox."]
    error = one(client.send({"type": "conversation.item.retrieve", "item_id": user}), "error")["error"]
    assert error["code"] == "item_retrieve_invalid_item_id"


def test_deleting_the_assistants_item() -> None:
    client = Client()
    _, assistant = story(client)
    assert types(delete(client, assistant)) == ["conversation.item.deleted"]
    assert said(client) == [("user", "Tell me a story.")]


def test_a_truncated_reply_is_found_by_what_was_heard() -> None:
    client = Client()
    _, effects = committed_story(client)
    assistant = one(effects, "response.output_item.added")["item"]["id"]
    client.send({"type": "conversation.item.truncate", "item_id": assistant, "content_index": 0, "audio_end_ms": 1500})
    assert said(client)[-1] == ("assistant", "Once upon a time, there was")
    assert "conversation.item.deleted" in types(delete(client, assistant))
    assert said(client) == [("user", "Tell me a story.")]


def test_a_question_asked_twice_loses_the_right_copy() -> None:
    client = Client()
    first, _ = story(client)
    client.speak("." * 60)  # past the continuation window: a new turn
    story(client)
    assert [role for role, _ in said(client)] == ["user", "assistant", "user", "assistant"]
    delete(client, first)
    assert [role for role, _ in said(client)] == ["assistant", "user", "assistant"]


def test_a_typed_message_can_be_deleted() -> None:
    client = Client()
    added = client.send({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "What is two plus two?"}]}})
    item = one(added, "conversation.item.added")["item"]["id"]
    tid = next(e for e in added if isinstance(e, StartTurn)).turn_id
    client.turn(Transcribed(tid, "What is two plus two?"), ReplyText(tid, "Four."), TurnFinished(tid, {}))
    client.send({"type": "response.create"})
    assert said(client) == [("user", "What is two plus two?"), ("assistant", "Four.")]
    delete(client, item)
    assert said(client) == [("assistant", "Four.")]


def test_an_unknown_item_is_item_not_found() -> None:
    client = Client()
    story(client)
    error = one(delete(client, "item_nope", event_id="d2"), "error")["error"]
    assert (error["code"], error["param"], error["event_id"]) == ("item_not_found", "item_id", "d2")
    assert len(said(client)) == 2


def test_the_items_of_the_response_in_progress_cannot_be_deleted() -> None:
    client = Client()
    tid, effects = committed_story(client)  # the response is still being spoken
    user = one(effects, "input_audio_buffer.committed")["item_id"]
    assistant = one(effects, "response.output_item.added")["item"]["id"]
    for item in (user, assistant):
        error = one(delete(client, item), "error")["error"]
        assert (error["code"], error["param"]) == ("conversation_already_has_active_response", "item_id")
        assert "response.cancel" in error["message"]
    client.turn(TurnFinished(tid, {}))
    assert "conversation.item.deleted" in types(delete(client, assistant))  # once it is done


def test_the_next_item_follows_the_one_before_a_deleted_last_item() -> None:
    client = Client()
    user, assistant = story(client)
    delete(client, assistant)
    client.speak("." * 60)
    effects = client.speak("x" * 20 + "." * 60)  # committed at the node's longest wait
    assert one(effects, "conversation.item.added")["previous_item_id"] == user
