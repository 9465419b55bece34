"""Pure accounting of one clip: which turn answered it, whether it was split, and its latency.

Input is the clip's event log: what the server sent while the clip (and the silence after it)
was being played, each stamped with the client's monotonic clock. No I/O here, so every rule
can be checked from a scripted log.

Rules:
- A turn is committed when ``speech_stopped`` carries its turn id.
- A committed turn whose final transcript is empty was dropped by the server as noise; it does
  not answer the clip and does not count towards a split.
- The clip's turn is the last committed, non-dropped turn; more than one such turn means the
  server split the utterance ("split"), and latency is measured for that last turn.
- End-to-end latency (the headline) runs from the clip's acoustic end (when its sound stopped,
  see :mod:`client.benchmark.speech_end`) to the first reply-audio frame of that turn; the
  secondary figure ``end_to_end_vad_ms`` runs from the send of the frame holding webrtcvad's last
  voiced frame instead, as the benchmark measured before. Audio of any other turn (an earlier half
  of a split, a previous clip's reply) does not stop the clock.
- A turn the server ended more than ``EARLY_MS`` before the clip's sound stopped (by the acoustic
  and the webrtcvad end alike) was cut inside the sentence: if nothing merged the rest back, it
  "answered" only part of the clip. That counts as a split with no latency (its reply may even
  start before the user stops: a negative time).
- ``endpoint_wait_acoustic_ms``: from the acoustic end to the client receiving the answering
  turn's ``speech_stopped`` (the server's commit as the client sees it; network included).
- Identity: ``end_to_end_ms = vad_tail_ms + endpoint_wait_ms + server_first_audio_ms +
  network_other_ms``. ``vad_tail_ms`` is stream time from the acoustic end to where the server's
  VAD put the end of speech (``speech_stopped.at_ms``): its hangover and gate, negative when the
  server's VAD stops before a quiet trailing sound does. ``network_other_ms`` is what is left:
  transport both ways and client-side scheduling. Without an acoustic end (old callers) there is
  no ``vad_tail_ms`` and ``network_other_ms`` is ``end_to_end_vad_ms`` minus the server's stages,
  so it also holds the disagreement between the client's webrtcvad end and the server's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SPEECH_STARTED = "speech_started"
SPEECH_STOPPED = "speech_stopped"
TRANSCRIPT = "transcript"
AUDIO = "audio"
REPLY_DONE = "reply_done"
TIMING = "turn_timing"
ERROR = "error"
EARLY_MS = 300.0
"""A turn whose end of speech is this far before the clip's acoustic end (ms of stream) ended early."""


@dataclass(frozen=True)
class Event:
    """One server message as the benchmark sees it; ``t`` is client monotonic time, in seconds."""

    t: float
    kind: str
    turn_id: int | None = None
    text: str = ""
    interrupted: bool = False
    stages: dict[str, float] = field(default_factory=dict)
    at_ms: float | None = None
    """``speech_stopped`` only: where the server's VAD put the end of speech, in ms of the stream."""
    replaces_turn: int | None = None
    """``transcript`` only: the earlier turn this one continues (the server merged a pause)."""


@dataclass(frozen=True)
class ClipOutcome:
    """What a clip's event log says about its turn."""

    turn_id: int | None
    """The turn that answered the clip (None: no turn with words was committed)."""
    committed: tuple[int, ...]
    """Every committed turn id, in commit order (dropped ones included)."""
    dropped: tuple[int, ...]
    """Committed turns the server dropped as noise (empty transcript)."""
    split: bool
    """More than one turn answered the clip (a pause ended the user's turn and was not repaired)."""
    merged: bool
    """A pause ended the turn early, then the server merged the continuation into one turn."""
    end_to_end_ms: float | None
    """First reply audio of ``turn_id`` minus the acoustic end, in ms (the headline)."""
    stages: dict[str, float]
    """The server's ``turn_timing`` stages for ``turn_id``, in ms, plus ``network_other_ms``."""
    transcript: str
    """Transcripts of the answering turns joined in order (what the server heard of the clip)."""
    turn_transcript: str
    """Transcript of ``turn_id`` alone."""
    reply_text: str
    errors: tuple[str, ...]
    vad_offset_ms: float | None = None
    """Server's end of speech minus ours, in ms of the audio stream (positive: the server heard
    speech end later). It is part of ``network_other_ms``, not transport time."""
    end_to_end_vad_ms: float | None = None
    """First reply audio of ``turn_id`` minus the send of the frame holding webrtcvad's end, in ms."""
    endpoint_wait_acoustic_ms: float | None = None
    """``speech_stopped`` of ``turn_id`` as received minus the acoustic end, in ms."""
    reply_interrupted: bool = False
    """The answering turn's ``reply_done`` says ``interrupted``."""
    early: bool = False
    """The answering turn ended inside the clip's sentence and nothing merged the rest (a split)."""

    @property
    def answered(self) -> tuple[int, ...]:
        return tuple(t for t in self.committed if t not in self.dropped)


