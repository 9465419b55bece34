// The connection's lifecycle: open the microphone and the socket, say why a connection ended,
// and reconnect (with backoff, resuming the session) or stop. Methods of App (main.js).

import * as proto from "./protocol.js";
import { Capture } from "./capture.js";
import { afterClose } from "./reconnect.js";
import { hooks } from "./hooks.js";

const HEALTH_TIMEOUT_MS = 3000;
const OPEN_TIMEOUT_MS = 10000; // a handshake still pending after this is given up (and retried when reconnecting)

export const connectionLifecycle = {
  setConnection(state) {
    hooks.connection = state;
    this.controls.setConnection(state);
    this.chat.setConnection(state);
    this.updateActivity();
  },

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
      this.micNotice(err);
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
  },

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
  },

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
        this.chat.clearChat();
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
  },

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
  },

  disconnect() {
    this.attempt += 1;
    const ws = this.ws;
    this.teardown();
    this.clearNotice(); // chosen: not an error, and no longer reconnecting
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, "client disconnect");
  },

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
    this.chat.settleTurns();
  },

  /** Stop: no connection, no microphone, no retry. */
  teardown() {
    clearTimeout(this.retryTimer);
    this.closeConnection();
    if (this.capture) this.capture.close();
    this.capture = null;
    this.backoff.reset();
    this.controls.resetLevel();
    this.setConnection("disconnected");
  },

  onMicEnded() {
    this.disconnect();
    this.notice({ title: "Microphone disconnected", text: "The microphone stopped. Reconnect it and press Connect.",
      reconnect: true });
  },
};
