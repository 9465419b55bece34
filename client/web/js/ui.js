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

/** Whole numbers that add up to the rounded sum of `values` (largest remainders round up). */
function roundToSum(values) {
  const total = Math.round(values.reduce((a, v) => a + v, 0));
  const floors = values.map(Math.floor);
  let left = total - floors.reduce((a, v) => a + v, 0);
  const order = values.map((v, i) => [v - floors[i], i]).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    floors[i] += 1;
    left -= 1;
  }
  return floors;
}

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

/** What the empty conversation says, by connection state. */
const EMPTY_TEXT = {
  disconnected: "Press Connect, allow the microphone, and start talking.",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  connected: "Listening. Say something to start.",
};

export class Ui {
  constructor(handlers) {
    this.chat = $("chat");
    this.connection = "disconnected";
    this.live = null; // the row of the user's speech in progress (before the server numbers the turn)
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
    this.connection = state;
    $("connection").dataset.state = state;
    $("connection-text").textContent = CONNECTION_TEXT[state];
    const connect = $("btn-connect");
    connect.dataset.state = state;
    connect.querySelector(".btn-label").textContent = state === "disconnected" ? "Connect" : "Disconnect";
    connect.classList.toggle("btn-primary", state === "disconnected");
    connect.classList.toggle("btn-danger", state !== "disconnected");
    $("btn-mute").disabled = state !== "connected" && state !== "reconnecting"; // the mic stays open meanwhile
    $("btn-reset").disabled = state !== "connected";
    const empty = this.chat.querySelector(".chat-empty");
    if (empty) empty.textContent = EMPTY_TEXT[state];
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
        if (this.live) this.live.style.setProperty("--level", this.level.toFixed(3));
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

  /** The user is speaking (the server heard speech start; the turn has no number yet). */
  setLiveHint(on) {
    if (on && !this.live) {
      const empty = this.chat.querySelector(".chat-empty");
      if (empty) empty.remove();
      const bars = el("span", "live-bars");
      bars.setAttribute("aria-hidden", "true");
      bars.append(el("i"), el("i"), el("i"), el("i"));
      const text = el("p", "msg-text");
      text.append(bars, el("span", "live-text", "Hearing you…"));
      const b = el("div", "msg msg-user is-live");
      b.append(el("span", "msg-who", "You"), text);
      this.live = el("li", "turn is-live");
      this.live.append(b);
      this.chat.append(this.live);
      this.scrollChat();
    } else if (!on && this.live) {
      this.live.remove();
      this.live = null;
      this.restoreEmpty();
    }
  }

  /** The connection ended: nothing more comes for the bubbles still in progress, so they stop
   * saying they are; after a resume the server's history replaces them anyway. */
  settleTurns() {
    for (const t of this.turns.values()) {
      if (t.user && t.user.classList.contains("is-pending")) {
        t.user.classList.replace("is-pending", "is-cut");
        t.user.querySelector(".msg-text").textContent = "(cut off: the connection was lost)";
      }
      if (t.assistant && t.assistant.classList.contains("is-streaming")) {
        t.assistant.classList.replace("is-streaming", "is-cut");
        t.assistant.removeAttribute("aria-busy");
        const who = t.assistant.querySelector(".msg-who");
        if (!t.assistant.querySelector(".badge")) who.after(el("span", "badge", "cut off"));
      }
    }
    this.setLiveHint(false);
  }

  /** A resumed connection numbers its turns from 1 again: set the turns shown so far aside
   * until showHistory replaces them with what the server kept. */
  archive() {
    for (const t of this.turns.values()) t.row.classList.add("is-archived");
    this.turns.clear();
    this.setLiveHint(false);
  }

  /** The conversation as the server keeps it (`history` messages, oldest first), in place of
   * the turns set aside; turns of the new connection stay below it. */
  showHistory(messages) {
    this.chat.querySelectorAll(".turn.is-archived, .chat-empty").forEach((node) => node.remove());
    const rows = [];
    let row = null;
    for (const m of messages) {
      if (m.role !== "user" && m.role !== "assistant") continue;
      if (!row || m.role === "user" || row.querySelector(".msg-assistant")) {
        row = el("li", "turn is-restored");
        rows.push(row);
      }
      const b = el("div", `msg msg-${m.role} is-final`);
      b.append(el("span", "msg-who", m.role === "user" ? "You" : "Assistant"), el("p", "msg-text", m.content));
      row.append(b);
    }
    this.chat.prepend(...rows);
    this.restoreEmpty();
    this.scrollChat();
  }

  userPending(turnId) {
    this.setLiveHint(false); // the turn's own bubble takes its place
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
    this.live = null;
    this.chat.replaceChildren();
    this.restoreEmpty("New conversation. Say something to start.");
  }

  restoreEmpty(text = EMPTY_TEXT[this.connection]) {
    if (this.chat.children.length === 0) this.chat.append(el("li", "chat-empty", text));
  }

  // ------------------------------------------------------------------ latency panel

  renderLatency(tracker) {
    const views = tracker.measured().slice(-8).map((t) => ({ t, b: tracker.breakdown(t) }));
    const totals = views.map(({ t, b }) => (b ? b.totalMs : t.e2eMs ?? 0));
    const scale = Math.max(BUDGET_MS * 1.6, ...totals) * 1.04;
    $("latency-list").replaceChildren(...views.map(({ t, b }) => this.latencyRow(t, b, scale)));
    const summary = tracker.summary();
    $("latency-summary").textContent = summary
      ? `Median ${fmtMs(summary.median)} over ${summary.count} turn${summary.count === 1 ? "" : "s"} · ` +
        `${summary.within} of ${summary.count} within budget`
      : "No turns yet.";
  }

  /** One turn: a bar of what the user waited for (it adds up to the headline) and, under the
   * endpoint wait, hatched strips of the work that ran meanwhile (not added). */
  latencyRow(t, b, scale) {
    const pct = (ms) => `${(ms / scale) * 100}%`;
    const li = el("li", "lat-turn");
    li.dataset.turn = String(t.turnId);
    li.dataset.stream = String(t.stream);
    const head = el("div", "lat-head");
    head.append(el("span", "lat-name", `Turn ${t.n}`));
    const value = el("strong", "lat-value");
    if (t.e2eMs !== null) {
      value.textContent = fmtMs(t.e2eMs);
      value.dataset.ms = t.e2eMs.toFixed(1);
      value.classList.add(t.e2eMs <= BUDGET_MS ? "ok" : "over");
    } else {
      value.textContent = "no audio";
      value.classList.add("na");
    }
    head.append(value);
    const bar = el("div", "lat-bar");
    bar.setAttribute("role", "img");
    const shown = b ? roundToSum(b.waited.map((s) => s.ms)) : [];
    const parts = b ? b.waited.map((s, i) => `${s.label} ${shown[i]}`).join(" + ") : "";
    const overlapText = b && b.overlap.length
      ? `during the endpoint wait: ${b.overlap.map((o) => `${o.label} ${Math.round(o.ms)}`).join(", ")} ms` : "";
    bar.setAttribute("aria-label", `Turn ${t.n}: end-to-end ${t.e2eMs !== null ? fmtMs(t.e2eMs) : "not measured"}` +
      (b ? `; waited: ${parts} ms${overlapText ? `; ${overlapText}` : ""}` : "; stage timings pending"));
    if (!b) {
      const pending = el("span", `seg seg-pending${t.interrupted ? " is-interrupted" : ""}`);
      pending.style.width = pct(t.e2eMs ?? 0);
      bar.append(pending);
    } else {
      b.waited.forEach((s, i) => {
        const seg = el("span", `seg seg-${s.cls}`);
        seg.style.width = pct(s.ms);
        seg.dataset.ms = s.ms.toFixed(1);
        seg.title = `${s.label}: ${shown[i]} ms waited`;
        bar.append(seg);
      });
    }
    const budget = el("span", "budget-line");
    budget.style.left = pct(BUDGET_MS);
    budget.title = `${BUDGET_MS} ms budget`;
    bar.append(budget);
    li.append(head, bar);
    if (b && b.overlap.length) {
      const track = el("div", "lat-overlap");
      track.setAttribute("aria-hidden", "true");
      for (const o of b.overlap) {
        const strip = el("span", `ovl ovl-${o.cls}`);
        strip.style.left = pct(o.fromMs);
        strip.style.width = pct(o.ms);
        strip.title = `${o.label}: ${Math.round(o.ms)} ms during the endpoint wait (not added)`;
        track.append(strip);
      }
      li.append(track);
    }
    const detail = el("p", "lat-detail");
    if (b) {
      detail.textContent = `${parts} = ${fmtMs(b.totalMs)}`;
      if (overlapText) detail.append(el("br"), `Overlapped, ${overlapText}`);
    } else if (t.interrupted) detail.textContent = "Interrupted: no stage breakdown";
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