def committed_turns(events: list[Event]) -> list[int]:
    """Turn ids with a ``speech_stopped``, in order, without repeats."""
    out: list[int] = []
    for e in events:
        if e.kind == SPEECH_STOPPED and e.turn_id is not None and e.turn_id not in out:
            out.append(e.turn_id)
    return out


def _transcripts(events: list[Event]) -> dict[int, str]:
    return {e.turn_id: e.text for e in events if e.kind == TRANSCRIPT and e.turn_id is not None}


def pending_turns(events: list[Event]) -> set[int]:
    """Committed turns not finished yet: no empty transcript, no interrupted ``reply_done``, and no
    ``turn_timing`` (which the server sends right after a normal ``reply_done``)."""
    done: set[int] = set()
    for e in events:
        if e.turn_id is None:
            continue
        if (e.kind == TRANSCRIPT and not e.text) or e.kind == TIMING or (e.kind == REPLY_DONE and e.interrupted):
            done.add(e.turn_id)
    return {t for t in committed_turns(events) if t not in done}


def speech_open(events: list[Event]) -> bool:
    """True when the server's last word was ``speech_started`` (a turn may still be committed)."""
    for e in reversed(events):
        if e.kind == SPEECH_STOPPED:
            return False
        if e.kind == SPEECH_STARTED:
            return True
    return False


def is_settled(events: list[Event], tail_s: float, *, min_tail_s: float = 1.5, open_tail_s: float = 3.0,
               empty_tail_s: float = 4.0) -> bool:
    """Whether the clip is over: nothing pending and enough silence sent after it.

    ``tail_s`` is the silence sent since the clip's last sample, in seconds. ``min_tail_s`` must exceed
    the server's longest end-of-turn silence (1.0 s for an unfinished-sounding turn), so a late second
    half is never missed; an open ``speech_started`` is waited on up to ``open_tail_s`` (the server
    may discard it silently); with no turn at all, the clip is given up after ``empty_tail_s``.
    """
    if tail_s < min_tail_s or pending_turns(events):
        return False
    if speech_open(events) and tail_s < open_tail_s:
        return False
    transcripts = _transcripts(events)
    answered = [t for t in committed_turns(events) if transcripts.get(t, None) != ""]
    return bool(answered) or tail_s >= empty_tail_s


def _ms(later: float | None, earlier: float | None) -> float | None:
    return round(1000.0 * (later - earlier), 2) if later is not None and earlier is not None else None


