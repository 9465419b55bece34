// What the page says about the session: the status pill, the notices, the latency panel and the
// footer counters. Methods of App (main.js).

import { MicError } from "./capture.js";
import { hooks } from "./hooks.js";

const HEARING_MS = 1500; // the server's speech_started counts as talking until this long after the last loud frame

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

export const sessionStatus = {
  notice(opts) {
    hooks.notice = { title: opts.title, text: opts.text || "" };
    this.controls.showNotice(opts);
  },

  clearNotice() {
    hooks.notice = null;
    this.controls.clearNotice();
  },

  /** Explain a microphone that could not be opened (a MicError, or anything else). */
  micNotice(err) {
    const [title, text] = MIC_HELP[err instanceof MicError ? err.kind : "failed"];
    this.notice({ title, text: text || String(err.message || err), tone: "error" });
  },

  /** The server heard speech start and the microphone was loud a moment ago. */
  hearing() {
    return this.userSpeaking && !hooks.muted && performance.now() - this.lastLoudAt < HEARING_MS;
  },

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
    this.controls.setActivity(activity);
    this.chat.setLiveHint(connection === "connected" && this.hearing());
  },

  renderLatency() {
    hooks.turns = this.latency.snapshot();
    this.latencyPanel.render(this.latency);
  },

  tick() {
    this.updateActivity();
    this.controls.renderStats(hooks);
    hooks.turns = this.latency.snapshot();
  },
};
