"""Plays the clip set: K concurrent sessions, each playing every clip N times, one mode at a time.

Within a session, clips follow one another with ``gap_s`` of noise between them, so the
conversation history grows as it would in a real dialogue. At the end of every session the
stored history is fetched (``get_history``) and the session's counts are taken
(:mod:`client.benchmark.longrun`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from client.benchmark.clips import Clip
from client.benchmark.longrun import session_stats
from client.benchmark.noise import NoiseStream
from client.benchmark.session import BenchSession, PlayedClip
from client.benchmark.stats import wer

GAP_S = 1.0
"""Noise floor between the end of one clip's reply and the next clip, in seconds."""
CLIP_TIMEOUT_S = 60.0
"""Longest wait for one clip, from queueing it to its reply being done, in seconds."""


@dataclass
class TurnRecord:
    """One played clip, measured (``end_to_end_ms`` is None when it could not be).

    ``end_to_end_ms`` runs from the clip's acoustic end (the headline and the budget);
    ``end_to_end_vad_ms`` from the webrtcvad end, as the benchmark measured before.
    """

    clip: str
    mode: str
    session: int
    repeat: int
    index: int
    end_to_end_ms: float | None
    stages: dict[str, float]
    """Server stage timings of the answering turn plus ``network_other_ms``, in ms."""
    split: bool
    merged: bool
    """The server ended the turn at a pause, then merged the continuation (a repaired split)."""
    n_turns: int
    """Turns the server committed during the clip, noise turns included."""
    dropped_turns: int
    """Committed turns the server dropped as noise."""
    turn_id: int | None
    transcript: str
    turn_transcript: str
    reply_text: str
    reference: str | None
    wer: float | None
    speech_end_s: float
    """End of speech within the clip (webrtcvad), in seconds from its start."""
    clip_s: float
    error: str | None = None
    vad_offset_ms: float | None = None
    """Server's end of speech minus the benchmark's (webrtcvad on the clip), in ms of audio."""
    end_to_end_vad_ms: float | None = None
    """First reply audio minus the send of the frame holding webrtcvad's end of speech, in ms."""
    endpoint_wait_acoustic_ms: float | None = None
    """Acoustic end to the client receiving the answering turn's ``speech_stopped`` (network included), ms."""
    acoustic_end_s: float | None = None
    """Acoustic end of speech within the clip, in seconds from its start."""
    reply_interrupted: bool = False
    """The answering turn's ``reply_done`` said ``interrupted`` (the benchmark never interrupts)."""
    voice: str = ""
    has_pause: bool | None = None
    set_name: str = ""
    protocol: str = "native"
    """How the clip was played: "native", or "realtime" (``/v1/realtime``: no server stage timings)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def make_record(clip: Clip, played: PlayedClip, *, mode: str, session: int, repeat: int, index: int,
                protocol: str = "native") -> TurnRecord:
    """A record from what the session heard; ``error`` says why a clip has no latency."""
    o = played.outcome
    error = None
    if o.errors:
        error = "; ".join(o.errors)
    elif played.connection_lost and o.end_to_end_ms is None:
        error = "connection lost"
    elif played.timed_out:
        error = "timed out"
    elif o.turn_id is None:
        error = "no turn committed" if not o.committed else "only noise heard"
    elif o.early:
        error = "ended inside the sentence (cut at a pause, the rest not merged): no reply to the whole clip"
    elif o.end_to_end_ms is None:
        error = "no reply audio"
    return TurnRecord(
        clip=clip.name, mode=mode, session=session, repeat=repeat, index=index,
        end_to_end_ms=o.end_to_end_ms, stages=o.stages, split=o.split, merged=o.merged, n_turns=len(o.committed),
        dropped_turns=len(o.dropped), turn_id=o.turn_id, transcript=o.transcript,
        turn_transcript=o.turn_transcript, reply_text=o.reply_text, reference=clip.reference,
        wer=wer(clip.reference, o.transcript) if clip.reference else None,
        speech_end_s=clip.speech_end_s, clip_s=clip.duration_s, error=error,
        vad_offset_ms=o.vad_offset_ms, end_to_end_vad_ms=o.end_to_end_vad_ms,
        endpoint_wait_acoustic_ms=o.endpoint_wait_acoustic_ms, acoustic_end_s=round(clip.acoustic_end_s, 4),
        reply_interrupted=o.reply_interrupted, voice=clip.voice, has_pause=clip.has_pause, set_name=clip.set_name,
        protocol=protocol,
    )


def failed_record(clip: Clip, error: str, *, mode: str, session: int, repeat: int, index: int,
                  protocol: str = "native") -> TurnRecord:
    """A record for a clip that never got played (the session could not open or was lost)."""
    return TurnRecord(clip.name, mode, session, repeat, index, None, {}, False, 0, 0, None, "", "", "",
                      clip.reference, None, clip.speech_end_s, clip.duration_s, error,
                      acoustic_end_s=round(clip.acoustic_end_s, 4), voice=clip.voice, has_pause=clip.has_pause,
                      set_name=clip.set_name, protocol=protocol)


@dataclass
class ModeRun:
    """Everything one mode's run produced: the turns in play order and one count dict per session."""

    records: list[TurnRecord] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)


