// The conversation bubbles: one row per turn (the user's words, then the reply), the live
// "Hearing you…" row, cut-off and interrupted replies, and the history shown after a resume.

import { $, el } from "./dom.js";

/** What the empty conversation says, by connection state. */
const EMPTY_TEXT = {
  disconnected: "Press Connect, allow the microphone, and start talking.",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  connected: "Listening. Say something to start.",
};

export class ChatView {
  constructor() {
    this.list = $("chat");
    this.connection = "disconnected";
    this.live = null; // the row of the user's speech in progress (before the server numbers the turn)
    this.turns = new Map(); // turnId -> {row, user, assistant}
  }

  /** The empty conversation's text follows the connection state. */
  setConnection(state) {
    this.connection = state;
    const empty = this.list.querySelector(".chat-empty");
    if (empty) empty.textContent = EMPTY_TEXT[state];
  }

  /** The mic level (0..1) on the live row, drawn in the meter's animation frame. */
  drawLevel(level) {
    if (this.live) this.live.style.setProperty("--level", level.toFixed(3));
  }

  turn(turnId) {
    let t = this.turns.get(turnId);
    if (!t) {
      const empty = this.list.querySelector(".chat-empty");
      if (empty) empty.remove();
      const row = el("li", "turn");
      row.dataset.turn = String(turnId);
      t = { row, user: null, assistant: null };
      this.turns.set(turnId, t);
      this.list.append(row);
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
    const c = this.list;
    if (c.scrollHeight - c.scrollTop - c.clientHeight < 160) c.scrollTop = c.scrollHeight;
  }

  /** The user is speaking (the server heard speech start; the turn has no number yet). */
  setLiveHint(on) {
    if (on && !this.live) {
      const empty = this.list.querySelector(".chat-empty");
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
      this.list.append(this.live);
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
    this.list.querySelectorAll(".turn.is-archived, .chat-empty").forEach((node) => node.remove());
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
    this.list.prepend(...rows);
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
    this.list.replaceChildren();
    this.restoreEmpty("New conversation. Say something to start.");
  }

  restoreEmpty(text = EMPTY_TEXT[this.connection]) {
    if (this.list.children.length === 0) this.list.append(el("li", "chat-empty", text));
  }
}
