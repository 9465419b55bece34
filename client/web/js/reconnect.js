// When and how soon the page reconnects after its connection ends. Pure: no DOM, no sockets,
// so the rules can be checked on their own (tests/e2e/test_web_demo.py imports this module).
// The desktop client (client/live.py) follows the same rules.

export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 8000;

/** Fatal errors after which the conversation is gone: start a new one at once. */
const GONE = new Set(["session_not_found", "invalid_session_id", "forbidden"]);

/** Fatal errors that a reconnect (with backoff) may cure: the session resumes. */
const TRANSIENT = new Set(["busy", "rate_limited", "idle_timeout"]);

/** Exponential backoff: 0.5 s, 1 s, 2 s, … up to 8 s; a server's retry_after_ms is a floor. */
export class Backoff {
  constructor(minMs = BACKOFF_MIN_MS, maxMs = BACKOFF_MAX_MS) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.reset();
  }

  reset() {
    this.delayMs = this.minMs;
    this.attempts = 0;
  }

  /** The wait before the next attempt, in ms. */
  next(retryAfterMs = 0) {
    const wait = Math.max(this.delayMs, retryAfterMs || 0);
    this.delayMs = Math.min(this.maxMs, this.delayMs * 2);
    this.attempts += 1;
    return wait;
  }
}

/**
 * What to do once a connection that had opened a session ends:
 * "resume" (reconnect with backoff, hello carries the session id), "new" (the server no longer has
 * the conversation: connect at once without it) or "stop" (tell the user; reconnecting would not
 * help, or would take the session back from the device that now holds it: session_taken_over).
 * `fatalCode` is the code of the fatal `error` that preceded the close, or null.
 */
export function afterClose({ fatalCode, hadSession }) {
  if (fatalCode === null || fatalCode === undefined) return "resume"; // dropped, or the node drains (1001)
  if (GONE.has(fatalCode)) return hadSession ? "new" : "stop";
  return TRANSIENT.has(fatalCode) ? "resume" : "stop";
}
