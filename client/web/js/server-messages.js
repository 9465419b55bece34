// The server's messages, turn by turn (transcripts, replies, interruptions, history, timings,
// errors), and the user's New conversation, which drops the turns before it. Methods of App (main.js).

import * as proto from "./protocol.js";
import { Playback } from "./playback.js";
import { hooks } from "./hooks.js";

export const serverMessages = {
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
        this.chat.userPending(turnId);
        break;
      case "transcript":
        if (msg.replaces_turn != null) {
          // The user had only paused: this turn continues that one, whose reply is withdrawn.
          this.chat.removeTurn(msg.replaces_turn);
          hooks.replaced.push(msg.replaces_turn);
          this.latency.forget(msg.replaces_turn);
          this.renderLatency();
        }
        this.chat.userText(turnId, msg.text);
        if (msg.text.trim()) hooks.transcripts.push({ turnId, stream: hooks.connections, text: msg.text });
        else this.awaiting.delete(turnId);
        break;
      case "reply_delta":
        if (!this.dropAudio.has(turnId)) {
          this.chat.replyDelta(turnId, msg.text);
          this.replying.add(turnId);
          this.texted.add(turnId);
        }
        break;
      case "reply_done":
        this.replying.delete(turnId);
        this.chat.replyDone(turnId, msg.text, msg.interrupted);
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
        this.chat.markInterrupted(turnId, msg.heard_text);
        break;
      case "history":
        if (this.historyWanted) { // asked for after a resume: the server's history replaces the bubbles
          this.historyWanted = false;
          hooks.history = msg.messages;
          this.chat.showHistory(Array.isArray(msg.messages) ? msg.messages : []);
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
  },

  async onReady(msg) {
    const resumed = Boolean(msg.resumed) && this.sessionId !== null && msg.session_id === this.sessionId;
    if (resumed) {
      // Turn ids restart with each connection, and a reply cut off by the drop may or may not be
      // kept: ask for the conversation the server answers from, and show that (before any audio).
      this.chat.archive();
      this.historyWanted = true;
      this.ws.send(proto.getHistory());
    } else if (this.sessionId !== null) {
      this.chat.clearChat(); // the server opened a new conversation: the old bubbles are not in it
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
  },

  onServerError(msg, turnId) {
    hooks.errors.push({ code: msg.code, message: msg.message, fatal: Boolean(msg.fatal), turnId });
    if (turnId !== null) {
      this.chat.turnError(turnId, msg.code, msg.message);
      this.awaiting.delete(turnId);
      this.replying.delete(turnId);
    }
    if (msg.fatal) this.fatal = msg; // the close that follows shows it with a Reconnect button
    const retry = typeof msg.retry_after_ms === "number" ? ` Try again in ${Math.ceil(msg.retry_after_ms / 1000)} s.` : "";
    this.notice({ title: `Server error: ${msg.code}`, text: `${msg.message}${retry}`, tone: msg.fatal ? "error" : "warning" });
  },

  resetConversation() {
    if (!this.ready || !this.ws) return;
    this.ws.send(proto.reset());
    this.dropBelow = this.maxTurn + 1;
    if (this.playback) this.playback.flush();
    this.audioTurn = null;
    this.awaiting.clear();
    this.replying.clear();
    this.userSpeaking = false;
    this.chat.clearChat();
    this.updateActivity();
  },
};
