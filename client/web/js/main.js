// The browser demo: wires the microphone, the websocket session, reply playback and the page.
// App holds the state; its methods come from one module per concern, all sharing `this`:
// connection-lifecycle.js, audio-glue.js, server-messages.js and session-status.js.

import { LatencyTracker } from "./latency.js";
import { ControlsView } from "./controls-view.js";
import { ChatView } from "./chat-view.js";
import { LatencyView } from "./latency-view.js";
import { preloadWorklet } from "./assets.js";
import { Backoff } from "./reconnect.js";
import { hooks } from "./hooks.js";
import { connectionLifecycle } from "./connection-lifecycle.js";
import { audioGlue } from "./audio-glue.js";
import { serverMessages } from "./server-messages.js";
import { sessionStatus } from "./session-status.js";

preloadWorklet("worklets/capture-processor.js");
preloadWorklet("worklets/playback-processor.js");

class App {
  constructor() {
    this.chat = new ChatView();
    this.controls = new ControlsView({
      onConnectToggle: () => (hooks.connection === "disconnected" ? this.connect() : this.disconnect()),
      onMuteToggle: () => this.setMuted(!hooks.muted),
      onReset: () => this.resetConversation(),
      onReconnect: () => this.connect(),
    }, (level) => this.chat.drawLevel(level));
    this.latencyPanel = new LatencyView();
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
}

/** Add each part's methods to App, as class methods would be (not enumerable); a name defined
 * twice is a mistake in the split, so it fails at load rather than one silently winning. */
function mixIn(target, ...parts) {
  for (const part of parts) {
    for (const [name, value] of Object.entries(part)) {
      if (Object.hasOwn(target, name)) throw new Error(`App.${name} is defined twice`);
      Object.defineProperty(target, name, { value, writable: true, configurable: true });
    }
  }
}

mixIn(App.prototype, connectionLifecycle, audioGlue, serverMessages, sessionStatus);

window.edgeVoiceApp = new App();
