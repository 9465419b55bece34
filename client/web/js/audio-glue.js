// The audio glue: microphone frames to the socket (held back until the session is ready), reply
// audio to playback, and barge-in when the user talks over a reply. Methods of App (main.js).

import * as proto from "./protocol.js";
import { hooks } from "./hooks.js";

const PRE_READY_FRAMES = 100; // up to 2 s of speech captured before the session is ready is kept
const LOUD_RMS = 0.01; // -40 dBFS: "the user is audibly talking" for the status pill

export const audioGlue = {
  onFrame(pcm) {
    if (!this.ws) return;
    if (!this.ready) {
      this.preReady.push(pcm);
      if (this.preReady.length > PRE_READY_FRAMES) this.preReady.shift();
      return;
    }
    this.sendFrame(pcm);
  },

  sendFrame(pcm) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(pcm);
    this.latency.frameSent(this.streamFrames, performance.now());
    this.streamFrames += 1;
    hooks.framesSent += 1;
  },

  onLevel(rms) {
    this.controls.setLevel(rms);
    if (rms > LOUD_RMS) this.lastLoudAt = performance.now();
  },

  setMuted(muted) {
    hooks.muted = muted;
    if (this.capture) this.capture.setMuted(muted);
    this.controls.setMuted(muted);
    this.updateActivity();
  },

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
  },

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
  },

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
  },
};
