// Client-measured end-to-end latency per turn, plus the server's stage breakdown.
//
// The server reports speech_stopped.at_ms as a position in the audio stream we sent. We remember
// when each 20 ms frame was sent, so a turn's latency is: first reply audio frame received minus
// the moment we sent the frame that holds the end of the user's speech.

import { FRAME_MS } from "./protocol.js";

export const BUDGET_MS = 500;
const MAX_FRAMES_REMEMBERED = 6000; // two minutes of stream

/** The stages of the reply that run one after another, in pipeline order, ending as the first
 * reply audio leaves the server (turn_timing.stages keys). */
export const CHAIN = [
  { key: "stt_ms", label: "STT", cls: "stt" },
  { key: "first_clause_ms", label: "LLM", cls: "llm" },
  { key: "tts_first_audio_ms", label: "TTS", cls: "tts" },
];
const ENDPOINT = { key: "endpoint_wait_ms", label: "Endpoint", cls: "endpoint" };
const OTHER = { key: "other", label: "Network / other", cls: "other" };

/**
 * What the user waited for, from the end of their speech to the first reply audio (ms).
 *
 * `waited`: consecutive segments that add up to `totalMs` (the measured end-to-end, or the
 * server's own figure when no audio was measured): the endpoint wait, then the part of each stage
 * that still ran after the endpoint decision, then what the stages do not explain.
 * `overlap`: the part of each stage that ran during the endpoint wait (a speculative reply starts
 * in the user's pause), drawn beside the bar, never added to it. The stages are assumed to run back
 * to back and end when the first audio left the server (endpoint_wait_ms + server_first_audio_ms).
 */
export function breakdown(stages, e2eMs) {
  const ms = (key) => Math.max(0, Number(stages[key]) || 0);
  const endpoint = ms(ENDPOINT.key);
  const chain = CHAIN.map((s) => ({ ...s, ms: ms(s.key) }));
  const chainMs = chain.reduce((a, s) => a + s.ms, 0);
  const serverEnd = endpoint + ("server_first_audio_ms" in stages ? ms("server_first_audio_ms") : chainMs);
  const totalMs = e2eMs ?? serverEnd;
  const waited = [];
  const overlap = [];
  let at = 0;
  const put = (seg, from, to) => {
    const a = Math.max(from, at);
    const b = Math.min(to, totalMs);
    if (b <= a) return;
    if (a > at) waited.push({ ...OTHER, ms: a - at });
    waited.push({ key: seg.key, label: seg.label, cls: seg.cls, ms: b - a });
    at = b;
  };
  put(ENDPOINT, 0, endpoint);
  const decided = Math.min(endpoint, totalMs);
  let from = serverEnd - chainMs;
  for (const s of chain) {
    const a = Math.max(0, from);
    const b = Math.min(from + s.ms, decided);
    if (b > a) overlap.push({ key: s.key, label: s.label, cls: s.cls, fromMs: a, ms: b - a });
    put(s, from, from + s.ms);
    from += s.ms;
  }
  if (at < totalMs) waited.push({ ...OTHER, ms: totalMs - at });
  return { totalMs, waited, overlap };
}

export class LatencyTracker {
  constructor() {
    this.sentAt = new Map(); // frame index -> performance.now() when sent
    this.turns = new Map(); // "stream:turnId" -> record, oldest first
    this.stream = 0;
    this.count = 0;
  }

  /** Start a new stream (a new websocket connection): stream positions and turn ids restart. */
  newStream() {
    this.sentAt.clear();
    this.stream += 1;
  }

  key(turnId) {
    return `${this.stream}:${turnId}`;
  }

  frameSent(index, now) {
    this.sentAt.set(index, now);
    if (this.sentAt.size > MAX_FRAMES_REMEMBERED) this.sentAt.delete(this.sentAt.keys().next().value);
  }

  turn(turnId) {
    let t = this.turns.get(this.key(turnId));
    if (!t) {
      this.count += 1; // turns are numbered across reconnects, since the server's ids restart
      t = { turnId, stream: this.stream, n: this.count, atMs: null, speechEndSentAt: null, stoppedAt: null,
            firstAudioAt: null, firstPlayedAt: null,
            e2eMs: null, playoutMs: null, stages: null, interrupted: false };
      this.turns.set(this.key(turnId), t);
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
    const t = this.turns.get(this.key(turnId));
    if (t && t.firstPlayedAt === null) {
      t.firstPlayedAt = now;
      if (t.speechEndSentAt !== null) t.playoutMs = now - t.speechEndSentAt;
    }
  }

  forget(turnId) {
    this.turns.delete(this.key(turnId));
  }

  interrupted(turnId) {
    const t = this.turns.get(this.key(turnId));
    if (t) t.interrupted = true;
  }

  timing(turnId, stages) {
    this.turn(turnId).stages = { ...stages };
  }

  /** What the user waited for in this turn (see breakdown), or null before its stage timings. */
  breakdown(t) {
    return t.stages ? breakdown(t.stages, t.e2eMs) : null;
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
      turnId: t.turnId, stream: t.stream, n: t.n, atMs: t.atMs, e2eMs: t.e2eMs, playoutMs: t.playoutMs,
      stages: t.stages,
      interrupted: t.interrupted,
    }));
  }
}
