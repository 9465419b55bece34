"""End-to-end: the browser demo (client/web) in headless Debian Chromium, driven by Playwright.

The fake capture device plays a WAV of the JFK recording into getUserMedia, so the whole path
runs for real: AudioWorklet capture and resampling, the websocket protocol, the real models,
the jitter-buffer playback worklet, and what the page shows. Chromium comes from Debian
(/usr/bin/chromium); Playwright never downloads a browser here.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import soundfile
import soxr

from tests.conftest import JFK, REPO, ServerProcess, start_server

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
WEB_ROOT = REPO / "client" / "web"
ARTIFACTS = REPO / "artifacts"
JFK_PHRASE = "ask not what your country can do for you"
CAPTURE_RATE = 48_000
TRAILING_SILENCE_S = 4.0
BASE_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

if not CHROMIUM.is_file():
    pytest.skip(f"Debian Chromium not installed at {CHROMIUM}", allow_module_level=True)


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


def hooks(page: Any) -> dict[str, Any]:
    """A plain copy of the page's window.edgeVoice test hooks."""
    return page.evaluate("() => JSON.parse(JSON.stringify(window.edgeVoice))")


def wait_until(page: Any, done: Callable[[dict[str, Any]], bool], timeout_s: float, what: str) -> dict[str, Any]:
    """Poll the hooks until ``done`` holds; fail with the last hooks seen."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = hooks(page)
        if done(state):
            return state
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}; hooks: {json.dumps(state)[:3000]}")
        page.wait_for_timeout(250)


@pytest.fixture(scope="module")
def jfk_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """JFK as 48 kHz mono PCM16 with trailing silence so the turn ends before Chromium loops it."""
    assert JFK.is_file(), f"shared recording missing: {JFK}"
    audio, rate = soundfile.read(str(JFK), dtype="float32", always_2d=True)
    mono = soxr.resample(audio.mean(axis=1), rate, CAPTURE_RATE)
    padded = np.concatenate([mono, np.zeros(int(TRAILING_SILENCE_S * CAPTURE_RATE), dtype=np.float32)])
    path = tmp_path_factory.mktemp("audio") / "jfk_48k.wav"
    soundfile.write(str(path), padded, CAPTURE_RATE, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        yield pw


def launch(playwright: Any, wav: Path | None = None) -> Any:
    args = [*BASE_ARGS, "--autoplay-policy=no-user-gesture-required"]
    if wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={wav}")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)


@pytest.fixture
def browser(playwright: Any, jfk_wav: Path) -> Iterator[Any]:
    b = launch(playwright, jfk_wav)
    yield b
    b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    p = browser.new_page(viewport=DESKTOP)
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    p.close()
    assert not errors, f"uncaught page errors: {errors}"


@pytest.fixture(scope="module")
def static_site() -> Iterator[str]:
    """client/web over plain HTTP without models: for the worklet and error-message checks."""
    handler = functools.partial(QuietHandler, directory=str(WEB_ROOT))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


def save_screenshot(page: Any, name: str, tmp_path: Path, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for target in (ARTIFACTS / name, tmp_path / name):
        page.screenshot(path=str(target), full_page=full_page)


def say_jfk_once(page: Any) -> dict[str, Any]:
    """Let the fake microphone say the JFK sentence once, then mute it; wait until the answer has been
    played and timed. Returns the hooks then."""
    # Chromium loops the fake capture file; mute once the speech is over (frames are 20 ms and the
    # stream starts with the file), inside the trailing silence, so the sentence is heard once.
    speech_frames = int(soundfile.info(str(JFK)).duration * 1000 / 20)
    start = hooks(page)["framesSent"]
    wait_until(page, lambda h: h["framesSent"] >= start + speech_frames + 40, 90, "the recording to be sent")
    page.get_by_role("button", name="Mute mic").click()
    sync_api.expect(page.get_by_role("button", name="Unmute mic")).to_have_attribute("aria-pressed", "true")

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
    sync_api.expect(page).to_have_title(re.compile("Edge Voice"))
    page.get_by_role("button", name="Connect", exact=True).click()
    state = wait_until(page, lambda h: h["connection"] == "connected", 60, "the session to open")
    assert state["sessionId"] and state["outputSampleRate"] > 0
    # Replies are played at their own rate, with no resampling in the page.
    assert state["playbackSampleRate"] == state["outputSampleRate"]
    sync_api.expect(page.locator("#connection")).to_contain_text("Connected")

    # Connected: nothing asks to press Connect any more (the recording starts at once, so the empty
    # conversation's own text is checked by the scripted test).
    sync_api.expect(page.get_by_text("Press Connect")).to_have_count(0)

    state = say_jfk_once(page)
    # The status followed the turn: hearing the user, then the reply (never "thinking" once it streams,
    # which the scripted test checks message by message).
    assert "hearing" in state["activities"], state["activities"]
    assert {"replying", "speaking"} & set(state["activities"]), state["activities"]

    # The user's words, in bubbles.
    user_bubbles = page.locator(".msg-user .msg-text").all_inner_texts()
    assert any(has_phrase(text) for text in user_bubbles), user_bubbles
    # The assistant's reply, streamed into a bubble and finalized.
    last_turn = state["transcripts"][-1]["turnId"]
    reply = page.locator(f'.turn[data-turn="{last_turn}"] .msg-assistant')
    sync_api.expect(reply).to_have_class(re.compile(r"\bis-final\b"))
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
            sync_api.expect(turn_row).to_have_count(0)
        else:
            sync_api.expect(turn_row.locator(".badge")).to_have_text("interrupted")
    for replaced in state["replaced"]:
        sync_api.expect(page.locator(f'.turn[data-turn="{replaced}"]')).to_have_count(0)
    # Latency: measured end to end in the page and broken down by the server's stages.
    timing = next(t for t in state["turns"] if t["turnId"] == last_turn)
    assert 0 < timing["e2eMs"] < 60_000
    for key in ("endpoint_wait_ms", "stt_ms", "first_clause_ms", "tts_first_audio_ms"):
        assert timing["stages"][key] >= 0, key
    row = page.locator(f'.lat-turn[data-turn="{last_turn}"]')
    sync_api.expect(row.locator(".lat-value")).to_have_text(re.compile(r"^\d[\d,]* ms$"))
    # The bar is what the user waited for: its parts add up to the headline.
    headline = float(row.locator(".lat-value").get_attribute("data-ms") or "nan")
    parts = [float(v) for v in row.locator(".lat-bar .seg").evaluate_all("(ns) => ns.map((n) => n.dataset.ms)")]
    assert abs(sum(parts) - headline) < 0.5 and headline == pytest.approx(timing["e2eMs"], abs=0.05), (parts, headline)
    assert row.locator(".lat-bar .seg-endpoint").count() == 1
    assert row.locator(".budget-line").count() == 1
    sync_api.expect(page.locator("#latency-summary")).to_contain_text("Median")
    sync_api.expect(page.locator("#stat-recv")).not_to_have_text("0")

    save_screenshot(page, "web-demo.png", tmp_path)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    save_screenshot(page, "web-demo-phone.png", tmp_path, full_page=True)
    page.set_viewport_size(DESKTOP)

    # New conversation: the server is told and the bubbles go.
    page.get_by_role("button", name="New conversation").click()
    sync_api.expect(page.locator(".msg")).to_have_count(0)
    sync_api.expect(page.locator(".chat-empty")).to_be_visible()
    page.get_by_role("button", name="Disconnect").click()
    sync_api.expect(page.locator("#connection")).to_contain_text("Disconnected")
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
        sync_api.expect(notice).to_contain_text("Server error: bad_json")
        sync_api.expect(notice).to_contain_text("malformed JSON")
        assert hooks(page)["connection"] == "connected"  # not fatal: nothing to reconnect
        sync_api.expect(page.locator("#btn-reconnect")).to_be_hidden()

        # The server goes away: the page says so and keeps trying by itself.
        srv.stop()
        state = wait_until(page, lambda h: h["connection"] == "reconnecting", 30, "the page to notice")
        assert state["state"] == "reconnecting"
        assert state["notice"] and state["notice"]["title"] == "Connection lost, reconnecting…"
        sync_api.expect(page.locator("#connection")).to_contain_text("Reconnecting…")
        sync_api.expect(notice).to_contain_text("Connection lost, reconnecting…")
        sync_api.expect(page.get_by_role("button", name="Connect", exact=True)).to_have_count(0)
        sync_api.expect(page.get_by_role("button", name="New conversation")).to_be_disabled()
        save_screenshot(page, "web-demo-reconnecting.png", tmp_path)

        # Stopping is the user's choice: no error is left on screen.
        page.get_by_role("button", name="Disconnect").click()
        sync_api.expect(page.locator("#connection")).to_contain_text("Disconnected")
        sync_api.expect(page.get_by_role("button", name="Mute mic")).to_be_disabled()
        assert hooks(page)["notice"] is None

        # Connecting to a server that is gone says so, and offers to try again.
        page.get_by_role("button", name="Connect", exact=True).click()
        sync_api.expect(notice).to_contain_text("Cannot reach the voice server")
        sync_api.expect(page.get_by_role("button", name="Reconnect")).to_be_visible()
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
        say_jfk_once(page)

        srv.stop()
        wait_until(page, lambda h: h["connection"] == "reconnecting", 30, "the page to notice")
        notice = page.get_by_role("alert")
        sync_api.expect(notice).to_contain_text("Connection lost, reconnecting…")
        sync_api.expect(page.locator("#status-text")).to_have_text("Reconnecting…")

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
        sync_api.expect(notice).to_contain_text("Reconnected")
        # The bubbles are the conversation the server kept, once each.
        kept = [m for m in state["history"] if m["role"] in ("user", "assistant")]
        assert any(m["role"] == "user" and has_phrase(m["content"]) for m in kept), kept
        assert any(m["role"] == "assistant" and m["content"].strip() for m in kept), kept
        sync_api.expect(page.locator(".turn.is-archived")).to_have_count(0)
        sync_api.expect(page.locator(".msg .msg-text")).to_have_text([m["content"].strip() for m in kept])
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
        sync_api.expect(page.get_by_role("alert")).to_contain_text("The server refused the connection")
        assert hooks(page)["connection"] == "disconnected"

        page.goto(f"{srv.http}/#token={token}")
        page.get_by_role("button", name="Connect", exact=True).click()
        wait_until(page, lambda h: h["connection"] == "connected", 60, "the authenticated session")
        page.close()
        assert token not in srv.log()
    finally:
        srv.stop()


# --------------------------------------------------------------------------- no server needed


@pytest.mark.parametrize(
    ("error_name", "title"),
    [("NotAllowedError", "Microphone permission denied"), ("NotFoundError", "No microphone found")],
)
def test_microphone_problems_are_explained(browser: Any, static_site: str, error_name: str, title: str) -> None:
    page = browser.new_page(viewport=DESKTOP)
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => "
        f"Promise.reject(new DOMException('refused by the test', {json.dumps(error_name)}));"
    )
    page.goto(f"{static_site}/")
    page.get_by_role("button", name="Connect", exact=True).click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text(title)
    state = hooks(page)
    assert state["connection"] == "disconnected" and state["framesSent"] == 0
    page.close()


def test_capture_worklet_resamples_to_16k_without_aliasing(browser: Any, static_site: str) -> None:
    """A 1 kHz tone must pass; a 12 kHz tone (above 8 kHz) must not fold back to 4 kHz."""
    page = browser.new_page()
    page.goto(f"{static_site}/")
    result = page.evaluate(
        """async () => {
          const rate = 48000;
          const ctx = new OfflineAudioContext(1, rate, rate);
          await ctx.audioWorklet.addModule("worklets/capture-processor.js");
          const node = new AudioWorkletNode(ctx, "capture-processor", {outputChannelCount: [1]});
          const frames = [];
          node.port.onmessage = (e) => frames.push(Array.from(new Int16Array(e.data.pcm)));
          for (const [freq, gain] of [[1000, 0.4], [12000, 0.4]]) {
            const osc = new OscillatorNode(ctx, {frequency: freq});
            const g = new GainNode(ctx, {gain});
            osc.connect(g).connect(node);
            osc.start();
          }
          node.connect(ctx.destination);
          await ctx.startRendering();
          await new Promise((r) => setTimeout(r, 300));
          return frames;
        }"""
    )
    page.close()
    assert all(len(f) == 320 for f in result)
    assert len(result) >= 48  # one second of 20 ms frames, less the filter's delay
    x = np.concatenate([np.asarray(f, dtype=np.float64) for f in result])[1600:]  # skip the onset
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1 / 16_000)

    def level(hz: float) -> float:
        return float(spectrum[np.abs(freqs - hz) < 40].max())

    passband_db = 20 * np.log10(level(1000) / (0.4 * 32768 * x.size / 4))
    alias_db = 20 * np.log10(level(4000) / level(1000))
    assert abs(passband_db) < 1.0, passband_db
    assert alias_db < -60, alias_db


def test_playback_worklet_prebuffers_counts_underruns_and_flushes(browser: Any, static_site: str) -> None:
    page = browser.new_page()
    page.goto(f"{static_site}/")
    result = page.evaluate(
        """async () => {
          const { Playback } = await import("./js/playback.js");
          const events = [];
          const pb = await Playback.open(22050, { prebufferMs: 100, onEvent: (e) => events.push(e.type) });
          const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
          const tone = (ms) => {
            const n = Math.round(22050 * ms / 1000), pcm = new Int16Array(n);
            for (let i = 0; i < n; i++) pcm[i] = Math.round(8000 * Math.sin(2 * Math.PI * 440 * i / 22050));
            return pcm;
          };
          const out = { rate: pb.ctx.sampleRate };
          // 60 ms is under the prebuffer: nothing plays yet.
          for (let i = 0; i < 3; i++) pb.push(1, tone(20));
          await sleep(250);
          out.beforePrebuffer = pb.stats.playedMs;
          // Reaching 100 ms starts playback; running dry without an end is one underrun.
          for (let i = 0; i < 7; i++) pb.push(1, tone(20));
          await sleep(500);
          out.afterDry = { ...pb.stats };
          // A turn marked ended plays out its short tail without an underrun.
          pb.push(2, tone(40));
          pb.end(2);
          await sleep(300);
          out.afterEnded = { ...pb.stats };
          // A flush answers what was played of the turn and stops the rest at once.
          for (let i = 0; i < 100; i++) pb.push(3, tone(20));
          await sleep(400);
          const flushed = await pb.flush();
          out.flushedMs = flushed.byTurn[3];
          await sleep(300);
          out.afterFlush = { ...pb.stats };
          out.events = events.filter((e) => e !== "stats");
          pb.close();
          return out;
        }"""
    )
    page.close()
    assert result["rate"] == 22050
    assert result["beforePrebuffer"] == 0
    dry = result["afterDry"]
    assert dry["underruns"] == 1 and dry["framesPlayed"] == 10
    assert abs(dry["playedMs"] - 200) < 1
    ended = result["afterEnded"]
    assert ended["underruns"] == 1 and abs(ended["playedMs"] - 240) < 1 and not ended["active"]
    assert 150 < result["flushedMs"] < 600
    after = result["afterFlush"]
    assert not after["active"] and after["queuedMs"] == 0
    assert after["playedMs"] - ended["playedMs"] < result["flushedMs"] + 10  # only the short fade followed
    assert "underrun" in result["events"] and "drained" in result["events"] and "started" in result["events"]


FAKE_SERVER = """
window.__sent = [];
window.__sockets = 0;
window.__refuse = false;  // new sockets fail to open (a server that is down)
window.__gone = false;  // a hello that resumes is answered session_not_found
window.__history = [];
class FakeSocket {
  constructor(url) {
    this.url = url; this.readyState = 0; this.binaryType = "blob"; window.__ws = this; window.__sockets += 1;
    if (window.__refuse) { setTimeout(() => this.drop(1006), 5); return; }
    setTimeout(() => { this.readyState = 1; this.onopen && this.onopen({}); }, 5);
  }
  send(data) {
    if (typeof data !== "string") return;
    const msg = JSON.parse(data);
    window.__sent.push(msg);
    if (msg.type === "hello" && msg.session_id && window.__gone) {
      this.emit({type: "error", code: "session_not_found", message: "no such session", turn_id: null, fatal: true});
      setTimeout(() => this.drop(1008), 5);
    } else if (msg.type === "hello") {
      this.emit({type: "ready", protocol: 1, session_id: msg.session_id || "fake", pipeline: "fast",
        resumed: Boolean(msg.session_id),
        input: {encoding: "pcm_s16le", sample_rate: 16000, channels: 1, frame_ms: 20},
        output: {encoding: "pcm_s16le", sample_rate: 22050, channels: 1}});
    } else if (msg.type === "get_history") {
      this.emit({type: "history", messages: window.__history});
    }
  }
  emit(msg) { this.onmessage && this.onmessage({data: JSON.stringify(msg)}); }
  audio(turnId, seq, ms) {
    const n = Math.round(22050 * ms / 1000), buf = new ArrayBuffer(12 + 2 * n), view = new DataView(buf);
    [0x45, 0x56, 0x52, 0x31].forEach((b, i) => view.setUint8(i, b));
    view.setUint32(4, turnId, true); view.setUint32(8, seq, true);
    for (let i = 0; i < n; i++) view.setInt16(12 + 2 * i, Math.round(6000 * Math.sin(i / 8)), true);
    this.onmessage && this.onmessage({data: buf});
  }
  drop(code = 1006) { this.readyState = 3; this.onclose && this.onclose({code, reason: ""}); }
  close(code = 1000, reason = "") { this.readyState = 3; }
}
Object.assign(FakeSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
window.WebSocket = FakeSocket;
"""

# Emits one server message and reads, in the same task, what the page then shows (the status pill
# follows the microphone's level too, so only a synchronous read is exact).
EMIT_AND_READ = """(msg) => {
  window.__ws.emit(msg);
  const text = (sel) => { const n = document.querySelector(sel); return n ? n.textContent.trim() : null; };
  return {status: text("#status-text"), live: text(".msg-user.is-live .msg-text"),
          pending: document.querySelectorAll(".msg-user.is-pending").length};
}"""


def test_barge_in_flushes_playback_and_reports_played_ms(browser: Any, static_site: str) -> None:
    """Scripted server (a fake WebSocket in the page): speech_started while the reply plays."""
    page = browser.new_page(viewport=DESKTOP)
    page.add_init_script(FAKE_SERVER)
    page.goto(f"{static_site}/")
    page.get_by_role("button", name="Connect", exact=True).click()
    wait_until(page, lambda h: h["connection"] == "connected" and h["framesSent"] > 25, 20, "the fake session")
    page.evaluate(
        """() => {
          const ws = window.__ws, at = 20 * (window.edgeVoice.framesSent - 5);
          ws.emit({type: "speech_started", at_ms: at - 1500});
          ws.emit({type: "speech_stopped", at_ms: at, turn_id: 1});
          ws.emit({type: "transcript", turn_id: 1, text: "Tell me a long story."});
          ws.emit({type: "reply_delta", turn_id: 1, text: "Once upon a time "});
          ws.emit({type: "reply_delta", turn_id: 1, text: "there was a tiny edge device."});
          for (let seq = 0; seq < 150; seq++) ws.audio(1, seq, 20);  // 3 s of reply audio
        }"""
    )
    playing = wait_until(page, lambda h: h["state"] == "speaking" and h["playedMs"] > 400, 10, "the reply to play")
    assert playing["turns"][0]["e2eMs"] is not None and 0 < playing["turns"][0]["e2eMs"] < 1000
    page.evaluate("() => window.__ws.emit({type: 'speech_started', at_ms: 99999})")
    state = wait_until(page, lambda h: len(h["interrupts"]) == 1, 5, "the interrupt")
    sent = page.evaluate("() => window.__sent.filter((m) => m.type === 'interrupt')")
    assert sent == [{"type": "interrupt", "turn_id": 1, "played_ms": sent[0]["played_ms"]}]
    assert 400 <= sent[0]["played_ms"] < 3000
    assert abs(sent[0]["played_ms"] - state["interrupts"][0]["playedMs"]) < 0.1
    # Playback stopped at once: nothing more of the turn plays, late frames of it are ignored.
    page.wait_for_timeout(300)
    stopped = hooks(page)
    page.evaluate("() => window.__ws.audio(1, 150, 20)")
    page.wait_for_timeout(300)
    after = hooks(page)
    assert after["playedMs"] == stopped["playedMs"] and stopped["playedMs"] < sent[0]["played_ms"] + 20
    assert after["audioFramesReceived"] == 150 and after["state"] != "speaking"
    # The server's answer marks the reply as cut off and dims the words that were not heard.
    page.evaluate(
        """() => {
          window.__ws.emit({type: "reply_done", turn_id: 1, text: "Once upon a", interrupted: true, audio_ms: 3000});
          window.__ws.emit({type: "interrupted", turn_id: 1, heard_text: "Once upon a", played_ms: 500});
        }"""
    )
    reply = page.locator('.turn[data-turn="1"] .msg-assistant')
    sync_api.expect(reply.locator(".badge")).to_have_text("interrupted")
    sync_api.expect(reply.locator(".unheard")).to_have_text("time there was a tiny edge device.")
    page.close()


def fake_page(browser: Any, static_site: str) -> Any:
    """A connected page whose WebSocket is the scripted FAKE_SERVER."""
    page = browser.new_page(viewport=DESKTOP)
    page.add_init_script(FAKE_SERVER)
    page.goto(f"{static_site}/")
    page.get_by_role("button", name="Connect", exact=True).click()
    wait_until(page, lambda h: h["connection"] == "connected" and h["framesSent"] > 25, 20, "the fake session")
    return page


def test_status_follows_the_turn_hearing_thinking_replying_speaking(browser: Any, static_site: str) -> None:
    page = fake_page(browser, static_site)
    # Connected: the empty conversation no longer asks to press Connect.
    sync_api.expect(page.locator(".chat-empty")).to_have_text("Listening. Say something to start.")
    at = page.evaluate("() => 20 * (window.edgeVoice.framesSent - 5)")
    hearing = page.evaluate(EMIT_AND_READ, {"type": "speech_started", "at_ms": at - 1500})
    assert hearing == {"status": "Hearing you", "live": "Hearing you…", "pending": 0}
    sync_api.expect(page.locator(".chat-empty")).to_have_count(0)
    thinking = page.evaluate(EMIT_AND_READ, {"type": "speech_stopped", "at_ms": at, "turn_id": 1})
    assert thinking == {"status": "Thinking", "live": None, "pending": 1}
    page.evaluate(EMIT_AND_READ, {"type": "transcript", "turn_id": 1, "text": "What time is it?"})
    # Reply text streams before its audio plays: that is replying, not thinking.
    replying = page.evaluate(EMIT_AND_READ, {"type": "reply_delta", "turn_id": 1, "text": "It is noon."})
    assert replying["status"] == "Replying"
    page.evaluate("() => { for (let seq = 0; seq < 40; seq++) window.__ws.audio(1, seq, 20); }")
    wait_until(page, lambda h: h["state"] == "speaking", 10, "the reply to play")
    page.evaluate(
        EMIT_AND_READ,
        {"type": "reply_done", "turn_id": 1, "text": "It is noon.", "interrupted": False, "audio_ms": 800},
    )
    state = wait_until(page, lambda h: h["state"] == "listening", 10, "the reply to end")
    seen = state["activities"]
    assert seen.index("hearing") < seen.index("thinking") < seen.index("replying") < seen.index("speaking"), seen
    assert "thinking" not in seen[seen.index("replying") :], seen
    page.close()


def test_latency_bar_adds_up_to_the_headline_and_draws_overlap_apart(browser: Any, static_site: str) -> None:
    """The issue's turn: 861 ms end to end, while endpoint 600 + STT 137 + LLM 364 + TTS 266 stacked is 1,367."""
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{static_site}/")
    page.evaluate(
        """() => {
          const app = window.edgeVoiceApp, t = app.latency.turn(1);
          t.e2eMs = 861.4;
          app.latency.timing(1, {endpoint_wait_ms: 600, stt_ms: 137, first_clause_ms: 364, tts_first_audio_ms: 266,
                                 server_first_audio_ms: 200.2, turn_model_ms: 40});
          app.renderLatency();
        }"""
    )
    row = page.locator('.lat-turn[data-turn="1"]')
    sync_api.expect(row.locator(".lat-value")).to_have_text("861 ms")
    segs = row.locator(".lat-bar .seg")
    waited = [float(v) for v in segs.evaluate_all("(nodes) => nodes.map((n) => n.dataset.ms)")]
    assert abs(sum(waited) - 861.4) < 0.5, waited
    classes = segs.evaluate_all("(nodes) => nodes.map((n) => n.className)")
    # Endpoint wait, then what was left of TTS after the decision, then the network: 600 + 200 + 61.
    assert classes == ["seg seg-endpoint", "seg seg-tts", "seg seg-other"], classes
    assert [round(v) for v in waited] == [600, 200, 61]
    sync_api.expect(row.locator(".lat-detail")).to_contain_text("Endpoint 600 + TTS 200 + Network / other 61 = 861 ms")
    # The rest ran during the endpoint wait: drawn as hatched strips under it, not added.
    strips = row.locator(".lat-overlap .ovl")
    assert strips.evaluate_all("(nodes) => nodes.map((n) => n.className)") == [
        "ovl ovl-stt",
        "ovl ovl-llm",
        "ovl ovl-tts",
    ]
    sync_api.expect(row.locator(".lat-detail")).to_contain_text("during the endpoint wait: STT 137, LLM 364, TTS 66 ms")
    widths = page.evaluate(
        """() => {
          const bar = document.querySelector('.lat-turn[data-turn="1"] .lat-bar');
          const w = (n) => n.getBoundingClientRect().width;
          const segs = [...bar.querySelectorAll(".seg")].reduce((a, n) => a + w(n), 0);
          const strips = [...document.querySelectorAll('.lat-turn[data-turn="1"] .ovl')];
          const left = bar.getBoundingClientRect().left;
          const end = Math.max(...strips.map((n) => n.getBoundingClientRect().right)) - left;
          const endpoint = w(bar.querySelector(".seg-endpoint"));
          return {segs, end, endpoint, bar: w(bar)};
        }"""
    )
    assert abs(widths["end"] - widths["endpoint"]) < 2, widths  # the overlap stays within the endpoint wait
    assert widths["segs"] < widths["bar"]
    # The legend says what the hatching and the marker mean.
    sync_api.expect(page.locator("#legend-overlap")).to_contain_text("during the endpoint wait (overlapped, not added)")
    sync_api.expect(page.locator("#legend-budget")).to_contain_text("marker: the 500 ms budget")
    page.close()


def test_lost_connection_reconnects_by_itself_and_resumes(browser: Any, static_site: str) -> None:
    """Scripted server: the socket drops, the server is down for a while, then the session resumes."""
    page = fake_page(browser, static_site)
    at = page.evaluate("() => 20 * (window.edgeVoice.framesSent - 5)")
    for msg in (
        {"type": "speech_started", "at_ms": at - 1500},
        {"type": "speech_stopped", "at_ms": at, "turn_id": 1},
        {"type": "transcript", "turn_id": 1, "text": "Tell me a long story."},
        {"type": "reply_delta", "turn_id": 1, "text": "Once upon a time there was a tiny edge device."},
    ):
        page.evaluate("(m) => window.__ws.emit(m)", msg)
    page.evaluate("() => window.__ws.audio(1, 0, 20)")
    page.evaluate(EMIT_AND_READ, {"type": "turn_timing", "turn_id": 1, "stages": {"endpoint_wait_ms": 300}})
    sync_api.expect(page.locator(".msg")).to_have_count(2)

    # The connection drops mid-reply and the server stays away for two attempts.
    page.evaluate("() => { window.__refuse = true; window.__ws.drop(1006); }")
    notice = page.get_by_role("alert")
    sync_api.expect(notice).to_contain_text("Connection lost, reconnecting…")
    sync_api.expect(page.locator("#connection")).to_contain_text("Reconnecting…")
    sync_api.expect(page.locator("#status-text")).to_have_text("Reconnecting…")
    sync_api.expect(page.get_by_role("button", name="Disconnect")).to_be_visible()  # to stop trying
    sync_api.expect(page.locator("#btn-reconnect")).to_be_hidden()  # it reconnects by itself
    # The reply that was streaming stops saying so: nothing more of it will come on this connection.
    sync_api.expect(page.locator(".msg-assistant.is-streaming")).to_have_count(0)
    sync_api.expect(page.locator(".msg-assistant .badge")).to_have_text("cut off")
    wait_until(page, lambda h: h["reconnects"] >= 2 and h["connection"] == "reconnecting", 20, "two retries")

    # It comes back: the page resumes the same session and shows what the server kept.
    history = [
        {"role": "user", "content": "Tell me a long story."},
        {"role": "assistant", "content": "Once upon a time"},
    ]
    page.evaluate("(h) => { window.__history = h; window.__refuse = false; }", history)
    state = wait_until(page, lambda h: h["connection"] == "connected" and h["history"] is not None, 20, "the resume")
    assert state["resumed"] and state["sessionId"] == "fake" and state["connections"] == 2
    sent = page.evaluate("() => window.__sent.map((m) => [m.type, m.session_id ?? null])")
    hellos = [s for s in sent if s[0] == "hello"]
    assert hellos[0] == ["hello", None] and hellos[-1] == ["hello", "fake"], sent
    assert sent[-1] == ["get_history", None]
    sync_api.expect(notice).to_contain_text("Reconnected")
    sync_api.expect(page.locator(".turn.is-archived")).to_have_count(0)
    sync_api.expect(page.locator(".turn.is-restored")).to_have_count(1)
    assert page.locator(".msg .msg-text").all_inner_texts() == ["Tell me a long story.", "Once upon a time"]

    # The new connection numbers its turns from 1 again: a new row, the restored one stays.
    page.evaluate(
        """() => {
          const ws = window.__ws, at = 20 * (window.edgeVoice.framesSent - 5);
          ws.emit({type: "speech_stopped", at_ms: at, turn_id: 1});
          ws.emit({type: "transcript", turn_id: 1, text: "And then?"});
          ws.audio(1, 0, 20);
          ws.emit({type: "turn_timing", turn_id: 1, stages: {endpoint_wait_ms: 250}});
        }"""
    )
    sync_api.expect(page.locator(".msg-user .msg-text")).to_have_text(["Tell me a long story.", "And then?"])
    sync_api.expect(page.locator(".lat-turn .lat-name")).to_have_text(["Turn 1", "Turn 2"])

    # Later the server has lost the conversation: the page starts a new one at once and says so.
    page.evaluate("() => { window.__gone = true; window.__ws.drop(1006); }")
    state = wait_until(page, lambda h: h["connection"] == "connected" and h["connections"] == 3, 20, "a new session")
    assert not state["resumed"]
    sync_api.expect(notice).to_contain_text("Reconnected with a new conversation")
    sync_api.expect(page.locator(".msg")).to_have_count(0)
    page.close()


def test_reconnect_rules_back_off_and_never_take_a_session_back(browser: Any, static_site: str) -> None:
    page = browser.new_page()
    page.goto(f"{static_site}/")
    result = page.evaluate(
        """async () => {
          const { Backoff, afterClose } = await import("./js/reconnect.js");
          const b = new Backoff();
          const delays = [1, 2, 3, 4, 5, 6].map(() => b.next());
          const floored = b.next(12000);
          b.reset();
          const verdict = (fatalCode, hadSession = true) => afterClose({ fatalCode, hadSession });
          return { delays, floored, afterReset: b.next(), verdicts: {
            dropped: verdict(null), busy: verdict("busy"), rateLimited: verdict("rate_limited"),
            gone: verdict("session_not_found"), goneFirst: verdict("session_not_found", false),
            takenOver: verdict("session_taken_over"), tokenExpired: verdict("token_expired"),
            protocol: verdict("unsupported_protocol"),
          } };
        }"""
    )
    page.close()
    assert result["delays"] == [500, 1000, 2000, 4000, 8000, 8000]
    assert result["floored"] == 12000 and result["afterReset"] == 500  # a server's retry_after_ms is a floor
    assert result["verdicts"] == {
        "dropped": "resume",
        "busy": "resume",
        "rateLimited": "resume",
        "gone": "new",
        "goneFirst": "stop",
        "takenOver": "stop",
        "tokenExpired": "stop",
        "protocol": "stop",
    }
