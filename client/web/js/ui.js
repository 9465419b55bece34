// Everything the page shows. No logic about the protocol lives here; main.js drives it.

import { BUDGET_MS } from "./latency.js";

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

const fmtMs = (ms) => `${Math.round(ms).toLocaleString("en-US")} ms`;

const ACTIVITY_TEXT = {
  offline: "Offline",
  connecting: "Connecting…",
  listening: "Listening",
  muted: "Mic muted",
  hearing: "Hearing you",
  thinking: "Thinking",
  speaking: "Speaking",
};

export class Ui {
  constructor(handlers) {
    this.chat = $("chat");
    this.turns = new Map(); // turnId -> {row, user, assistant}
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
    const text = { disconnected: "Disconnected", connecting: "Connecting…", connected: "Connected" }[state];
    $("connection").dataset.state = state;
    $("connection-text").textContent = text;
    const connect = $("btn-connect");
    connect.dataset.state = state;
    connect.querySelector(".btn-label").textContent = state === "disconnected" ? "Connect" : "Disconnect";
    connect.classList.toggle("btn-primary", state === "disconnected");
    connect.classList.toggle("btn-danger", state !== "disconnected");
    $("btn-mute").disabled = state !== "connected";
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

  // ------------------------------------------------------------------ conversation

  turn(turnId) {
    let t = this.turns.get(turnId);
    if (!t) {
      const empty = this.chat.querySelector(".chat-empty");
      if (empty) empty.remove();
      const row = el("li", "turn");
      row.dataset.turn = String(turnId);
      t = { row, user: null, assistant: null };
      this.turns.set(turnId, t);
      this.chat.append(row);
    }
    return t;
  }

  bubble(t, role) {
    if (!t[role]) {
      const b = el("div", `msg msg-${role}`);
      b.append(el("span", "msg-who", role === "user" ? "You" : "Assistant"), el("p", "msg-text"));
      if (role === "user") t.row.prepend(b);
      else t.row.append(b);
      t[role] = b;
    }
    return t[role];
  }

  scrollChat() {
    const c = this.chat;
    if (c.scrollHeight - c.scrollTop - c.clientHeight < 160) c.scrollTop = c.scrollHeight;
  }

  userPending(turnId) {
    const b = this.bubble(this.turn(turnId), "user");
    if (!b.classList.contains("is-final")) {
      b.classList.add("is-pending");
      const dots = el("span", "typing");
      dots.setAttribute("aria-hidden", "true");
      dots.append(el("i"), el("i"), el("i"));
      b.querySelector(".msg-text").replaceChildren(dots, el("span", "sr-only", "Transcribing…"));
    }
    this.scrollChat();
  }

  /** The server merged this turn into a later one (the user had only paused): drop its bubbles. */
  removeTurn(turnId) {
    const t = this.turns.get(turnId);
    if (!t) return;
    t.row.remove();
    this.turns.delete(turnId);
  }

  userText(turnId, text) {
    if (!text.trim()) {
      // Nothing was said (noise): drop the pending bubble unless the turn already has a reply.
      const t = this.turns.get(turnId);
      if (t && !t.assistant) {
        t.row.remove();
        this.turns.delete(turnId);
        this.restoreEmpty();
      }
      return;
    }
    const b = this.bubble(this.turn(turnId), "user");
    b.classList.remove("is-pending");
    b.classList.add("is-final");
    b.querySelector(".msg-text").textContent = text.trim();
    this.scrollChat();
  }

  replyDelta(turnId, text) {
    const b = this.bubble(this.turn(turnId), "assistant");
    const p = b.querySelector(".msg-text");
    if (!b.classList.contains("is-streaming")) {
      b.classList.add("is-streaming");
      b.setAttribute("aria-busy", "true");
      p.textContent = "";
    }
    p.textContent += text;
    this.scrollChat();
  }

  replyDone(turnId, text, interrupted) {
    const t = this.turns.get(turnId);
    if (!t && !text) return;
    const b = this.bubble(this.turn(turnId), "assistant");
    b.classList.remove("is-streaming");
    b.classList.add("is-final");
    b.removeAttribute("aria-busy");
    const p = b.querySelector(".msg-text");
    if (interrupted) {
      if (!p.textContent) p.textContent = text;
      this.markInterrupted(turnId, text); // `text` is what the user heard of the reply
    } else if (text && !b.classList.contains("is-interrupted")) {
      p.textContent = text;
    }
    this.scrollChat();
  }

  /** Mark a reply as cut off; with `heardText`, dim the words that were never played. */
  markInterrupted(turnId, heardText) {
    const t = this.turns.get(turnId);
    if (!t || !t.assistant) return;
    const b = t.assistant;
    b.classList.add("is-interrupted");
    b.classList.remove("is-streaming");
    b.removeAttribute("aria-busy");
    if (heardText !== null && heardText !== undefined) {
      const p = b.querySelector(".msg-text");
      const words = p.textContent.split(/(\s+)/);
      const heard = heardText.split(/\s+/).filter(Boolean).length;
      let seen = 0;
      let cut = words.length;
      for (let i = 0; i < words.length; i++) {
        if (words[i].trim() && seen++ === heard) {
          cut = i;
          break;
        }
      }
      p.replaceChildren(document.createTextNode(words.slice(0, cut).join("")));
      if (cut < words.length) p.append(el("span", "unheard", words.slice(cut).join("")));
    }
    if (!b.querySelector(".badge")) b.querySelector(".msg-who").after(el("span", "badge", "interrupted"));
  }

  turnError(turnId, code, message) {
    const b = this.bubble(this.turn(turnId), "assistant");
    b.classList.add("is-error");
    b.classList.remove("is-streaming");
    b.removeAttribute("aria-busy");
    b.querySelector(".msg-text").textContent = `${message} (${code})`;
  }

  clearChat() {
    this.turns.clear();
    this.chat.replaceChildren();
    this.restoreEmpty("New conversation. Say something to start.");
  }

  restoreEmpty(text = "Press Connect, allow the microphone, and start talking.") {
    if (this.chat.children.length === 0) this.chat.append(el("li", "chat-empty", text));
  }

  // ------------------------------------------------------------------ latency panel

  renderLatency(tracker) {
    const turns = tracker.measured().slice(-8);
    const list = $("latency-list");
    const totals = turns.map((t) => Math.max(t.e2eMs ?? 0, tracker.segments(t).reduce((a, s) => a + s.ms, 0)));
    const scale = Math.max(BUDGET_MS * 1.6, ...totals) * 1.04;
    list.replaceChildren(...turns.map((t, i) => this.latencyRow(t, tracker.segments(t), totals[i], scale)));
    const summary = tracker.summary();
    $("latency-summary").textContent = summary
      ? `Median ${fmtMs(summary.median)} over ${summary.count} turn${summary.count === 1 ? "" : "s"} · ` +
        `${summary.within} of ${summary.count} within budget`
      : "No turns yet.";
  }

  latencyRow(t, segs, total, scale) {
    const li = el("li", "lat-turn");
    li.dataset.turn = String(t.turnId);
    const head = el("div", "lat-head");
    head.append(el("span", "lat-name", `Turn ${t.turnId}`));
    const value = el("strong", "lat-value");
    if (t.e2eMs !== null) {
      value.textContent = fmtMs(t.e2eMs);
      value.classList.add(t.e2eMs <= BUDGET_MS ? "ok" : "over");
    } else {
      value.textContent = "no audio";
      value.classList.add("na");
    }
    head.append(value);
    const bar = el("div", "lat-bar");
    bar.setAttribute("role", "img");
    const parts = segs.map((s) => `${s.label} ${Math.round(s.ms)}`).join(", ");
    bar.setAttribute("aria-label", `Turn ${t.turnId}: end-to-end ${t.e2eMs !== null ? fmtMs(t.e2eMs) : "not measured"}` +
      (parts ? `; ${parts} ms` : "; stage timings pending"));
    if (segs.length === 0) {
      const pending = el("span", `seg seg-pending${t.interrupted ? " is-interrupted" : ""}`);
      pending.style.width = `${((t.e2eMs ?? 0) / scale) * 100}%`;
      bar.append(pending);
    }
    for (const s of segs) {
      const seg = el("span", `seg seg-${s.cls}`);
      seg.style.width = `${(s.ms / scale) * 100}%`;
      seg.title = `${s.label}: ${fmtMs(s.ms)}`;
      bar.append(seg);
    }
    if (t.e2eMs !== null && total > t.e2eMs + 1) {
      const mark = el("span", "e2e-mark");
      mark.style.left = `${(t.e2eMs / scale) * 100}%`;
      mark.title = "end-to-end (speculative work overlaps the endpoint wait)";
      bar.append(mark);
    }
    const budget = el("span", "budget-line");
    budget.style.left = `${(BUDGET_MS / scale) * 100}%`;
    bar.append(budget);
    li.append(head, bar);
    const detail = el("p", "lat-detail");
    if (segs.length) detail.textContent = segs.map((s) => `${s.label} ${Math.round(s.ms)}`).join(" · ");
    else if (t.interrupted) detail.textContent = "Interrupted: no stage breakdown";
    else detail.textContent = "Waiting for stage timings…";
    li.append(detail);
    return li;
  }

  // ------------------------------------------------------------------ footer

  renderStats(h) {
    $("stat-sent").textContent = h.framesSent.toLocaleString("en-US");
    $("stat-recv").textContent = h.audioFramesReceived.toLocaleString("en-US");
    $("stat-played").textContent = `${(h.playedMs / 1000).toFixed(1)} s`;
    $("stat-underruns").textContent = String(h.underruns);
  }
}

