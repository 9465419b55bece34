// The controls card and the page's frame: the connection badge, the status pill, the buttons,
// the mic meter, the notice and the footer counters. No protocol logic; the app drives it.

import { $ } from "./dom.js";

const ACTIVITY_TEXT = {
  offline: "Offline",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  listening: "Listening",
  muted: "Mic muted",
  hearing: "Hearing you",
  thinking: "Thinking",
  replying: "Replying",
  speaking: "Speaking",
};

const CONNECTION_TEXT = {
  disconnected: "Disconnected", connecting: "Connecting…", reconnecting: "Reconnecting…", connected: "Connected",
};

export class ControlsView {
  /** `handlers`: the buttons' callbacks; `drawLevel(level)` (0..1) runs in the meter's animation frame. */
  constructor(handlers, drawLevel) {
    this.drawLevel = drawLevel;
    this.meterFill = document.querySelector("#meter .meter-fill");
    this.meterPeak = document.querySelector("#meter .meter-peak");
    this.level = 0;
    this.peakHold = 0;
    this.peakHoldAt = 0;
    $("btn-connect").addEventListener("click", handlers.onConnectToggle);
    $("btn-mute").addEventListener("click", handlers.onMuteToggle);
    $("btn-reset").addEventListener("click", handlers.onReset);
    $("btn-reconnect").addEventListener("click", handlers.onReconnect);
    $("btn-dismiss").addEventListener("click", () => this.clearNotice());
  }

  // ------------------------------------------------------------------ header, status, buttons

  setConnection(state) {
    $("connection").dataset.state = state;
    $("connection-text").textContent = CONNECTION_TEXT[state];
    const connect = $("btn-connect");
    connect.dataset.state = state;
    connect.querySelector(".btn-label").textContent = state === "disconnected" ? "Connect" : "Disconnect";
    connect.classList.toggle("btn-primary", state === "disconnected");
    connect.classList.toggle("btn-danger", state !== "disconnected");
    $("btn-mute").disabled = state !== "connected" && state !== "reconnecting"; // the mic stays open meanwhile
    $("btn-reset").disabled = state !== "connected";
  }

  setActivity(activity) {
    const pill = $("status");
    if (pill.dataset.activity === activity) return;
    pill.dataset.activity = activity;
    $("status-text").textContent = ACTIVITY_TEXT[activity] || activity;
  }

  setMuted(muted) {
    const btn = $("btn-mute");
    btn.setAttribute("aria-pressed", String(muted));
    btn.querySelector(".btn-label").textContent = muted ? "Unmute mic" : "Mute mic";
    $("meter").classList.toggle("is-muted", muted);
  }

  /** Mic level from a frame's RMS (linear); drawn on a -60..0 dBFS scale with a peak hold. */
  setLevel(rms) {
    const db = rms > 0 ? 20 * Math.log10(rms) : -100;
    const target = Math.max(0, Math.min(1, (db + 60) / 60));
    this.level = target > this.level ? target : this.level * 0.85 + target * 0.15;
    const now = performance.now();
    if (this.level >= this.peakHold || now - this.peakHoldAt > 900) {
      this.peakHold = this.level;
      this.peakHoldAt = now;
    }
    if (!this.meterRaf) {
      this.meterRaf = requestAnimationFrame(() => {
        this.meterRaf = 0;
        this.meterFill.style.transform = `scaleX(${this.level.toFixed(3)})`;
        this.meterPeak.style.left = `${(this.peakHold * 100).toFixed(1)}%`;
        this.meterPeak.style.opacity = this.peakHold > 0.02 ? "0.75" : "0";
        this.drawLevel(this.level);
        const meter = $("meter");
        const pct = Math.round(this.level * 100);
        if (meter.getAttribute("aria-valuenow") !== String(pct)) {
          meter.setAttribute("aria-valuenow", String(pct));
          meter.setAttribute("aria-valuetext", pct < 5 ? "silent" : `${pct} percent`);
        }
      });
    }
  }

  resetLevel() {
    this.level = 0;
    this.peakHold = 0;
    this.setLevel(0);
  }

  // ------------------------------------------------------------------ notices

  /** tone: "error" | "warning" | "info"; reconnect shows the Reconnect button. */
  showNotice({ title, text, tone = "error", reconnect = false }) {
    const notice = $("notice");
    notice.dataset.tone = tone;
    $("notice-title").textContent = title;
    $("notice-text").textContent = text || "";
    $("btn-reconnect").hidden = !reconnect;
    notice.hidden = false;
  }

  clearNotice() {
    $("notice").hidden = true;
  }

  // ------------------------------------------------------------------ footer

  renderStats(h) {
    $("stat-sent").textContent = h.framesSent.toLocaleString("en-US");
    $("stat-recv").textContent = h.audioFramesReceived.toLocaleString("en-US");
    $("stat-played").textContent = `${(h.playedMs / 1000).toFixed(1)} s`;
    $("stat-underruns").textContent = String(h.underruns);
  }
}
