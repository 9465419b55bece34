// The edge voice wire protocol, version 1 (see app/protocol.py): JSON text messages plus binary
// audio. Client -> server audio: raw PCM16LE mono 16 kHz. Server -> client audio: a 12-byte
// header "<4sII" (magic "EVR1", turn_id, seq) followed by PCM16LE at ready.output.sample_rate.

export const PROTOCOL_VERSION = 1;
export const INPUT_SAMPLE_RATE = 16000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (INPUT_SAMPLE_RATE * FRAME_MS) / 1000;
export const REPLY_HEADER_BYTES = 12;
const MAGIC = [0x45, 0x56, 0x52, 0x31]; // "EVR1"
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The server's websocket URL, derived from the page's origin. */
export function serverUrl(loc = window.location) {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws`;
}

/** The subprotocol the server selects for browsers; a token rides beside it as "bearer.<token>". */
export const SUBPROTOCOL = "edgevoice.v1";

/**
 * An access token given to the page as #token=... (kept out of server logs) or ?token=...;
 * null when none. Browsers cannot set an Authorization header on a websocket, so the token is
 * offered as a subprotocol.
 */
export function accessToken(loc = window.location) {
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, "")).get("token");
  return fromHash || new URLSearchParams(loc.search).get("token") || null;
}

export const subprotocols = (token) => (token ? [SUBPROTOCOL, `bearer.${token}`] : []);

const json = (obj) => JSON.stringify(obj);

/** The first message; with `sessionId` (from an earlier `ready`) it resumes that conversation. */
export const hello = (sessionId = null) =>
  json({ type: "hello", protocol: PROTOCOL_VERSION, sample_rate: INPUT_SAMPLE_RATE, client: "web-demo",
    ...(sessionId ? { session_id: sessionId } : {}) });

export const getHistory = () => json({ type: "get_history" });

export const interrupt = (turnId, playedMs) =>
  json({ type: "interrupt", turn_id: turnId, played_ms: Math.max(0, Math.round(playedMs * 10) / 10) });

export const reset = () => json({ type: "reset" });

/** Parse a server text frame; returns null for anything that is not a typed JSON object. */
export function parseMessage(text) {
  try {
    const msg = JSON.parse(text);
    return msg && typeof msg === "object" && typeof msg.type === "string" ? msg : null;
  } catch {
    return null;
  }
}

/** Parse a server binary frame into {turnId, seq, pcm: Int16Array}; throws on a malformed one. */
export function parseReplyAudio(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < REPLY_HEADER_BYTES || (bytes.length - REPLY_HEADER_BYTES) % 2 !== 0) {
    throw new Error("reply audio frame is truncated or misaligned");
  }
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("reply audio frame has a bad magic");
  const view = new DataView(buffer);
  const turnId = view.getUint32(4, true);
  const seq = view.getUint32(8, true);
  const count = (bytes.length - REPLY_HEADER_BYTES) / 2;
  let pcm;
  if (LITTLE_ENDIAN) {
    pcm = new Int16Array(buffer, REPLY_HEADER_BYTES, count);
  } else {
    pcm = new Int16Array(count);
    for (let i = 0; i < count; i++) pcm[i] = view.getInt16(REPLY_HEADER_BYTES + 2 * i, true);
  }
  return { turnId, seq, pcm };
}

/** Int16 PCM to float32 in [-1, 1). */
export function pcm16ToFloat(pcm) {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i] / 32768;
  return out;
}

/** A readable explanation of a websocket close code. */
export function describeClose(code, reason) {
  const known = {
    1000: "closed normally",
    1001: "the server is going away",
    1002: "protocol error",
    1003: "unsupported data",
    1006: "the connection dropped",
    1008: "policy violation",
    1009: "message too big",
    1011: "internal server error",
    1013: "the server is busy, try again later",
  };
  const text = known[code] || "closed";
  return `${text} (code ${code}${reason ? `, ${reason}` : ""})`;
}
