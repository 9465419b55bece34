// The browser demo: wires the microphone, the websocket session, reply playback and the page.

import * as proto from "./protocol.js";
import { Capture, MicError } from "./capture.js";
import { Playback } from "./playback.js";
import { LatencyTracker } from "./latency.js";
import { Ui } from "./ui.js";
import { preloadWorklet } from "./assets.js";
import { Backoff, afterClose } from "./reconnect.js";

preloadWorklet("worklets/capture-processor.js");
preloadWorklet("worklets/playback-processor.js");

const PRE_READY_FRAMES = 100; // up to 2 s of speech captured before the session is ready is kept
const LOUD_RMS = 0.01; // -40 dBFS: "the user is audibly talking" for the status pill
const HEARING_MS = 1500; // the server's speech_started counts as talking until this long after the last loud frame
const HEALTH_TIMEOUT_MS = 3000;
const OPEN_TIMEOUT_MS = 10000; // a handshake still pending after this is given up (and retried when reconnecting)

/** Test hooks and live counters (plain data; read with JSON.parse(JSON.stringify(edgeVoice))). */
const hooks = {
  connection: "disconnected",
  state: "offline",
  muted: false,
  sessionId: null,
  resumed: false, // the last ready resumed the session of the connection before it
  connections: 0, // sessions opened (ready received), the first one included
  reconnects: 0, // automatic reconnect attempts
  history: null, // the last `history` the server sent (after a resume)
  activities: [], // each status the pill showed, in order (for the tests; the last 200)
  url: null,
  captureSampleRate: null,
  outputSampleRate: null,
  playbackSampleRate: null,
  framesSent: 0,
  audioFramesReceived: 0,
  audioFramesPlayed: 0,
  playedMs: 0,
  underruns: 0,
  interrupts: [],
  transcripts: [],
  replaced: [], // turn ids the server merged into a later turn (the user had only paused)
  replies: [],
  errors: [],
  notice: null,
  turns: [],
};
window.edgeVoice = hooks;

const MIC_HELP = {
  denied: ["Microphone permission denied",
    "Allow microphone access for this site (the icon in the address bar or site settings), then press Connect again."],
  missing: ["No microphone found",
    "Plug in or enable a microphone, then press Connect again."],
  busy: ["Microphone unavailable",
    "The microphone is in use by another application or could not be opened. Close it there and try again."],
  insecure: ["Microphone blocked on an insecure page",
    "Browsers only allow the microphone on https:// pages or on localhost. Open the demo over https or from localhost."],
  audio: ["Audio processing could not start", ""],
  failed: ["Microphone error", ""],
};

class App {
  constructor() {
    this.ui = new Ui({
      onConnectToggle: () => (hooks.connection === "disconnected" ? this.connect() : this.disconnect()),
      onMuteToggle: () => this.setMuted(!hooks.muted),
      onReset: () => this.resetConversation(),
      onReconnect: () => this.connect(),
    });
    this.latency = new LatencyTracker();
    this.backoff = new Backoff();
    this.ws = null;
    this.capture = null;
    this.playback = null;
    this.attempt = 0;
    this.retryTimer = 0;
    this.sessionId = null; // kept across connections: a hello with it resumes the conversation
    this.resetSession();
    setInterval(() => this.tick(), 250);
    window.addEventListener("pagehide", () => this.disconnect());
  }

  /** State of one connection: the server numbers turns and stream positions per connection. */
  resetSession() {
    this.ready = false;
    this.opened = false;
    this.fatal = null;
    this.historyWanted = false;
    this.preReady = [];
    this.streamFrames = 0;
    this.userSpeaking = false;
    this.lastLoudAt = 0;
    this.awaiting = new Set(); // committed turns whose reply has not started playing
    this.replying = new Set(); // turns whose reply text is streaming (reply_delta, no reply_done yet)
    this.texted = new Set(); // turns that have any reply text: no longer "thinking"
    this.audioTurn = null; // turn whose audio is queued or playing
    this.dropAudio = new Set(); // interrupted turns: late frames are ignored
    this.dropBelow = 0; // turns before a reset are ignored
    this.maxTurn = 0;
    this.playbackActive = false;
  }

