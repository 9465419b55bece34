"""Plays the clip set: K concurrent sessions, each playing every clip N times, one mode at a time.

Within a session, clips follow one another with ``gap_s`` of noise floor between them, so the
conversation history grows as it would in a real dialogue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from client.benchmark.clips import Clip
from client.benchmark.session import BenchSession, PlayedClip
from client.benchmark.stats import wer

GAP_S = 1.0
"""Noise floor between the end of one clip's reply and the next clip, in seconds."""
CLIP_TIMEOUT_S = 60.0
"""Longest wait for one clip, from queueing it to its reply being done, in seconds."""


@dataclass
class TurnRecord:
    """One played clip, measured (``end_to_end_ms`` is None when it could not be)."""

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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def make_record(clip: Clip, played: PlayedClip, *, mode: str, session: int, repeat: int, index: int) -> TurnRecord:
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
    elif o.end_to_end_ms is None:
        error = "no reply audio"
    return TurnRecord(
        clip=clip.name, mode=mode, session=session, repeat=repeat, index=index,
        end_to_end_ms=o.end_to_end_ms, stages=o.stages, split=o.split, merged=o.merged, n_turns=len(o.committed),
        dropped_turns=len(o.dropped), turn_id=o.turn_id, transcript=o.transcript,
        turn_transcript=o.turn_transcript, reply_text=o.reply_text, reference=clip.reference,
        wer=wer(clip.reference, o.transcript) if clip.reference else None,
        speech_end_s=clip.speech_end_s, clip_s=clip.duration_s, error=error,
        vad_offset_ms=o.vad_offset_ms,
    )


def failed_record(clip: Clip, error: str, *, mode: str, session: int, repeat: int, index: int) -> TurnRecord:
    """A record for a clip that never got played (the session could not open or was lost)."""
    return TurnRecord(clip.name, mode, session, repeat, index, None, {}, False, 0, 0, None, "", "", "",
                      clip.reference, None, clip.speech_end_s, clip.duration_s, error)


async def _run_session(url: str, clips: list[Clip], *, mode: str, session: int, repeat: int, gap_s: float,
                       timeout_s: float, progress: Callable[[TurnRecord, int, int], None]) -> list[TurnRecord]:
    total = repeat * len(clips)
    plan = [(r, i, c) for r in range(repeat) for i, c in enumerate(clips)]
    records: list[TurnRecord] = []
    try:
        bench = await BenchSession.open(url, pipeline=mode, seed=session)
    except (OSError, ConnectionError, TimeoutError) as exc:
        return [failed_record(c, f"session not opened: {exc}", mode=mode, session=session, repeat=r, index=i)
                for r, i, c in plan]
    try:
        await bench.silence(gap_s)
        for r, i, clip in plan:
            if bench.closed:
                records.append(failed_record(clip, "connection lost", mode=mode, session=session, repeat=r, index=i))
                continue
            played = await bench.play(clip, timeout_s=timeout_s)
            record = make_record(clip, played, mode=mode, session=session, repeat=r, index=i)
            records.append(record)
            progress(record, len(records), total)
            await bench.silence(gap_s)
    finally:
        await bench.close()
    return records


async def run_mode(url: str, clips: list[Clip], *, mode: str, concurrency: int = 1, repeat: int = 1,
                   gap_s: float = GAP_S, timeout_s: float = CLIP_TIMEOUT_S,
                   progress: Callable[[TurnRecord, int, int], None] = lambda *_: None) -> list[TurnRecord]:
    """Every record of ``concurrency`` simultaneous sessions in pipeline ``mode``, in play order."""
    per_session = await asyncio.gather(*(
        _run_session(url, clips, mode=mode, session=k, repeat=repeat, gap_s=gap_s, timeout_s=timeout_s,
                     progress=progress)
        for k in range(concurrency)
    ))
    return [r for records in per_session for r in records]