def attribute(events: list[Event], speech_end_t: float | None, speech_end_stream_ms: float | None = None, *,
              acoustic_end_t: float | None = None, acoustic_end_stream_ms: float | None = None) -> ClipOutcome:
    """Account one clip (see the module docstring for the rules).

    ``speech_end_t``: client monotonic time (s) at which the frame holding the last voiced sample
    was sent; ``speech_end_stream_ms``: where that frame ends in the session's audio stream (ms);
    ``acoustic_end_t``: when the clip's sound stopped (s; None: use ``speech_end_t``);
    ``acoustic_end_stream_ms``: where it is in the stream (ms).
    """
    committed = committed_turns(events)
    transcripts = _transcripts(events)
    replaced = {e.replaces_turn for e in events if e.kind == TRANSCRIPT and e.replaces_turn is not None}
    dropped = [t for t in committed if transcripts.get(t) == ""]
    answered = [t for t in committed if t not in dropped and t not in replaced]
    turn = answered[-1] if answered else None
    clock = acoustic_end_t if acoustic_end_t is not None else speech_end_t
    first_audio = next((e.t for e in events if e.kind == AUDIO and turn is not None and e.turn_id == turn), None)
    commit_t = next((e.t for e in events if e.kind == SPEECH_STOPPED and turn is not None and e.turn_id == turn), None)
    server_end = next((e.at_ms for e in events if e.kind == SPEECH_STOPPED and e.turn_id == turn and turn is not None),
                      None)
    # Both ends must be well after the server's: a background within 35 dB of the speech moves the
    # acoustic end later (jfk.flac's crowd), webrtcvad's hangover moves its end later than the sound.
    ends = [e for e in (acoustic_end_stream_ms, speech_end_stream_ms) if e is not None]
    early = server_end is not None and acoustic_end_stream_ms is not None and server_end < min(ends) - EARLY_MS
    e2e_vad = None if early else _ms(first_audio, speech_end_t)
    e2e = None if early else _ms(first_audio, clock)
    stages: dict[str, float] = {}
    reply_text = ""
    interrupted = False
    for e in events:
        if e.turn_id != turn or turn is None:
            continue
        if e.kind == TIMING:
            stages = dict(e.stages)
        elif e.kind == REPLY_DONE:
            reply_text, interrupted = e.text, e.interrupted
    if server_end is not None and acoustic_end_t is not None and acoustic_end_stream_ms is not None:
        stages["vad_tail_ms"] = round(server_end - acoustic_end_stream_ms, 2)
    if e2e is not None and "endpoint_wait_ms" in stages and "server_first_audio_ms" in stages:
        # What the server's own stages do not cover: transport both ways, client-side scheduling (and,
        # without an acoustic end, the disagreement between our VAD's end of speech and the server's).
        base = e2e - stages["vad_tail_ms"] if "vad_tail_ms" in stages else e2e_vad
        if base is not None:
            stages["network_other_ms"] = round(base - stages["endpoint_wait_ms"] - stages["server_first_audio_ms"], 2)
    vad_offset = None
    if server_end is not None and speech_end_stream_ms is not None:
        vad_offset = round(server_end - speech_end_stream_ms, 1)
    errors = tuple(f"{e.text}" for e in events if e.kind == ERROR and (e.turn_id is None or e.turn_id in committed))
    return ClipOutcome(
        turn_id=turn,
        committed=tuple(committed),
        dropped=tuple(dropped),
        split=len(answered) > 1 or early,
        merged=bool(replaced & set(committed)),
        end_to_end_ms=e2e,
        stages=stages,
        transcript=" ".join(transcripts.get(t, "") for t in answered).strip(),
        turn_transcript=transcripts.get(turn, "") if turn is not None else "",
        reply_text=reply_text,
        errors=errors,
        vad_offset_ms=vad_offset,
        end_to_end_vad_ms=e2e_vad,
        endpoint_wait_acoustic_ms=_ms(commit_t, clock),
        reply_interrupted=interrupted,
        early=early,
    )


PLOT_SEGMENTS = ("vad_tail", "endpoint_wait", "stt", "llm_first_clause", "tts_first_audio", "network_other")
"""Stacked-bar segments, bottom to top."""


def breakdown(end_to_end_ms: float, stages: dict[str, Any]) -> dict[str, float]:
    """Split ``end_to_end_ms`` into the visible part of each stage (ms); the segments add up to it.

    The server's work chain (STT, then LLM to the first clause, then TTS of it) may start before the
    turn is committed (the fast pipeline speculates at the first pause), so part of it hides inside
    the endpoint wait. Only what the client waited for after the commit is stacked
    (``server_first_audio_ms``), taken from the end of the chain; the part done before the commit is
    returned as ``hidden`` (drawn as an overlay, not stacked). Post-commit server time the chain does
    not explain, plus ``network_other_ms``, is ``network_other``. Negative leftovers (clock or VAD
    disagreement) are clamped to 0, so the sum can exceed e2e by that amount. ``vad_tail`` (acoustic
    end to the server's end of speech) is the bottom segment.
    """
    tail = max(0.0, float(stages.get("vad_tail_ms", 0.0)))
    endpoint = max(0.0, float(stages.get("endpoint_wait_ms", 0.0)))
    chain = [max(0.0, float(stages.get(k, 0.0))) for k in ("stt_ms", "first_clause_ms", "tts_first_audio_ms")]
    server = stages.get("server_first_audio_ms")
    post = max(0.0, float(server)) if server is not None else max(0.0, end_to_end_ms - tail - endpoint)
    hidden = max(0.0, sum(chain) - post)
    visible: list[float] = []
    to_hide = hidden
    for part in chain:  # the earliest work is what finished before the commit
        cut = min(part, to_hide)
        visible.append(part - cut)
        to_hide -= cut
    other = max(0.0, end_to_end_ms - tail - endpoint - sum(visible))
    return {
        "vad_tail": tail,
        "endpoint_wait": endpoint,
        "stt": visible[0],
        "llm_first_clause": visible[1],
        "tts_first_audio": visible[2],
        "network_other": other,
        "hidden": min(hidden, endpoint),
    }
