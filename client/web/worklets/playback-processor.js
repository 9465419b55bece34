// Reply playback: a jitter buffer that plays queued float samples at the context rate.
//
// - Playback starts once `prebufferMs` of audio is queued, or at once for a turn the main thread
//   has marked ended (its tail may be shorter than the prebuffer).
// - While a turn may still get audio, the last `fadeMs` of the queue are held back; if the queue
//   runs dry those samples are played as a fade-out (no click), then silence: an underrun is
//   counted and playback rebuffers, resuming with a fade-in.
// - `flush` fades out over `fadeMs` and empties the queue, answering how much of each turn played.
//
// In:  {type: "push", turnId, samples: Float32Array} | {type: "end", turnId} | {type: "flush", id}
//      | {type: "stop"}
// Out: {type: "started", turnId} | {type: "drained", turnId} | {type: "underrun", underruns}
//      | {type: "flushed", id, turnId, byTurn: {turnId: playedMs}} | {type: "stats", ...}

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = (options && options.processorOptions) || {};
    this.prebuffer = Math.round(((opts.prebufferMs ?? 100) * sampleRate) / 1000);
    this.fadeLen = Math.max(1, Math.round(((opts.fadeMs ?? 4) * sampleRate) / 1000));
    this.queue = []; // {samples: Float32Array, offset, turnId}
    this.queued = 0;
    this.playing = false;
    this.fadeIn = 0;
    this.tail = new Float32Array(this.fadeLen);
    this.tailLen = 0;
    this.tailPos = 0;
    this.ended = new Set();
    this.lastPushedTurn = null;
    this.currentTurn = null;
    this.playedByTurn = new Map();
    this.playedSamples = 0;
    this.framesPlayed = 0;
    this.underruns = 0;
    this.active = false;
    this.running = true;
    this.blocks = 0;
    this.statsEvery = Math.max(1, Math.round((0.05 * sampleRate) / 128));
    this.port.onmessage = (event) => this.onMessage(event.data);
  }

  onMessage(msg) {
    switch (msg.type) {
      case "push":
        if (msg.samples.length === 0) return;
        this.queue.push({ samples: msg.samples, offset: 0, turnId: msg.turnId });
        this.queued += msg.samples.length;
        this.lastPushedTurn = msg.turnId;
        break;
      case "end":
        this.ended.add(msg.turnId);
        if (this.ended.size > 32) this.ended.delete(this.ended.values().next().value);
        break;
      case "flush":
        this.flush(msg.id);
        break;
      case "stop":
        this.running = false;
        break;
    }
  }

  ms(samples) {
    return (1000 * samples) / sampleRate;
  }

  byTurn() {
    const out = {};
    for (const [turn, samples] of this.playedByTurn) out[turn] = this.ms(samples);
    return out;
  }

  /** Copy `count` queued samples into dst[off...], accounting what was played. */
  readInto(dst, off, count) {
    let done = 0;
    while (done < count) {
      const chunk = this.queue[0];
      const take = Math.min(count - done, chunk.samples.length - chunk.offset);
      dst.set(chunk.samples.subarray(chunk.offset, chunk.offset + take), off + done);
      if (!this.playedByTurn.has(chunk.turnId)) {
        this.playedByTurn.set(chunk.turnId, 0);
        if (this.playedByTurn.size > 16) this.playedByTurn.delete(this.playedByTurn.keys().next().value);
        this.port.postMessage({ type: "started", turnId: chunk.turnId });
      }
      this.playedByTurn.set(chunk.turnId, this.playedByTurn.get(chunk.turnId) + take);
      this.currentTurn = chunk.turnId;
      chunk.offset += take;
      done += take;
      if (chunk.offset === chunk.samples.length) {
        this.queue.shift();
        this.framesPlayed += 1;
      }
    }
    this.queued -= count;
    this.playedSamples += count;
  }

  /** Move up to fadeLen queued samples into the tail, ramped down to silence. */
  fadeOutTail() {
    const len = Math.min(this.fadeLen, this.queued);
    if (len > 0) this.readInto(this.tail, 0, len);
    for (let j = 0; j < len; j++) this.tail[j] *= 1 - (j + 1) / len;
    this.tailLen = len;
    this.tailPos = 0;
  }

  flush(id) {
    const byTurn = this.byTurn(); // what had been heard when the flush arrived
    if (this.playing) this.fadeOutTail();
    this.queue = [];
    this.queued = 0;
    this.playing = false;
    const turnId = this.currentTurn ?? this.lastPushedTurn;
    this.port.postMessage({ type: "flushed", id, turnId, byTurn });
    this.postStats();
  }

  postStats() {
    this.port.postMessage({
      type: "stats",
      active: this.active,
      playing: this.playing,
      turnId: this.currentTurn,
      playedMs: this.ms(this.playedSamples),
      framesPlayed: this.framesPlayed,
      underruns: this.underruns,
      queuedMs: this.ms(this.queued),
      byTurn: this.byTurn(),
    });
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    const n = out.length;
    out.fill(0);
    let i = 0;
    while (i < n) {
      if (this.tailPos < this.tailLen) {
        const k = Math.min(n - i, this.tailLen - this.tailPos);
        out.set(this.tail.subarray(this.tailPos, this.tailPos + k), i);
        this.tailPos += k;
        i += k;
        continue;
      }
      const ended = this.ended.has(this.lastPushedTurn);
      if (!this.playing) {
        if (this.queued === 0 || (this.queued < this.prebuffer && !ended)) break;
        this.playing = true;
        this.fadeIn = this.fadeLen;
      }
      const reserve = ended ? 0 : this.fadeLen;
      const k = Math.min(n - i, this.queued - reserve);
      if (k > 0) {
        this.readInto(out, i, k);
        for (let j = i; j < i + k && this.fadeIn > 0; j++, this.fadeIn--) {
          out[j] *= 1 - this.fadeIn / this.fadeLen;
        }
        i += k;
        continue;
      }
      this.playing = false; // ran dry
      if (reserve > 0) {
        this.underruns += 1;
        this.fadeOutTail();
        this.port.postMessage({ type: "underrun", underruns: this.underruns });
      } else {
        this.port.postMessage({ type: "drained", turnId: this.currentTurn });
      }
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    const active = this.playing || this.queued > 0 || this.tailPos < this.tailLen;
    this.blocks += 1;
    if (active !== this.active || (active && this.blocks % this.statsEvery === 0)) {
      this.active = active;
      this.postStats();
    }
    return this.running;
  }
}

registerProcessor("playback-processor", PlaybackProcessor);
