// The page's test hooks and live counters, shared by the app's modules.

/** Test hooks and live counters (plain data; read with JSON.parse(JSON.stringify(edgeVoice))). */
export const hooks = {
  connection: "disconnected",
  state: "offline",
  muted: false,
  sessionId: null,
  resumed: false, // the last ready resumed the session of the connection before it
  connections: 0, // sessions opened (ready received), the first one included
  reconnects: 0, // automatic reconnect attempts
  history: null, // the last `history` the server sent (after a resume)
  activities: [], // each status the pill showed, in order (for the tests; the last 200)
  url: null,
  captureSampleRate: null,
  outputSampleRate: null,
  playbackSampleRate: null,
  framesSent: 0,
  audioFramesReceived: 0,
  audioFramesPlayed: 0,
  playedMs: 0,
  underruns: 0,
  interrupts: [],
  transcripts: [],
  replaced: [], // turn ids the server merged into a later turn (the user had only paused)
  replies: [],
  errors: [],
  notice: null,
  turns: [],
};
window.edgeVoice = hooks;
