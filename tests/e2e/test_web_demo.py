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
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
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
        **http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


def save_screenshot(page: Any, name: str, tmp_path: Path, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for target in (ARTIFACTS / name, tmp_path / name):
        page.screenshot(path=str(target), full_page=full_page)


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

    # Chromium loops the fake capture file; mute once the speech is over (frames are 20 ms and the
    # stream starts with the file), inside the trailing silence, so the sentence is heard once.
    speech_frames = int(soundfile.info(str(JFK)).duration * 1000 / 20)
    wait_until(page, lambda h: h["framesSent"] >= speech_frames + 40, 90, "the recording to be sent")
    page.get_by_role("button", name="Mute mic").click()
    sync_api.expect(page.get_by_role("button", name="Unmute mic")).to_have_attribute("aria-pressed", "true")

    def answered(h: dict[str, Any]) -> bool:
        if not any(has_phrase(t["text"]) for t in h["transcripts"]):
            return False
        last = h["transcripts"][-1]["turnId"]
        replies = [r for r in h["replies"] if r["turnId"] == last and not r["interrupted"]]
        timed = [t for t in h["turns"] if t["turnId"] == last and t["stages"] and t["e2eMs"] is not None]
        settled = h["state"] not in ("speaking", "thinking")
        return bool(replies) and bool(timed) and h["audioFramesPlayed"] > 0 and settled

    state = wait_until(page, answered, 240, "the JFK turn to be answered and played")

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
    assert state["framesSent"] > speech_frames
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
    assert row.locator(".lat-bar .seg").count() >= 3
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
        assert hooks(page)["connection"] == "connected"  # not fatal

        srv.stop()
        state = wait_until(page, lambda h: h["connection"] == "disconnected", 30, "the page to notice")
        assert state["state"] == "offline"
        assert state["notice"] and state["notice"]["title"] == "Connection lost"
        sync_api.expect(page.locator("#connection")).to_contain_text("Disconnected")
        sync_api.expect(notice).to_contain_text("Connection lost")
        reconnect = page.get_by_role("button", name="Reconnect")
        sync_api.expect(reconnect).to_be_visible()
        sync_api.expect(page.get_by_role("button", name="Connect", exact=True)).to_be_enabled()
        sync_api.expect(page.get_by_role("button", name="Mute mic")).to_be_disabled()
        save_screenshot(page, "web-demo-disconnected.png", tmp_path)

        # Reconnecting to a server that is gone says so, and offers to try again.
        reconnect.click()
        sync_api.expect(notice).to_contain_text("Cannot reach the voice server")
        sync_api.expect(reconnect).to_be_visible()
        assert hooks(page)["connection"] == "disconnected"
    finally:
        srv.stop()


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
class FakeSocket {
  constructor(url) {
    this.url = url; this.readyState = 0; this.binaryType = "blob"; window.__ws = this;
    setTimeout(() => { this.readyState = 1; this.onopen && this.onopen({}); }, 5);
  }
  send(data) {
    if (typeof data !== "string") return;
    const msg = JSON.parse(data);
    window.__sent.push(msg);
    if (msg.type === "hello") this.emit({type: "ready", protocol: 1, session_id: "fake", pipeline: "fast",
      input: {encoding: "pcm_s16le", sample_rate: 16000, channels: 1, frame_ms: 20},
      output: {encoding: "pcm_s16le", sample_rate: 22050, channels: 1}});
  }
  emit(msg) { this.onmessage && this.onmessage({data: JSON.stringify(msg)}); }
  audio(turnId, seq, ms) {
    const n = Math.round(22050 * ms / 1000), buf = new ArrayBuffer(12 + 2 * n), view = new DataView(buf);
    [0x45, 0x56, 0x52, 0x31].forEach((b, i) => view.setUint8(i, b));
    view.setUint32(4, turnId, true); view.setUint32(8, seq, true);
    for (let i = 0; i < n; i++) view.setInt16(12 + 2 * i, Math.round(6000 * Math.sin(i / 8)), true);
    this.onmessage && this.onmessage({data: buf});
  }
  close(code = 1000, reason = "") { this.readyState = 3; }
}
Object.assign(FakeSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
window.WebSocket = FakeSocket;
"""


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
