"""The client's functions in the conversation: the calls the node made, the outputs the client
returned for them, and their items and events (GA shapes).

A turn the router gives to a client function is answered by a response whose one output item is
a ``function_call`` (no audio); the client runs it and adds a ``function_call_output`` item, and
its next ``response.create`` is a turn that speaks the answer from that output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.realtime import server_events as ev
from app.realtime.errors import RealtimeError
from app.realtime.events import FunctionOutput
from app.tools.functions import FunctionResult

MAX_CALLS = 64
"""Calls remembered for a late output (the oldest are forgotten first)."""


@dataclass
class Call:
    """One call of a client function."""

    call_id: str
    item_id: str
    name: str
    arguments: str
    output: str | None = None
    """What the client's ``function_call_output`` said (None: not yet)."""
    answered: bool = False
    """A response has spoken from its output."""

    def result(self) -> FunctionResult:
        """The call and its output, for the model."""
        return FunctionResult(self.name, self.arguments, self.output or "")


class Calls:
    """The session's recent calls, by ``call_id``."""

    def __init__(self, new_id: Callable[[str], str]) -> None:
        self._new_id = new_id
        self._calls: dict[str, Call] = {}

    def made(self, name: str, arguments: str) -> Call:
        """The node calls ``name`` with ``arguments`` (JSON): a new call and its item id."""
        call = Call(self._new_id("call"), self._new_id("item"), name, arguments)
        self._calls[call.call_id] = call
        while len(self._calls) > MAX_CALLS:
            del self._calls[next(iter(self._calls))]
        return call

    def returned(self, event: FunctionOutput) -> tuple[Call, dict[str, Any]]:
        """The client's output for a call, and its ``function_call_output`` item (RealtimeError
        for a call this session did not make, or one already given its output)."""
        call = self._calls.get(event.call_id)
        if call is None or call.output is not None:
            what = "has its output already" if call is not None else "is not a call made in this conversation"
            raise RealtimeError("invalid_value", f"call_id {event.call_id[:64]!r} {what}", param="item.call_id",
                                event_id=event.event_id)
        call.output = event.output
        return call, output_item(event.item_id or self._new_id("item"), call.call_id, event.output)

    def unanswered(self) -> list[Call]:
        """Calls whose output came and that no response has answered yet, oldest first."""
        return [c for c in self._calls.values() if c.output is not None and not c.answered]


def call_item(call: Call, status: str, arguments: str | None = None) -> dict[str, Any]:
    """The ``function_call`` item (``arguments``: as far as sent; the whole by default)."""
    return {
        "id": call.item_id,
        "object": "realtime.item",
        "type": "function_call",
        "status": status,
        "call_id": call.call_id,
        "name": call.name,
        "arguments": call.arguments if arguments is None else arguments,
    }


def output_item(item_id: str, call_id: str, output: str) -> dict[str, Any]:
    """The client's ``function_call_output`` item, as the node reports it."""
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "function_call_output",
        "status": "completed",
        "call_id": call_id,
        "output": output,
    }


def call_started(reply: ev.Reply, call: Call, previous_item: str | None) -> list[dict[str, Any]]:
    """``response.created`` to ``response.function_call_arguments.done`` (the arguments in one delta)."""
    created = ev.response(reply.id, "in_progress", [], reply.audio.format.as_wire(), metadata=reply.metadata)
    item = call_item(call, "in_progress", "")
    about = {"response_id": reply.id, "item_id": call.item_id, "output_index": 0, "call_id": call.call_id}
    return [
        {"type": "response.created", "response": created},
        {"type": "response.output_item.added", "response_id": reply.id, "output_index": 0, "item": item},
        {"type": "conversation.item.added", "previous_item_id": previous_item, "item": item},
        {"type": "response.function_call_arguments.delta", **about, "delta": call.arguments},
        {"type": "response.function_call_arguments.done", **about, "name": call.name, "arguments": call.arguments},
    ]


def call_finished(reply: ev.Reply, call: Call, status: str, reason: str | None) -> list[dict[str, Any]]:
    """The item's ``done`` events and ``response.done`` with the call as its output."""
    item = call_item(call, "completed" if status == "completed" else "incomplete")
    done = ev.response(reply.id, status, [item], reply.audio.format.as_wire(), reason=reason, usage=ev.ZERO_USAGE,
                       metadata=reply.metadata)
    return [
        {"type": "response.output_item.done", "response_id": reply.id, "output_index": 0, "item": item},
        {"type": "conversation.item.done", "previous_item_id": None, "item": item},
        {"type": "response.done", "response": done},
    ]
