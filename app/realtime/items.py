"""The conversation's items as the client was told of them, for ``conversation.item.retrieve``.

Only what the events said is kept (text and transcripts, never audio: the node keeps no audio
once a turn is transcribed), for the most recent items.
"""

from __future__ import annotations

from typing import Any

from app.realtime.errors import RealtimeError

MAX_ITEMS = 64
"""Items kept for retrieval, most recent first to go."""
_CARRY_ITEMS = ("conversation.item.added", "conversation.item.done", "response.output_item.done")


class Items:
    """The latest state of each recent item, keyed by its id."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}

    def seen(self, event: dict[str, Any]) -> None:
        """Note a server event on its way to the client."""
        kind, item = event["type"], event.get("item")
        if kind in _CARRY_ITEMS and isinstance(item, dict):
            self._items.pop(item["id"], None)  # re-inserted: the newest last
            self._items[item["id"]] = item
            while len(self._items) > MAX_ITEMS:
                del self._items[next(iter(self._items))]
        elif kind == "conversation.item.deleted":
            self._items.pop(event["item_id"], None)

    def retrieve(self, event_id: str | None, item_id: str) -> dict[str, Any]:
        """The ``conversation.item.retrieved`` event for ``item_id``; unknown: RealtimeError
        ``item_retrieve_invalid_item_id``, OpenAI's code for it (Pipecat waits for that code)."""
        return {"type": "conversation.item.retrieved",
                "item": self.get(event_id, item_id, code="item_retrieve_invalid_item_id")}

    def get(self, event_id: str | None, item_id: str, *, code: str = "item_not_found") -> dict[str, Any]:
        """The item ``item_id`` as last described (RealtimeError ``code`` if unknown)."""
        item = self._items.get(item_id)
        if item is None:
            raise RealtimeError(
                code,
                f"no item {item_id[:64]!r} in the recent conversation",
                param="item_id",
                event_id=event_id,
            )
        return item

    def around(self, item_id: str) -> tuple[str | None, list[dict[str, Any]]]:
        """The id of the item described before ``item_id`` (None: none), and the items described after it."""
        ids = list(self._items)
        at = ids.index(item_id)
        return (ids[at - 1] if at else None), [self._items[i] for i in ids[at + 1 :]]
