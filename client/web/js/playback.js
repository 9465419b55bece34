// Reply playback through the jitter-buffer worklet, at the reply's own sample rate.

import { workletUrl } from "./assets.js";
import { pcm16ToFloat } from "./protocol.js";

/** Streaming linear-interpolation resampler: only used if the browser refuses the reply's rate. */
class LinearResampler {
  constructor(inRate, outRate) {
    this.step = inRate / outRate;
    this.reset();
  }

  reset() {
    this.prev = 0;
    this.pos = 0; // position of the next output sample, relative to the current chunk (-1 = prev)
  }

  process(input) {
    const out = [];
    while (this.pos < input.length - 1 + 1e-9) {
      const i = Math.floor(this.pos);
      const f = this.pos - i;
      const a = i < 0 ? this.prev : input[i];
      const b = input[Math.min(i + 1, input.length - 1)];
      out.push(a + (b - a) * f);
      this.pos += this.step;
    }
    this.pos -= input.length;
    this.prev = input[input.length - 1];
    return Float32Array.from(out);
  }
}

export class Playback {
  /** Open an output context at `rate` Hz (the reply's rate) with a ~`prebufferMs` jitter buffer. */
  static async open(rate, { prebufferMs = 100, onEvent = () => {} } = {}) {
    let ctx;
    try {
      ctx = new AudioContext({ sampleRate: rate, latencyHint: "interactive" });
    } catch {
      ctx = new AudioContext({ latencyHint: "interactive" });
    }
    try {
      await ctx.audioWorklet.addModule(await workletUrl("worklets/playback-processor.js"));
    } catch (err) {
      ctx.close().catch(() => {});
      throw err;
    }
    const node = new AudioWorkletNode(ctx, "playback-processor", {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: { prebufferMs, fadeMs: 4 },
    });
    node.connect(ctx.destination);
    ctx.resume().catch(() => {}); // resolves once autoplay is allowed (the Connect click allows it)
    return new Playback(ctx, node, rate, onEvent);
  }

  constructor(ctx, node, rate, onEvent) {
    this.ctx = ctx;
    this.node = node;
    this.rate = rate;
    this.resampler = ctx.sampleRate === rate ? null : new LinearResampler(rate, ctx.sampleRate);
    this.resampledTurn = null;
    this.pending = new Map();
    this.nextId = 1;
    this.stats = { active: false, playing: false, playedMs: 0, framesPlayed: 0, underruns: 0, queuedMs: 0, byTurn: {} };
    node.port.onmessage = (event) => this.onMessage(event.data, onEvent);
  }

  onMessage(msg, onEvent) {
    if (msg.type === "stats") this.stats = msg;
    if (msg.type === "underrun") this.stats.underruns = msg.underruns;
    if (msg.type === "flushed") {
      const resolve = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (resolve) resolve(msg);
    }
    onEvent(msg);
  }

  /** Queue one frame of reply audio (Int16Array at the reply rate). */
  push(turnId, pcm) {
    let samples = pcm16ToFloat(pcm);
    if (this.resampler) {
      if (this.resampledTurn !== turnId) this.resampler.reset();
      this.resampledTurn = turnId;
      samples = this.resampler.process(samples);
    }
    this.node.port.postMessage({ type: "push", turnId, samples }, [samples.buffer]);
  }

  /** No more audio will come for `turnId`: play out its tail without waiting for the prebuffer. */
  end(turnId) {
    this.node.port.postMessage({ type: "end", turnId });
  }

  /** Empty the buffer now (short fade); resolves to {turnId, byTurn: {turnId: playedMs}}. */
  flush() {
    const id = this.nextId++;
    if (this.resampler) this.resampler.reset();
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.node.port.postMessage({ type: "flush", id });
      setTimeout(() => {
        if (this.pending.delete(id)) resolve({ id, turnId: null, byTurn: { ...this.stats.byTurn } });
      }, 250);
    });
  }

  close() {
    this.node.port.postMessage({ type: "stop" });
    this.node.port.onmessage = null;
    this.ctx.close().catch(() => {});
  }
}