NoiseFactory = Callable[[int], NoiseStream | None]
"""Session index -> that session's noise (None: the default -60 dBFS white floor between clips)."""


def _stats(bench: BenchSession, played: list[PlayedClip], records: list[TurnRecord], *, mode: str,
           session: int, protocol: str) -> dict[str, Any]:
    first_tokens = [r.stages["llm_first_token_ms"] for r in records if r.stages.get("llm_first_token_ms") is not None]
    stats = session_stats(bench.events, [p.onset_t for p in played if p.onset_t is not None],
                          turn_ids=[r.turn_id for r in records], replies=[r.reply_text for r in records],
                          first_tokens=first_tokens, history=bench.history)
    return {"session": session, "mode": mode, "protocol": protocol, **stats}


async def _run_session(url: str, clips: list[Clip], *, mode: str, session: int, repeat: int, gap_s: float,
                       timeout_s: float, progress: Callable[[TurnRecord, int, int], None],
                       noise: NoiseFactory, mix_noise: bool, protocol: str, first_repeat: int) -> ModeRun:
    total = repeat * len(clips)
    plan = [(first_repeat + r, i, c) for r in range(repeat) for i, c in enumerate(clips)]
    records: list[TurnRecord] = []
    try:
        bench = await BenchSession.open(url, pipeline=mode, seed=session, noise=noise(session), mix_noise=mix_noise,
                                        protocol=protocol)
    except (OSError, ConnectionError, TimeoutError) as exc:
        return ModeRun([failed_record(c, f"session not opened: {exc}", mode=mode, session=session, repeat=r, index=i,
                                      protocol=protocol) for r, i, c in plan])
    played_clips: list[PlayedClip] = []
    try:
        await bench.silence(gap_s)
        for r, i, clip in plan:
            if bench.closed:
                records.append(failed_record(clip, "connection lost", mode=mode, session=session, repeat=r, index=i,
                                             protocol=protocol))
                continue
            played = await bench.play(clip, timeout_s=timeout_s)
            played_clips.append(played)
            record = make_record(clip, played, mode=mode, session=session, repeat=r, index=i, protocol=protocol)
            records.append(record)
            progress(record, len(records), total)
            await bench.silence(gap_s)
        await bench.fetch_history()
    finally:
        await bench.close()
    return ModeRun(records, [_stats(bench, played_clips, records, mode=mode, session=session, protocol=protocol)])


async def run_mode(url: str, clips: list[Clip], *, mode: str, concurrency: int = 1, repeat: int = 1,
                   gap_s: float = GAP_S, timeout_s: float = CLIP_TIMEOUT_S,
                   progress: Callable[[TurnRecord, int, int], None] = lambda *_: None,
                   noise: NoiseFactory = lambda _: None, mix_noise: bool = False, protocol: str = "native",
                   first_repeat: int = 0) -> ModeRun:
    """Every record of ``concurrency`` simultaneous sessions in pipeline ``mode`` over ``protocol``
    ("native" or "realtime") in play order, and each session's counts; repeats are numbered from
    ``first_repeat``."""
    per_session = await asyncio.gather(*(
        _run_session(url, clips, mode=mode, session=k, repeat=repeat, gap_s=gap_s, timeout_s=timeout_s,
                     progress=progress, noise=noise, mix_noise=mix_noise, protocol=protocol,
                     first_repeat=first_repeat)
        for k in range(concurrency)
    ))
    return ModeRun([r for run in per_session for r in run.records], [s for run in per_session for s in run.sessions])