  // ---------------------------------------------------------------- connection lifecycle

  setConnection(state) {
    hooks.connection = state;
    this.ui.setConnection(state);
    this.updateActivity();
  }

  notice(opts) {
    hooks.notice = { title: opts.title, text: opts.text || "" };
    this.ui.showNotice(opts);
  }

  clearNotice() {
    hooks.notice = null;
    this.ui.clearNotice();
  }

  /** The user connects (Connect, Reconnect): open the microphone, then the socket. A session
   * this page already had is resumed, so the conversation on screen goes on. */
  async connect() {
    if (hooks.connection !== "disconnected") return;
    const attempt = ++this.attempt;
    this.clearNotice();
    this.setConnection("connecting");
    let capture;
    try {
      capture = await Capture.open({
        onFrame: (pcm) => this.onFrame(pcm),
        onLevel: (rms) => this.onLevel(rms),
        onEnded: () => this.onMicEnded(),
      });
    } catch (err) {
      if (attempt !== this.attempt) return;
      this.setConnection("disconnected");
      const [title, text] = MIC_HELP[err instanceof MicError ? err.kind : "failed"];
      this.notice({ title, text: text || String(err.message || err), tone: "error" });
      return;
    }
    if (attempt !== this.attempt) { // disconnected while the permission prompt was open
      capture.close();
      return;
    }
    this.capture = capture;
    capture.setMuted(hooks.muted);
    hooks.captureSampleRate = capture.sampleRate;
    this.openSocket();
  }

