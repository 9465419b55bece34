// Client-measured end-to-end latency per turn, plus the server's stage breakdown.
//
// The server reports speech_stopped.at_ms as a position in the audio stream we sent. We remember
// when each 20 ms frame was sent, so a turn's latency is: first reply audio frame received minus
// the moment we sent the frame that holds the end of the user's speech.

import { FRAME_MS } from "./protocol.js";

export const BUDGET_MS = 500;
const MAX_FRAMES_REMEMBERED = 6000; // two minutes of stream

/** Stages drawn in the stacked bar, in pipeline order; "other" is what the stages do not explain. */
export const STAGES = [
  { key: "endpoint_wait_ms", label: "Endpoint", cls: "endpoint" },
  { key: "stt_ms", label: "STT", cls: "stt" },
  { key: "first_clause_ms", label: "LLM", cls: "llm" },
  { key: "tts_first_audio_ms", label: "TTS", cls: "tts" },
  { key: "other", label: "Network / other", cls: "other" },
];

export class LatencyTracker {
  constructor() {
    this.sentAt = new Map(); // frame index -> performance.now() when sent
    this.turns = new Map(); // turnId -> record
  }

  /** Start a new stream (a new websocket session): stream positions restart at zero. */
  newStream() {
    this.sentAt.clear();
  }

  frameSent(index, now) {
    this.sentAt.set(index, now);
    if (this.sentAt.size > MAX_FRAMES_REMEMBERED) this.sentAt.delete(this.sentAt.keys().next().value);
  }

  turn(turnId) {
    let t = this.turns.get(turnId);
    if (!t) {
      t = { turnId, atMs: null, speechEndSentAt: null, stoppedAt: null, firstAudioAt: null, firstPlayedAt: null,
            e2eMs: null, playoutMs: null, stages: null, interrupted: false };
      this.turns.set(turnId, t);
    }
    return t;
  }

  speechStopped(turnId, atMs, now) {
    const t = this.turn(turnId);
    t.atMs = atMs;
    t.stoppedAt = now;
    // Frame k covers stream time [20k, 20k + 20) ms; the speech ended inside frame ceil(at/20) - 1.
    const index = Math.max(0, Math.ceil(atMs / FRAME_MS) - 1);
    t.speechEndSentAt = this.sentAt.get(index) ?? null;
    return t;
  }

  firstAudio(turnId, now) {
    const t = this.turn(turnId);
    if (t.firstAudioAt !== null) return null;
    t.firstAudioAt = now;
    if (t.speechEndSentAt !== null) t.e2eMs = now - t.speechEndSentAt;
    return t;
  }

  firstPlayed(turnId, now) {
    const t = this.turns.get(turnId);
    if (t && t.firstPlayedAt === null) {
      t.firstPlayedAt = now;
      if (t.speechEndSentAt !== null) t.playoutMs = now - t.speechEndSentAt;
    }
  }

  forget(turnId) {
    this.turns.delete(turnId);
  }

  interrupted(turnId) {
    const t = this.turns.get(turnId);
    if (t) t.interrupted = true;
  }

  timing(turnId, stages) {
    this.turn(turnId).stages = { ...stages };
  }

  /** Bar segments of a turn, in ms: the server's stages and the unexplained rest of e2e. */
  segments(t) {
    if (!t.stages) return [];
    const segs = STAGES.filter((s) => s.key !== "other").map((s) => ({ ...s, ms: Math.max(0, t.stages[s.key] || 0) }));
    const explained = segs.reduce((a, s) => a + s.ms, 0);
    if (t.e2eMs !== null) segs.push({ ...STAGES[STAGES.length - 1], ms: Math.max(0, t.e2eMs - explained) });
    return segs.filter((s) => s.ms > 0);
  }

  /** Turns that have anything to show, oldest first. */
  measured() {
    return [...this.turns.values()].filter((t) => t.e2eMs !== null || t.stages);
  }

  summary() {
    const values = this.measured().map((t) => t.e2eMs).filter((v) => v !== null).sort((a, b) => a - b);
    if (values.length === 0) return null;
    const mid = Math.floor(values.length / 2);
    const median = values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    return { count: values.length, median, within: values.filter((v) => v <= BUDGET_MS).length };
  }

  /** Plain data for the test hooks. */
  snapshot() {
    return [...this.turns.values()].map((t) => ({
      turnId: t.turnId, atMs: t.atMs, e2eMs: t.e2eMs, playoutMs: t.playoutMs, stages: t.stages,
      interrupted: t.interrupted,
    }));
  }
}
