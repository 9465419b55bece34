// Microphone capture: getUserMedia -> AudioWorklet (resample to 16 kHz, 20 ms PCM16 frames).

import { workletUrl } from "./assets.js";

const CONSTRAINTS = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
};

/** A microphone problem the page explains; `kind` is denied|missing|busy|insecure|audio|failed. */
export class MicError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }

  static from(err) {
    const name = (err && err.name) || "";
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return new MicError("denied", "Microphone permission was denied.");
    }
    if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") {
      return new MicError("missing", "No microphone was found.");
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
      return new MicError("busy", "The microphone could not be opened; another application may be using it.");
    }
    return new MicError("failed", `The microphone could not be started (${name || err}).`);
  }
}

export class Capture {
  /**
   * Open the microphone. `onFrame(Int16Array)` gets every 20 ms frame at 16 kHz,
   * `onLevel(rms, peak)` its level, `onEnded()` fires if the device goes away.
   */
  static async open({ onFrame, onLevel, onEnded }) {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new MicError("insecure", "This page needs a secure context (https:// or localhost) to use the microphone.");
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
    } catch (err) {
      throw MicError.from(err);
    }
    const track = stream.getAudioTracks()[0];
    if (!track) throw new MicError("missing", "No microphone was found.");
    const ctx = new AudioContext({ latencyHint: "interactive" });
    try {
      await ctx.audioWorklet.addModule(await workletUrl("worklets/capture-processor.js"));
      const source = ctx.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(ctx, "capture-processor", {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        channelCount: 1,
        channelCountMode: "explicit",
        channelInterpretation: "speakers",
      });
      const sink = ctx.createGain(); // keeps the node pulled by the graph, silently
      sink.gain.value = 0;
      source.connect(node).connect(sink).connect(ctx.destination);
      const capture = new Capture(ctx, stream, track, node, source);
      node.port.onmessage = (event) => {
        const { pcm, rms, peak } = event.data;
        onLevel(capture.muted ? 0 : rms, capture.muted ? 0 : peak);
        onFrame(new Int16Array(pcm));
      };
      track.addEventListener("ended", () => onEnded && onEnded());
      ctx.resume().catch(() => {});
      return capture;
    } catch (err) {
      stream.getTracks().forEach((t) => t.stop());
      ctx.close().catch(() => {});
      throw new MicError("audio", `The audio processor could not start: ${err.message || err}`);
    }
  }

  constructor(ctx, stream, track, node, source) {
    this.ctx = ctx;
    this.stream = stream;
    this.track = track;
    this.node = node;
    this.source = source;
    this.muted = false;
  }

  get sampleRate() {
    return this.ctx.sampleRate;
  }

  /** Muting disables the track: frames keep flowing as silence, so stream time stays continuous. */
  setMuted(muted) {
    this.muted = muted;
    this.track.enabled = !muted;
  }

  close() {
    this.node.port.postMessage({ type: "stop" });
    this.node.port.onmessage = null;
    this.source.disconnect();
    this.stream.getTracks().forEach((t) => t.stop());
    this.ctx.close().catch(() => {});
  }
}