  openSocket() {
    this.resetSession();
    const url = proto.serverUrl();
    hooks.url = url;
    let ws;
    try {
      ws = new WebSocket(url, proto.subprotocols(proto.accessToken()));
    } catch (err) {
      this.teardown();
      this.notice({ title: "Cannot open a connection", text: String(err.message || err), reconnect: true });
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    const sessionId = this.sessionId;
    // A host that drops packets leaves a handshake pending for minutes: give up sooner.
    const giveUp = setTimeout(() => ws.readyState === WebSocket.CONNECTING && ws.close(), OPEN_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(giveUp);
      this.opened = true;
      ws.send(proto.hello(sessionId));
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      if (typeof event.data === "string") this.onText(event.data);
      else this.onAudio(event.data);
    };
    ws.onclose = (event) => {
      if (ws === this.ws) this.onClose(event, url);
    };
  }

  async onClose(event, url) {
    const { opened, fatal, ready } = this;
    const attempt = this.attempt;
    const reconnecting = hooks.connection === "reconnecting";
    const hadSession = this.sessionId !== null;
    this.closeConnection();
    if (opened && (ready || reconnecting || hadSession)) { // a session was lost, not a first connect refused
      const verdict = afterClose({ fatalCode: fatal ? fatal.code : null, hadSession });
      if (verdict === "new") {
        // The server no longer has the conversation (expired, or its store was lost): start afresh.
        this.sessionId = null;
        hooks.sessionId = null;
        this.ui.clearChat();
        this.setConnection("reconnecting");
        this.notice({ title: "Started a new conversation",
          text: `The server no longer had the previous one (${fatal.code}).`, tone: "info" });
        this.openSocket();
        return;
      }
      if (verdict === "resume") {
        this.scheduleReconnect(proto.describeClose(event.code, event.reason), fatal);
        return;
      }
      this.teardown();
      this.notice({ title: `The server ended the session: ${fatal.code}`, text: fatal.message, reconnect: true });
      return;
    }
    if (!opened) {
      // A refused handshake and a dead server look alike to a websocket; ask the server directly.
      const alive = await fetch("/healthz", { cache: "no-store", signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })
        .then((res) => res.ok, () => false);
      if (attempt !== this.attempt) return; // the user already tried again, or stopped
      if (alive) {
        this.teardown();
        this.notice({ title: "The server refused the connection",
          text: "The voice server is running but did not accept this session. It may require an access token " +
            "(open this page as …/#token=YOUR_TOKEN) or allow only other origins.", reconnect: true });
      } else if (reconnecting) {
        this.scheduleReconnect(`nothing answered at ${url}`, null); // it may be restarting: keep trying
      } else {
        this.teardown();
        this.notice({ title: "Cannot reach the voice server",
          text: `Nothing answered at ${url}. Check that the server is running, then reconnect.`, reconnect: true });
      }
      return;
    }
    this.teardown(); // a first connection that ended before ready
    if (fatal) {
      this.notice({ title: `The server ended the session: ${fatal.code}`, text: fatal.message, reconnect: true });
    } else {
      this.notice({ title: "Connection lost", reconnect: true,
        text: `The connection to the server was lost: ${proto.describeClose(event.code, event.reason)}.` });
    }
  }

  /** Try again after the backoff, keeping the microphone open and the session id for the hello. */
  scheduleReconnect(reason, fatal) {
    const waitMs = this.backoff.next(fatal ? fatal.retry_after_ms : 0);
    const attempt = this.attempt;
    this.setConnection("reconnecting");
    this.notice({ title: "Connection lost, reconnecting…", tone: "warning",
      text: `${reason[0].toUpperCase()}${reason.slice(1)}. Trying again in ${(waitMs / 1000).toFixed(1)} s ` +
        `(attempt ${this.backoff.attempts}); the conversation resumes where it was.` });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (attempt !== this.attempt || hooks.connection !== "reconnecting") return;
      hooks.reconnects += 1;
      this.openSocket();
    }, waitMs);
  }

  disconnect() {
    this.attempt += 1;
    const ws = this.ws;
    this.teardown();
    this.clearNotice(); // chosen: not an error, and no longer reconnecting
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, "client disconnect");
  }

  /** The end of one connection: what was playing stops; the microphone stays open. */
  closeConnection() {
    this.ws = null;
    if (this.playback) this.playback.close();
    this.playback = null;
    this.ready = false;
    this.playbackActive = false;
    this.audioTurn = null;
    this.awaiting.clear();
    this.replying.clear();
    this.userSpeaking = false;
    this.ui.settleTurns();
  }

  /** Stop: no connection, no microphone, no retry. */
  teardown() {
    clearTimeout(this.retryTimer);
    this.closeConnection();
    if (this.capture) this.capture.close();
    this.capture = null;
    this.backoff.reset();
    this.ui.resetLevel();
    this.setConnection("disconnected");
  }

  onMicEnded() {
    this.disconnect();
    this.notice({ title: "Microphone disconnected", text: "The microphone stopped. Reconnect it and press Connect.",
      reconnect: true });
  }

  // ---------------------------------------------------------------- audio in

  onFrame(pcm) {
    if (!this.ws) return;
    if (!this.ready) {
      this.preReady.push(pcm);
      if (this.preReady.length > PRE_READY_FRAMES) this.preReady.shift();
      return;
    }
    this.sendFrame(pcm);
  }

  sendFrame(pcm) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(pcm);
    this.latency.frameSent(this.streamFrames, performance.now());
    this.streamFrames += 1;
    hooks.framesSent += 1;
  }

  onLevel(rms) {
    this.ui.setLevel(rms);
    if (rms > LOUD_RMS) this.lastLoudAt = performance.now();
  }

  setMuted(muted) {
    hooks.muted = muted;
    if (this.capture) this.capture.setMuted(muted);
    this.ui.setMuted(muted);
    this.updateActivity();
  }

  // ---------------------------------------------------------------- server messages

  onText(text) {
    const msg = proto.parseMessage(text);
    if (!msg) return;
    const turnId = typeof msg.turn_id === "number" ? msg.turn_id : null;
    if (turnId !== null) {
      if (turnId < this.dropBelow) return; // a turn of the conversation the user reset
      this.maxTurn = Math.max(this.maxTurn, turnId);
    }
    switch (msg.type) {
      case "ready":
        this.onReady(msg);
        break;
      case "speech_started":
        this.userSpeaking = true;
        this.lastLoudAt = performance.now();
        if (this.audioTurn !== null) this.bargeIn();
        break;
      case "speech_stopped":
        this.userSpeaking = false;
        this.latency.speechStopped(turnId, msg.at_ms, performance.now());
        this.awaiting.add(turnId);
        this.ui.userPending(turnId);
        break;
      case "transcript":
        if (msg.replaces_turn != null) {
          // The user had only paused: this turn continues that one, whose reply is withdrawn.
          this.ui.removeTurn(msg.replaces_turn);
          hooks.replaced.push(msg.replaces_turn);
          this.latency.forget(msg.replaces_turn);
          this.renderLatency();
        }
        this.ui.userText(turnId, msg.text);
        if (msg.text.trim()) hooks.transcripts.push({ turnId, stream: hooks.connections, text: msg.text });
        else this.awaiting.delete(turnId);
        break;
      case "reply_delta":
        if (!this.dropAudio.has(turnId)) {
          this.ui.replyDelta(turnId, msg.text);
          this.replying.add(turnId);
          this.texted.add(turnId);
        }
        break;
      case "reply_done":
        this.replying.delete(turnId);
        this.ui.replyDone(turnId, msg.text, msg.interrupted);
        hooks.replies.push({ turnId, stream: hooks.connections, text: msg.text, interrupted: msg.interrupted,
          audioMs: msg.audio_ms });
        if (this.playback) this.playback.end(turnId);
        if (this.latency.turn(turnId).firstAudioAt === null || msg.interrupted) this.awaiting.delete(turnId);
        if (msg.interrupted) {
          this.latency.interrupted(turnId);
          this.renderLatency();
        }
        break;
      case "interrupted":
        this.replying.delete(turnId);
        this.ui.markInterrupted(turnId, msg.heard_text);
        break;
      case "history":
        if (this.historyWanted) { // asked for after a resume: the server's history replaces the bubbles
          this.historyWanted = false;
          hooks.history = msg.messages;
          this.ui.showHistory(Array.isArray(msg.messages) ? msg.messages : []);
        }
        break;
      case "turn_timing":
        this.latency.timing(turnId, msg.stages || {});
        this.renderLatency();
        break;
      case "error":
        this.onServerError(msg, turnId);
        break;
      default:
        break; // newer servers may add message types
    }
    this.updateActivity();
  }

  async onReady(msg) {
    const resumed = Boolean(msg.resumed) && this.sessionId !== null && msg.session_id === this.sessionId;
    if (resumed) {
      // Turn ids restart with each connection, and a reply cut off by the drop may or may not be
      // kept: ask for the conversation the server answers from, and show that (before any audio).
      this.ui.archive();
      this.historyWanted = true;
      this.ws.send(proto.getHistory());
    } else if (this.sessionId !== null) {
      this.ui.clearChat(); // the server opened a new conversation: the old bubbles are not in it
    }
    const wasReconnecting = hooks.connection === "reconnecting";
    this.sessionId = msg.session_id;
    hooks.sessionId = msg.session_id;
    hooks.resumed = resumed;
    hooks.connections += 1;
    this.latency.newStream();
    const rate = (msg.output && msg.output.sample_rate) || 22050;
    hooks.outputSampleRate = rate;
    try {
      this.playback = await Playback.open(rate, { prebufferMs: 100, onEvent: (e) => this.onPlaybackEvent(e) });
      hooks.playbackSampleRate = this.playback.ctx.sampleRate;
    } catch (err) {
      this.notice({ title: "Audio output unavailable", text: `Replies will be shown as text only (${err.message || err}).`,
        tone: "warning" });
    }
    if (!this.ws) return; // disconnected meanwhile
    this.ready = true;
    this.backoff.reset();
    if (wasReconnecting) {
      this.notice(resumed
        ? { title: "Reconnected", text: "The conversation resumed where it was.", tone: "info" }
        : { title: "Reconnected with a new conversation", text: "The server no longer had the previous one.",
          tone: "info" });
    }
    this.setConnection("connected");
    const early = this.preReady;
    this.preReady = [];
    early.forEach((pcm) => this.sendFrame(pcm));
  }

  onServerError(msg, turnId) {
    hooks.errors.push({ code: msg.code, message: msg.message, fatal: Boolean(msg.fatal), turnId });
    if (turnId !== null) {
      this.ui.turnError(turnId, msg.code, msg.message);
      this.awaiting.delete(turnId);
      this.replying.delete(turnId);
    }
    if (msg.fatal) this.fatal = msg; // the close that follows shows it with a Reconnect button
    const retry = typeof msg.retry_after_ms === "number" ? ` Try again in ${Math.ceil(msg.retry_after_ms / 1000)} s.` : "";
    this.notice({ title: `Server error: ${msg.code}`, text: `${msg.message}${retry}`, tone: msg.fatal ? "error" : "warning" });
  }

  // ---------------------------------------------------------------- audio out

  onAudio(buffer) {
    let frame;
    try {
      frame = proto.parseReplyAudio(buffer);
    } catch {
      return; // not ours to play; the protocol test suite covers the server's framing
    }
    const turnId = frame.turnId;
    if (turnId < this.dropBelow || this.dropAudio.has(turnId) || !this.playback) return;
    hooks.audioFramesReceived += 1;
    this.maxTurn = Math.max(this.maxTurn, turnId);
    if (this.latency.firstAudio(turnId, performance.now())) this.renderLatency();
    this.audioTurn = turnId;
    this.playback.push(turnId, frame.pcm);
  }

  onPlaybackEvent(e) {
    switch (e.type) {
      case "started":
        this.latency.firstPlayed(e.turnId, performance.now());
        this.awaiting.delete(e.turnId);
        hooks.turns = this.latency.snapshot();
        break;
      case "drained":
        if (this.audioTurn === e.turnId) this.audioTurn = null;
        break;
      case "underrun":
        hooks.underruns = e.underruns;
        break;
      case "stats":
        hooks.audioFramesPlayed = e.framesPlayed;
        hooks.playedMs = e.playedMs;
        hooks.underruns = e.underruns;
        this.playbackActive = e.active;
        break;
      default:
        break;
    }
    this.updateActivity();
  }

  /** The user talks over the reply: stop it now and tell the server how much was heard. */
  async bargeIn() {
    const turnId = this.audioTurn;
    this.audioTurn = null;
    this.dropAudio.add(turnId);
    this.awaiting.delete(turnId);
    if (!this.playback) return;
    const ws = this.ws;
    const flushed = await this.playback.flush();
    const playedMs = flushed.byTurn[turnId] ?? 0;
    if (ws && ws === this.ws && ws.readyState === WebSocket.OPEN) {
      ws.send(proto.interrupt(turnId, playedMs));
      hooks.interrupts.push({ turnId, playedMs });
    }
  }

  resetConversation() {
    if (!this.ready || !this.ws) return;
    this.ws.send(proto.reset());
    this.dropBelow = this.maxTurn + 1;
    if (this.playback) this.playback.flush();
    this.audioTurn = null;
    this.awaiting.clear();
    this.replying.clear();
    this.userSpeaking = false;
    this.ui.clearChat();
    this.updateActivity();
  }

  // ---------------------------------------------------------------- status

  /** The server heard speech start and the microphone was loud a moment ago. */
  hearing() {
    return this.userSpeaking && !hooks.muted && performance.now() - this.lastLoudAt < HEARING_MS;
  }

  updateActivity() {
    const connection = hooks.connection;
    const waiting = [...this.awaiting];
    let activity;
    if (connection !== "connected") activity = connection === "disconnected" ? "offline" : connection;
    else if (this.playbackActive) activity = "speaking";
    else if (this.hearing()) activity = "hearing";
    else if (this.replying.size > 0 || waiting.some((id) => this.texted.has(id))) activity = "replying";
    else if (waiting.length > 0) activity = "thinking";
    else activity = hooks.muted ? "muted" : "listening";
    if (activity !== hooks.state) {
      hooks.activities.push(activity);
      if (hooks.activities.length > 200) hooks.activities.shift();
    }
    hooks.state = activity;
    this.ui.setActivity(activity);
    this.ui.setLiveHint(connection === "connected" && this.hearing());
  }

  renderLatency() {
    hooks.turns = this.latency.snapshot();
    this.ui.renderLatency(this.latency);
  }

  tick() {
    this.updateActivity();
    this.ui.renderStats(hooks);
    hooks.turns = this.latency.snapshot();
  }
}

window.edgeVoiceApp = new App();
