"""End-to-end: the browser demo (client/web) in headless Debian Chromium, driven by Playwright,
against the real server.

Chromium's capture device plays a WAV of the JFK recording into getUserMedia (tests/browser.py),
so the whole path runs for real: AudioWorklet capture and resampling, the websocket protocol, the
real models, the jitter-buffer playback worklet, and what the page shows. The page without a node
(its worklets, and what it shows for each server message, one at a time) is tested in
tests/integration/test_web_page.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import soundfile
from playwright.sync_api import expect

from app.turn_policy import adds_nothing
from tests.browser import DESKTOP, PHONE, hooks, wait_until
from tests.conftest import JFK, REPO, ServerProcess, start_server

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO / "artifacts"
JFK_PHRASE = "ask not what your country can do for you"


def normalize(text: str) -> str:
    return " ".join(re.findall(r"[a-z']+", text.lower()))


def has_phrase(text: str, phrase: str = JFK_PHRASE, max_wrong: int = 1) -> bool:
    """``phrase`` occurs in ``text`` (both normalized) with at most ``max_wrong`` substituted words,
    so one misheard word of the tiny STT model ("asked not") does not fail the run."""
    words, target = normalize(text).split(), phrase.split()
    return any(
        sum(a != b for a, b in zip(words[i : i + len(target)], target, strict=True)) <= max_wrong
        for i in range(len(words) - len(target) + 1)
    )


def save_screenshot(page: Any, name: str, tmp_path: Path, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for target in (ARTIFACTS / name, tmp_path / name):
        page.screenshot(path=str(target), full_page=full_page)


def say_jfk_once(page: Any) -> dict[str, Any]:
    """Let the browser's microphone say the JFK sentence once, then mute it; wait until the answer has been
    played and timed. Returns the hooks then."""
    # Chromium loops the capture file; mute once the speech is over (frames are 20 ms and the
    # stream starts with the file), inside the trailing silence, so the sentence is heard once.
    speech_frames = int(soundfile.info(str(JFK)).duration * 1000 / 20)
    start = hooks(page)["framesSent"]
    wait_until(page, lambda h: h["framesSent"] >= start + speech_frames + 40, 90, "the recording to be sent")
    page.get_by_role("button", name="Mute mic").click()
    expect(page.get_by_role("button", name="Unmute mic")).to_have_attribute("aria-pressed", "true")

    def answered(h: dict[str, Any]) -> bool:
        if not any(has_phrase(t["text"]) for t in h["transcripts"]):
            return False
        last = h["transcripts"][-1]["turnId"]
        replies = [r for r in h["replies"] if r["turnId"] == last and not r["interrupted"]]
        timed = [t for t in h["turns"] if t["turnId"] == last and t["stages"] and t["e2eMs"] is not None]
        settled = h["state"] not in ("speaking", "replying", "thinking")
        return bool(replies) and bool(timed) and h["audioFramesPlayed"] > 0 and settled

    return wait_until(page, answered, 240, "the JFK turn to be answered and played")


# --------------------------------------------------------------------------- the real voice loop


def test_web_demo_talks_with_the_real_server(page: Any, server: ServerProcess, tmp_path: Path) -> None:
    page.goto(f"{server.http}/")
    expect(page).to_have_title(re.compile("Edge Voice"))
    page.get_by_role("button", name="Connect", exact=True).click()
    state = wait_until(page, lambda h: h["connection"] == "connected", 60, "the session to open")
    assert state["sessionId"] and state["outputSampleRate"] > 0
    # Replies are played at their own rate, with no resampling in the page.
    assert state["playbackSampleRate"] == state["outputSampleRate"]
    expect(page.locator("#connection")).to_contain_text("Connected")

    # Connected: nothing asks to press Connect any more (the recording starts at once, so the empty
    # conversation's own text is checked by tests/integration/test_web_page.py).
    expect(page.get_by_text("Press Connect")).to_have_count(0)

    state = say_jfk_once(page)
    # The status followed the turn: hearing the user, then the reply (never "thinking" once it streams,
    # which tests/integration/test_web_page.py checks message by message).
    assert "hearing" in state["activities"], state["activities"]
    assert {"replying", "speaking"} & set(state["activities"]), state["activities"]

    # The user's words, in bubbles.
    user_bubbles = page.locator(".msg-user .msg-text").all_inner_texts()
    assert any(has_phrase(text) for text in user_bubbles), user_bubbles
    # The assistant's reply, streamed into a bubble and finalized.
    last_turn = state["transcripts"][-1]["turnId"]
    reply = page.locator(f'.turn[data-turn="{last_turn}"] .msg-assistant')
    expect(reply).to_have_class(re.compile(r"\bis-final\b"))
    assert reply.locator(".msg-text").inner_text().strip()
    assert not page.locator(".msg-assistant.is-streaming").count()
    # Reply audio came in and went out through the jitter buffer.
    assert state["framesSent"] > soundfile.info(str(JFK)).duration * 1000 / 20
    assert state["audioFramesReceived"] > 0 and state["audioFramesPlayed"] > 0 and state["playedMs"] > 100
    assert not state["errors"], state["errors"]
    # Any barge-in (the recording pauses mid-sentence, so an early turn may be talked over) was
    # reported with the audio actually played and shown on that reply, unless the server merged
    # that turn into the next one (the user had only paused): then its bubbles are gone.
    for cut in state["interrupts"]:
        assert cut["playedMs"] >= 0
        turn_row = page.locator(f'.turn[data-turn="{cut["turnId"]}"]')
        if cut["turnId"] in state["replaced"]:
            expect(turn_row).to_have_count(0)
        else:
            expect(turn_row.locator(".badge")).to_have_text("interrupted")
    for replaced in state["replaced"]:
        expect(page.locator(f'.turn[data-turn="{replaced}"]')).to_have_count(0)
    # Latency: measured end to end in the page and broken down by the server's stages.
    timing = next(t for t in state["turns"] if t["turnId"] == last_turn)
    assert 0 < timing["e2eMs"] < 60_000
    for key in ("endpoint_wait_ms", "stt_ms", "first_clause_ms", "tts_first_audio_ms"):
        assert timing["stages"][key] >= 0, key
    row = page.locator(f'.lat-turn[data-turn="{last_turn}"]')
    expect(row.locator(".lat-value")).to_have_text(re.compile(r"^\d[\d,]* ms$"))
    # The bar is what the user waited for: its parts add up to the headline.
    headline = float(row.locator(".lat-value").get_attribute("data-ms") or "nan")
    parts = [float(v) for v in row.locator(".lat-bar .seg").evaluate_all("(ns) => ns.map((n) => n.dataset.ms)")]
    assert abs(sum(parts) - headline) < 0.5 and headline == pytest.approx(timing["e2eMs"], abs=0.05), (parts, headline)
    assert row.locator(".lat-bar .seg-endpoint").count() == 1
    assert row.locator(".budget-line").count() == 1
    expect(page.locator("#latency-summary")).to_contain_text("Median")
    expect(page.locator("#stat-recv")).not_to_have_text("0")

    save_screenshot(page, "web-demo.png", tmp_path)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    save_screenshot(page, "web-demo-phone.png", tmp_path, full_page=True)
    page.set_viewport_size(DESKTOP)

    # New conversation: the server is told and the bubbles go.
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.locator(".chat-empty")).to_be_visible()
    page.get_by_role("button", name="Disconnect").click()
    expect(page.locator("#connection")).to_contain_text("Disconnected")
    assert hooks(page)["notice"] is None  # a chosen disconnect is not an error


def test_web_demo_shows_server_errors_and_a_lost_connection(page: Any, tmp_path: Path) -> None:
    srv = start_server(tmp_path / "srv.log")
    try:
        page.goto(f"{srv.http}/")
        page.get_by_role("button", name="Connect", exact=True).click()
        wait_until(page, lambda h: h["connection"] == "connected", 60, "the session to open")

        # A server `error` message is shown with its code and text (provoked with malformed JSON).
        page.evaluate("() => window.edgeVoiceApp.ws.send('{not json')")
        notice = page.get_by_role("alert")
        expect(notice).to_contain_text("Server error: bad_json")
        expect(notice).to_contain_text("malformed JSON")
        assert hooks(page)["connection"] == "connected"  # not fatal: nothing to reconnect
        expect(page.locator("#btn-reconnect")).to_be_hidden()

        # The server goes away: the page says so and keeps trying by itself.
        srv.stop()
        state = wait_until(page, lambda h: h["connection"] == "reconnecting", 30, "the page to notice")
        assert state["state"] == "reconnecting"
        assert state["notice"] and state["notice"]["title"] == "Connection lost, reconnecting…"
        expect(page.locator("#connection")).to_contain_text("Reconnecting…")
        expect(notice).to_contain_text("Connection lost, reconnecting…")
        expect(page.get_by_role("button", name="Connect", exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name="New conversation")).to_be_disabled()
        save_screenshot(page, "web-demo-reconnecting.png", tmp_path)

        # Stopping is the user's choice: no error is left on screen.
        page.get_by_role("button", name="Disconnect").click()
        expect(page.locator("#connection")).to_contain_text("Disconnected")
        expect(page.get_by_role("button", name="Mute mic")).to_be_disabled()
        assert hooks(page)["notice"] is None

        # Connecting to a server that is gone says so, and offers to try again.
        page.get_by_role("button", name="Connect", exact=True).click()
        expect(notice).to_contain_text("Cannot reach the voice server")
        expect(page.get_by_role("button", name="Reconnect")).to_be_visible()
        assert hooks(page)["connection"] == "disconnected"
        save_screenshot(page, "web-demo-disconnected.png", tmp_path)
    finally:
        srv.stop()


def test_web_demo_resumes_its_session_after_the_server_restarts(page: Any, tmp_path: Path) -> None:
    """The node is stopped mid-conversation and started again on the same port and store: the page
    reconnects by itself, resumes the same session and shows the history the server kept."""
    store = f"sqlite:///{tmp_path / 'sessions.db'}"
    srv = start_server(tmp_path / "first.log", "--store", store)
    port = srv.url.rsplit(":", 1)[1]
    again: ServerProcess | None = None
    try:
        page.goto(f"{srv.http}/")
        page.get_by_role("button", name="Connect", exact=True).click()
        first = wait_until(page, lambda h: h["connection"] == "connected", 60, "the session to open")
        assert not first["resumed"]
        said = say_jfk_once(page)

        srv.stop()
        wait_until(page, lambda h: h["connection"] == "reconnecting", 30, "the page to notice")
        notice = page.get_by_role("alert")
        expect(notice).to_contain_text("Connection lost, reconnecting…")
        expect(page.locator("#status-text")).to_have_text("Reconnecting…")

        again = start_server(tmp_path / "second.log", "--store", store, "--port", port)
        state = wait_until(
            page,
            lambda h: h["connection"] == "connected" and h["history"] is not None,
            90,
            "the page to resume by itself",
        )
        assert state["resumed"] and state["sessionId"] == first["sessionId"] and state["connections"] == 2
        assert state["reconnects"] >= 1
        assert "session resumed with" in again.log()
        expect(notice).to_contain_text("Reconnected")
        # The bubbles are the conversation the server kept, once each.
        kept = [m for m in state["history"] if m["role"] in ("user", "assistant")]
        asked = [m["content"] for m in kept if m["role"] == "user" and has_phrase(m["content"])]
        assert asked, kept
        # The reply is kept too, unless it only said the quote back (the small model often does):
        # such a reply adds nothing and stays out of the history by design (turn_policy.adds_nothing).
        replies = [r["text"] for r in said["replies"] if not r["interrupted"] and r["text"].strip()]
        assert replies, said["replies"]
        assert any(m["role"] == "assistant" and m["content"].strip() for m in kept) or all(
            adds_nothing(r, asked[-1]) for r in replies), (kept, replies)
        expect(page.locator(".turn.is-archived")).to_have_count(0)
        expect(page.locator(".msg .msg-text")).to_have_text([m["content"].strip() for m in kept])
        # Its latency rows stay, numbered on: the resumed connection's turn ids restart at 1.
        assert state["turns"] and all(t["stream"] == 1 for t in state["turns"])
    finally:
        srv.stop()
        if again is not None:
            again.stop()


def test_web_demo_passes_an_access_token_and_explains_a_refusal(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "web-demo-test-token-0123456789"
    monkeypatch.setenv("EDGE_VOICE_API_TOKENS", token)
    srv = start_server(tmp_path / "auth.log")
    try:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{srv.http}/")
        page.get_by_role("button", name="Connect", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("The server refused the connection")
        assert hooks(page)["connection"] == "disconnected"

        page.goto(f"{srv.http}/#token={token}")
        page.get_by_role("button", name="Connect", exact=True).click()
        wait_until(page, lambda h: h["connection"] == "connected", 60, "the authenticated session")
        page.close()
        assert token not in srv.log()
    finally:
        srv.stop()
