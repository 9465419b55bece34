// Microphone capture: downmix to mono, resample the context rate to 16 kHz with a Kaiser-windowed
// sinc low-pass (anti-aliased), and post 20 ms frames of 320 PCM16 samples to the main thread.
//
// Message to the main thread, one per frame: {pcm: ArrayBuffer (Int16, 320 samples), rms, peak}
// (levels are of the 16 kHz frame, linear 0..1). Message from the main thread: {type: "stop"}.

const OUT_RATE = 16000;
const FRAME_SAMPLES = 320;

function besselI0(x) {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

/** Arbitrary-ratio band-limited resampler (windowed sinc, table-driven, streaming). */
class SincResampler {
  constructor(inRate, outRate, { zeroCrossings = 20, rolloff = 0.9, beta = 8.6, resolution = 256 } = {}) {
    this.bypass = inRate === outRate;
    this.step = inRate / outRate; // input samples advanced per output sample
    // Cut-off in cycles per input sample: just under the output Nyquist frequency.
    const fc = 0.5 * Math.min(1, outRate / inRate) * rolloff;
    this.half = Math.ceil(zeroCrossings / (2 * fc)); // kernel half-width, in input samples
    this.res = resolution;
    const n = this.half * resolution + 2;
    this.table = new Float32Array(n);
    const norm = besselI0(beta);
    for (let i = 0; i < n; i++) {
      const d = i / resolution;
      const x = 2 * fc * d;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = d / this.half;
      const w = r >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / norm;
      this.table[i] = 2 * fc * sinc * w;
    }
    this.buf = new Float32Array(8192);
    this.len = this.half; // start with `half` samples of silent history
    this.pos = this.half; // input position of the next output sample
  }

  /** Feed input samples; `emit(sample)` is called for every output sample now computable. */
  process(input, emit) {
    if (this.bypass) {
      for (let i = 0; i < input.length; i++) emit(input[i]);
      return;
    }
    if (this.len + input.length > this.buf.length) {
      const bigger = new Float32Array(2 * (this.len + input.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(input, this.len);
    this.len += input.length;
    const { buf, table, half, res } = this;
    while (Math.floor(this.pos) + half < this.len) {
      const p = this.pos;
      const base = Math.floor(p);
      let acc = 0;
      let wsum = 0;
      for (let k = base - half + 1; k <= base + half; k++) {
        const d = Math.abs(p - k) * res;
        const i = d | 0;
        const h = table[i] + (d - i) * (table[i + 1] - table[i]);
        acc += buf[k] * h;
        wsum += h;
      }
      emit(wsum > 0 ? acc / wsum : 0);
      this.pos += this.step;
    }
    const drop = Math.floor(this.pos) - half + 1; // samples no future output will touch
    if (drop > 0) {
      buf.copyWithin(0, drop, this.len);
      this.len -= drop;
      this.pos -= drop;
    }
  }
}

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.resampler = new SincResampler(sampleRate, OUT_RATE);
    this.mono = new Float32Array(128);
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
    this.sumSquares = 0;
    this.peak = 0;
    this.running = true;
    this.emit = (v) => this.push(v);
    this.port.onmessage = (event) => {
      if (event.data && event.data.type === "stop") this.running = false;
    };
  }

  push(value) {
    const s = value > 1 ? 1 : value < -1 ? -1 : value;
    this.sumSquares += s * s;
    const a = Math.abs(s);
    if (a > this.peak) this.peak = a;
    this.frame[this.filled++] = Math.round(s < 0 ? s * 32768 : s * 32767);
    if (this.filled === FRAME_SAMPLES) {
      const pcm = this.frame.buffer;
      this.port.postMessage({ pcm, rms: Math.sqrt(this.sumSquares / FRAME_SAMPLES), peak: this.peak }, [pcm]);
      this.frame = new Int16Array(FRAME_SAMPLES);
      this.filled = 0;
      this.sumSquares = 0;
      this.peak = 0;
    }
  }

  process(inputs) {
    if (!this.running) return false;
    const channels = inputs[0];
    let block;
    if (!channels || channels.length === 0) {
      // No live input (e.g. a track that is not producing yet): keep stream time with silence.
      this.mono.fill(0);
      block = this.mono;
    } else if (channels.length === 1) {
      block = channels[0];
    } else {
      const n = channels[0].length;
      if (this.mono.length !== n) this.mono = new Float32Array(n);
      this.mono.fill(0);
      for (const ch of channels) for (let i = 0; i < n; i++) this.mono[i] += ch[i] / channels.length;
      block = this.mono;
    }
    this.resampler.process(block, this.emit);
    return true;
  }
}

registerProcessor("capture-processor", CaptureProcessor);
