"""The live client's reconnect policy with scripted connection attempts and no waiting: the delay
doubles up to its cap, a busy node's retry-after is honoured, an open session starts the delays
over, a conversation the node no longer has is started anew at once, and a bad URL is not retried."""

from __future__ import annotations

import asyncio
import io
from types import SimpleNamespace

import pytest
from websockets.exceptions import InvalidURI

from app import protocol as p
from client import reconnect as reconnect_module
from client.connection import ClientSession, NoNode, SessionRefused
from client.live_config import LiveConfig
from client.reconnect import Reconnect
from client.ui import PlainUi


def scripted(monkeypatch: pytest.MonkeyPatch, outcomes: list[object]) -> tuple[list[dict], list[float]]:
    """ClientSession.open answers with ``outcomes`` in turn (an exception is raised); sleeps are recorded."""
    calls: list[dict] = []
    waits: list[float] = []

    async def fake_open(cls, url: str, **kwargs) -> object:
        calls.append(kwargs)
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(ClientSession, "open", classmethod(fake_open))
    monkeypatch.setattr(reconnect_module.asyncio, "sleep", fake_sleep)
    return calls, waits


def session(session_id: str) -> SimpleNamespace:
    return SimpleNamespace(ready=SimpleNamespace(session_id=session_id))


def reconnect(out: io.StringIO) -> Reconnect:
    return Reconnect(LiveConfig(url="ws://node", backoff_min_s=0.5, backoff_max_s=2.0), PlainUi(out))


def test_the_delay_doubles_to_its_cap_honours_retry_after_and_starts_over_once_open(monkeypatch) -> None:
    busy = SessionRefused(p.Error(code="busy", message="full", retry_after_ms=5000))
    outcomes = [NoNode("ws://node", ConnectionRefusedError()), OSError("reset"), busy, TimeoutError(), session("s1")]
    calls, waits = scripted(monkeypatch, outcomes)
    rc = reconnect(io.StringIO())

    opened = asyncio.run(rc.open())
    assert opened.ready.session_id == "s1" and rc.session_id == "s1"
    assert waits == [0.5, 1.0, 5.0, 2.0]  # doubled, the busy node's 5 s, then the 2 s cap
    assert len(calls) == 5 and calls[0]["session_id"] is None
    assert rc.delay_s == 0.5
    asyncio.run(rc.wait_after_drop("connection lost (1006)"))
    assert waits[-1] == 0.5


def test_a_conversation_the_node_no_longer_has_is_started_anew_without_waiting(monkeypatch) -> None:
    gone = SessionRefused(p.Error(code="session_not_found", message="no such session"))
    calls, waits = scripted(monkeypatch, [gone, session("s2")])
    out = io.StringIO()
    rc = reconnect(out)
    rc.session_id = "s1"

    asyncio.run(rc.open())
    assert [c["session_id"] for c in calls] == ["s1", None]
    assert waits == [] and rc.session_id == "s2"
    assert "the server no longer has the conversation (session_not_found); starting a new one" in out.getvalue()


def test_a_refusal_for_a_new_conversation_is_retried_after_the_delay(monkeypatch) -> None:
    refused = SessionRefused(p.Error(code="forbidden", message="bad token"))
    calls, waits = scripted(monkeypatch, [refused, session("s3")])
    out = io.StringIO()

    asyncio.run(reconnect(out).open())
    assert len(calls) == 2 and waits == [0.5]
    assert "disconnected: refused (forbidden); reconnecting in 0.5 s" in out.getvalue()


def test_a_bad_url_is_not_retried(monkeypatch) -> None:
    calls, waits = scripted(monkeypatch, [InvalidURI("nope://", "scheme isn't ws or wss")])
    with pytest.raises(InvalidURI):
        asyncio.run(reconnect(io.StringIO()).open())
    assert len(calls) == 1 and waits == []
