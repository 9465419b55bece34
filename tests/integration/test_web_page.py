"""The browser demo's page (client/web) in headless Debian Chromium without a node: client/web
served over plain HTTP, and where a server is needed, a scripted one inside the page
(``FAKE_SERVER``, a WebSocket replacement the test drives message by message). What the page
shows for each message, barge-in and its played_ms, the latency bar, reconnecting and resuming,
microphone errors, and the capture and playback worklets.

The page against the real server and models is an end-to-end test: tests/e2e/test_web_demo.py.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser import WEB_ROOT, hooks, wait_until


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


def open_site(page: Any, static_site: str, *init_scripts: str) -> Any:
    """``page`` on the static site, with ``init_scripts`` run before the page's own."""
    for script in init_scripts:
        page.add_init_script(script)
    page.goto(f"{static_site}/")
    return page


@pytest.mark.parametrize(
    ("error_name", "title"),
    [("NotAllowedError", "Microphone permission denied"), ("NotFoundError", "No microphone found")],
)
def test_microphone_problems_are_explained(page: Any, static_site: str, error_name: str, title: str) -> None:
    open_site(page, static_site, "navigator.mediaDevices.getUserMedia = () => "
              f"Promise.reject(new DOMException('refused by the test', {json.dumps(error_name)}));")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(title)
    state = hooks(page)
    assert state["connection"] == "disconnected" and state["framesSent"] == 0


def test_capture_worklet_resamples_to_16k_without_aliasing(page: Any, static_site: str) -> None:
    """A 1 kHz tone must pass; a 12 kHz tone (above 8 kHz) must not fold back to 4 kHz."""
    open_site(page, static_site)
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


def test_playback_worklet_prebuffers_counts_underruns_and_flushes(page: Any, static_site: str) -> None:
    open_site(page, static_site)
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



@pytest.fixture
def fake_page(page: Any, static_site: str) -> Any:
    """A connected page whose WebSocket is the scripted FAKE_SERVER."""
    open_site(page, static_site, FAKE_SERVER)
    page.get_by_role("button", name="Connect", exact=True).click()
    wait_until(page, lambda h: h["connection"] == "connected" and h["framesSent"] > 25, 20, "the scripted session")
    return page


def test_barge_in_flushes_playback_and_reports_played_ms(fake_page: Any) -> None:
    """Scripted server (a fake WebSocket in the page): speech_started while the reply plays."""
    page = fake_page
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
    expect(reply.locator(".badge")).to_have_text("interrupted")
    expect(reply.locator(".unheard")).to_have_text("time there was a tiny edge device.")


def test_status_follows_the_turn_hearing_thinking_replying_speaking(fake_page: Any) -> None:
    page = fake_page
    # Connected: the empty conversation no longer asks to press Connect.
    expect(page.locator(".chat-empty")).to_have_text("Listening. Say something to start.")
    at = page.evaluate("() => 20 * (window.edgeVoice.framesSent - 5)")
    hearing = page.evaluate(EMIT_AND_READ, {"type": "speech_started", "at_ms": at - 1500})
    assert hearing == {"status": "Hearing you", "live": "Hearing you…", "pending": 0}
    expect(page.locator(".chat-empty")).to_have_count(0)
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


def test_latency_bar_adds_up_to_the_headline_and_draws_overlap_apart(page: Any, static_site: str) -> None:
    """The issue's turn: 861 ms end to end, while endpoint 600 + STT 137 + LLM 364 + TTS 266 stacked is 1,367."""
    open_site(page, static_site)
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
    expect(row.locator(".lat-value")).to_have_text("861 ms")
    segs = row.locator(".lat-bar .seg")
    waited = [float(v) for v in segs.evaluate_all("(nodes) => nodes.map((n) => n.dataset.ms)")]
    assert abs(sum(waited) - 861.4) < 0.5, waited
    classes = segs.evaluate_all("(nodes) => nodes.map((n) => n.className)")
    # Endpoint wait, then what was left of TTS after the decision, then the network: 600 + 200 + 61.
    assert classes == ["seg seg-endpoint", "seg seg-tts", "seg seg-other"], classes
    assert [round(v) for v in waited] == [600, 200, 61]
    expect(row.locator(".lat-detail")).to_contain_text("Endpoint 600 + TTS 200 + Network / other 61 = 861 ms")
    # The rest ran during the endpoint wait: drawn as hatched strips under it, not added.
    strips = row.locator(".lat-overlap .ovl")
    assert strips.evaluate_all("(nodes) => nodes.map((n) => n.className)") == [
        "ovl ovl-stt",
        "ovl ovl-llm",
        "ovl ovl-tts",
    ]
    expect(row.locator(".lat-detail")).to_contain_text("during the endpoint wait: STT 137, LLM 364, TTS 66 ms")
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
    expect(page.locator("#legend-overlap")).to_contain_text("during the endpoint wait (overlapped, not added)")
    expect(page.locator("#legend-budget")).to_contain_text("marker: the 500 ms budget")


def test_lost_connection_reconnects_by_itself_and_resumes(fake_page: Any) -> None:
    """Scripted server: the socket drops, the server is down for a while, then the session resumes."""
    page = fake_page
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
    expect(page.locator(".msg")).to_have_count(2)

    # The connection drops mid-reply and the server stays away for two attempts.
    page.evaluate("() => { window.__refuse = true; window.__ws.drop(1006); }")
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("Connection lost, reconnecting…")
    expect(page.locator("#connection")).to_contain_text("Reconnecting…")
    expect(page.locator("#status-text")).to_have_text("Reconnecting…")
    expect(page.get_by_role("button", name="Disconnect")).to_be_visible()  # to stop trying
    expect(page.locator("#btn-reconnect")).to_be_hidden()  # it reconnects by itself
    # The reply that was streaming stops saying so: nothing more of it will come on this connection.
    expect(page.locator(".msg-assistant.is-streaming")).to_have_count(0)
    expect(page.locator(".msg-assistant .badge")).to_have_text("cut off")
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
    expect(notice).to_contain_text("Reconnected")
    expect(page.locator(".turn.is-archived")).to_have_count(0)
    expect(page.locator(".turn.is-restored")).to_have_count(1)
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
    expect(page.locator(".msg-user .msg-text")).to_have_text(["Tell me a long story.", "And then?"])
    expect(page.locator(".lat-turn .lat-name")).to_have_text(["Turn 1", "Turn 2"])

    # Later the server has lost the conversation: the page starts a new one at once and says so.
    page.evaluate("() => { window.__gone = true; window.__ws.drop(1006); }")
    state = wait_until(page, lambda h: h["connection"] == "connected" and h["connections"] == 3, 20, "a new session")
    assert not state["resumed"]
    expect(notice).to_contain_text("Reconnected with a new conversation")
    expect(page.locator(".msg")).to_have_count(0)


def test_reconnect_rules_back_off_and_never_take_a_session_back(page: Any, static_site: str) -> None:
    open_site(page, static_site)
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
