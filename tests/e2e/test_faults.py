"""Failures on a live node: a stage that fails, a client that vanishes mid-reply, a session store
that goes away mid-session. Each time the node reports what it must, frees what it held, and
goes on serving."""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis as redis_client

from app import protocol as p
from app.store import decode_record
from client.audio_files import read_mono
from client.benchmark.accounting import AUDIO, ERROR
from client.benchmark.clips import Clip, default_clips
from client.benchmark.prompts import PromptSynth
from client.benchmark.session import BenchSession, PlayedClip
from client.connection import AudioIn, ClientSession
from client.file_mode import run_file
from tests.conftest import ServerProcess, start_server
from tests.services import RedisServer

pytestmark = pytest.mark.e2e

STAGE_POOL = 8
"""Worker threads of the engine's stage pool (created on demand, then kept): allowed growth."""


@pytest.fixture(scope="module")
def clips() -> dict[str, Clip]:
    """jfk plus the latency benchmark's spoken prompts (synthesized once, then cached)."""
    return {c.name: c for c in default_clips(PromptSynth())}


def info(node: ServerProcess) -> dict[str, Any]:
    with urllib.request.urlopen(f"{node.http}/info", timeout=5) as response:
        return json.load(response)


def wait_for(node: ServerProcess, done: Any, timeout_s: float = 30.0) -> dict[str, Any]:
    """Poll /info until ``done(info)`` or the timeout; returns the last /info."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = info(node)
        if done(now) or time.monotonic() > deadline:
            return now
        time.sleep(0.25)


async def play(bench: BenchSession, clip: Clip) -> tuple[PlayedClip, list]:
    """Play ``clip``; returns its outcome and the events the server sent meanwhile."""
    first = len(bench.events)
    played = await bench.play(clip, timeout_s=120)
    return played, bench.events[first:]


# ------------------------------------------------------------------ (a) a stage fails


@pytest.fixture(scope="module")
def faulty_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("faults")
    os.environ["EDGE_VOICE_FAULTS"] = "tts@1"
    try:
        node = start_server(directory / "node.log", "--store", "memory://")
    finally:
        del os.environ["EDGE_VOICE_FAULTS"]
    yield node
    node.stop()


def test_a_failed_stage_fails_that_turn_only(faulty_node: ServerProcess, clips: dict[str, Clip]) -> None:
    # One sentence without an inner pause: the first TTS call is this turn's (the speculative
    # turn started at the end of speech is the one that gets committed).
    first_clip, second_clip = clips["kitchen_lights.wav"], clips["tokyo_time.wav"]

    async def scenario() -> tuple[PlayedClip, list, PlayedClip, list]:
        # The naive pipeline never speculates, so the first TTS call is surely this turn's.
        bench = await BenchSession.open(faulty_node.url, pipeline="naive")
        try:
            await bench.silence(1.0)
            first, first_events = await play(bench, first_clip)
            await bench.silence(1.5)  # past the continuation window: a new turn, not more of the first
            second, second_events = await play(bench, second_clip)
        finally:
            await bench.close()
        return first, first_events, second, second_events

    first, first_events, second, second_events = asyncio.run(scenario())
    turn = first.outcome.turn_id
    assert turn is not None, f"the first clip was not heard as a turn: {first.outcome}"
    errors = [e for e in first_events if e.kind == ERROR]
    assert [(e.turn_id, e.text.split(":", 1)[0]) for e in errors] == [(turn, p.ErrorCode.STAGE_FAILED)]
    assert "tts" in errors[0].text
    assert not any(e.kind == AUDIO and e.turn_id == turn for e in first_events), "audio from a failed TTS"
    assert not first.timed_out and not first.connection_lost

    # The same session goes on: the next turn is answered normally.
    assert not [e for e in second_events if e.kind == ERROR]
    assert second.outcome.turn_id is not None and second.outcome.turn_id != turn
    assert second.outcome.end_to_end_ms is not None, "no reply audio for the turn after the failure"
    assert second.outcome.reply_text
    assert faulty_node.process.poll() is None


# ------------------------------------------------------------------ (b) the client vanishes mid-reply


def test_abrupt_disconnect_mid_reply_frees_the_session_and_keeps_its_history(server: ServerProcess, jfk: Path) -> None:
    # A full turn first, so that the worker pools hold the threads a turn needs.
    warm = asyncio.run(run_file(server.url, jfk, timeout_s=120, echo=lambda _: None))
    assert warm.replies
    before = wait_for(server, lambda i: i["active_sessions"] == 0)
    assert before["active_sessions"] == 0

    async def vanish() -> tuple[str, bool]:
        session = await ClientSession.open(server.url)
        audio = np.concatenate([read_mono(jfk, 16_000), np.zeros(16_000 * 30, dtype=np.int16)])
        first_audio = asyncio.Event()

        async def receive() -> None:
            async for event in session.events():
                if isinstance(event, AudioIn):
                    first_audio.set()
                    return

        receiver = asyncio.create_task(receive())
        start = time.monotonic()
        for i, offset in enumerate(range(0, audio.shape[0], 320)):
            if first_audio.is_set():
                break
            await session.send_audio(audio[offset : offset + 320])
            await asyncio.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))
        # Mid-reply: drop the TCP connection, no close frame.
        session.ws.transport.abort()
        await asyncio.gather(receiver, return_exceptions=True)
        return session.ready.session_id, first_audio.is_set()

    session_id, got_audio = asyncio.run(vanish())
    assert got_audio, "no reply audio before the stream ended"
    after = wait_for(server, lambda i: i["active_sessions"] == 0 and i["tasks"] <= before["tasks"]
                     and i["threads"] <= before["threads"] + STAGE_POOL, timeout_s=20)
    print(f"\n/info before: {before['threads']} threads, {before['tasks']} tasks; "
          f"after: {after['threads']} threads, {after['tasks']} tasks, {after['active_sessions']} sessions")
    assert after["active_sessions"] == 0
    assert after["tasks"] <= before["tasks"], "asyncio tasks of the dropped session are still alive"
    assert after["threads"] <= before["threads"] + STAGE_POOL, "threads leaked"

    async def resume() -> tuple[p.Ready, list[dict[str, str]]]:
        session = await ClientSession.open(server.url, session_id=session_id)
        try:
            await session.send(p.GetHistory())
            while True:
                message = p.decode_server_message(await asyncio.wait_for(session.ws.recv(), 10))
                if isinstance(message, p.History):
                    return session.ready, message.messages
        finally:
            await session.close()

    ready, history = asyncio.run(resume())
    assert ready.resumed and ready.session_id == session_id
    users = [m["content"] for m in history if m["role"] == "user"]
    assert users and all(users), f"the user turn was not saved: {history}"
    assert any(w in " ".join(users).lower() for w in ("american", "fellow", "country")), users
    assert server.process.poll() is None


# ------------------------------------------------------------------ (c) the session store goes away


def stored_history(url: str, session_id: str) -> list[tuple[str, str]] | None:
    client = redis_client.Redis.from_url(url, socket_timeout=2)
    try:
        raw = client.hget(f"edgevoice:{session_id}", "record")
        keys = client.keys("edgevoice:*")
    finally:
        client.close()
    assert all(k.startswith(b"edgevoice:") for k in keys)
    if raw is None:
        return None
    return [(m.role, m.content) for m in decode_record(raw, session_id=session_id).history]


def test_turns_go_on_while_redis_is_down_and_history_reaches_it_after(tmp_path: Path, clips: dict[str, Clip]) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    node = start_server(tmp_path / "node.log", "--store", redis.url)
    try:
        async def scenario() -> dict[str, Any]:
            out: dict[str, Any] = {}
            bench = await BenchSession.open(node.url, pipeline="fast")
            session_id = bench.session.ready.session_id
            try:
                await bench.silence(1.0)
                first, _ = await play(bench, clips["tokyo_time.wav"])
                await asyncio.sleep(1.0)  # saved in the background
                out["before_outage"] = stored_history(redis.url, session_id)

                await asyncio.to_thread(redis.stop)  # mid-session
                await bench.silence(1.0)
                second, _ = await play(bench, clips["kitchen_lights.wav"])
                await asyncio.sleep(1.0)
                out["store_healthy_during"] = (await asyncio.to_thread(info, node))["store_healthy"]

                await asyncio.to_thread(redis.start)
                await asyncio.sleep(1.5)  # past the store's retry interval
                # The store re-syncs on its next call: here the first save of a new session.
                other = await ClientSession.open(node.url)
                await other.close()
                deadline = time.monotonic() + 15
                while True:
                    out["after"] = await asyncio.to_thread(stored_history, redis.url, session_id)
                    users = [c for r, c in out["after"] or [] if r == "user"]
                    if len(users) >= 2 or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.5)
            finally:
                await bench.close()
            out.update(first=first, second=second, errors=[e for e in bench.events if e.kind == ERROR],
                       session_id=session_id)
            return out

        out = asyncio.run(scenario())
    finally:
        node.stop()
        redis.stop()
    first, second = out["first"], out["second"]
    answered = first.outcome.end_to_end_ms is not None and second.outcome.end_to_end_ms is not None
    assert answered, "a turn went unanswered"
    assert out["errors"] == [], "the client saw errors while Redis was down"
    assert out["before_outage"] and out["before_outage"][0][0] == "user"
    assert out["store_healthy_during"] is False, "the node did not notice the outage"
    after = out["after"]
    assert after is not None, "the session is not in Redis after the restart"
    users = [c for r, c in after if r == "user"]
    assert len(users) >= 2, f"the turn taken during the outage did not reach Redis: {after}"
    assert second.outcome.turn_transcript and second.outcome.turn_transcript in users
    assert "Traceback" not in node.log()
