"""``conversation.item.delete``: a user or assistant message taken out of the conversation the
node answers from.

The translator knows items as the events described them (``Items``); the native history holds
messages. An item's message is found by its role and words, from the newest back: the user's
transcript or typed text, the assistant's transcript, or the part of it the user heard (a
truncated reply keeps only that). Items described after it with the same role and words are
skipped as often, so a question asked twice loses the right copy. An item whose message the
history no longer holds (trimmed by its budget, a reply kept out of it) is still deleted for the
client: there is nothing left to take out.
"""

from __future__ import annotations

from typing import Any

from app.chat import ChatMessage
from app.realtime.errors import RealtimeError
from app.realtime.items import Items
from app.realtime.responses import Replies


def deletable(event_id: str | None, item_id: str, items: Items, replies: Replies) -> dict[str, Any]:
    """The item ``item_id`` if it may be deleted: a user or assistant message of a turn that is not
    being answered; else RealtimeError (``item_not_found``, or why not, naming ``item_id``)."""
    item = items.get(event_id, item_id)
    if item.get("type") != "message" or item.get("role") not in ("user", "assistant"):
        raise RealtimeError(
            "invalid_value",
            f"item {item_id[:64]!r} is a {item.get('type')}: only user and assistant messages can be deleted here",
            param="item_id",
            event_id=event_id,
        )
    exchange = replies.exchange_of(item_id)
    if exchange is not None and exchange.in_progress:
        raise RealtimeError(
            "conversation_already_has_active_response",
            f"item {item_id[:64]!r} belongs to the response in progress: cancel it (response.cancel) or wait "
            "for response.done, then delete it",
            param="item_id",
            event_id=event_id,
        )
    return item


def history_entry(item: dict[str, Any], later: list[dict[str, Any]], history: list[ChatMessage]) -> ChatMessage | None:
    """The message of ``history`` (oldest first) that ``item`` stands for, if it still holds one;
    ``later``: the items described after it."""
    role, words = item["role"], _words(item)
    skip = sum(1 for other in later if other.get("role") == role and _words(other) == words)
    mine = [m for m in reversed(history) if m.role == role]
    for heard in (False, True):  # the words as sent first; a truncated reply's heard part only then
        found = [m for m in mine if _same(m.content, words, heard)]
        if len(found) > skip:
            return found[skip]
    return None


def _words(item: dict[str, Any]) -> str:
    content = item.get("content") or [{}]
    part = content[0] if isinstance(content[0], dict) else {}
    return " ".join(str(part.get("transcript") or part.get("text") or "").split())


def _same(content: str, words: str, heard: bool) -> bool:
    said = " ".join(content.split())
    return bool(said) and (said == words if not heard else words.startswith(said))
