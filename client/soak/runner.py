"""K sessions, each playing clips one after another in real time, until the soak's time is up.

Each session is the latency benchmark's microphone-like session (:class:`BenchSession`: a
continuous 20 ms stream, noise floor between clips) with reply-audio continuity and every
error event recorded on top. A session the server drops is counted and replaced by a new one,
so one failure does not end the soak.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app import protocol as p
from client.benchmark.clips import Clip
from client.benchmark.runner import CLIP_TIMEOUT_S, GAP_S, TurnRecord, make_record
from client.benchmark.session import BenchSession
from client.connection import AudioIn, ClientSession
from client.soak.frames import FrameCheck


@dataclass
class ErrorEvent:
    t_s: float
    session: int
    kind: str
    """``error`` (an error message), ``disconnect``, ``timeout`` or ``open_failed``."""
    detail: str


@dataclass
class SoakTurn:
    """One played clip, with when it happened."""

    t_s: float
    """When the clip's speech ended (the latency clock started), seconds since the soak start."""
    session: int
    connection: int
    """Which connection of this session (0 first; more after disconnects)."""
    record: TurnRecord

    def to_json(self) -> dict[str, Any]:
        r = self.record
        return {"t_s": round(self.t_s, 2), "session": self.session, "connection": self.connection, "clip": r.clip,
                "turn_id": r.turn_id, "end_to_end_ms": r.end_to_end_ms, "error": r.error, "split": r.split,
                "transcript": r.transcript, "reply_text": r.reply_text,
                "stages": {k: v for k, v in r.stages.items()}}


class SoakSession(BenchSession):
    """A benchmark session that also checks reply-audio continuity and keeps every error message."""

    def __init__(self, session: ClientSession, seed: int) -> None:
        self.frames = FrameCheck(session.output_rate)
        self.errors: list[p.Error] = []
        super().__init__(session, seed)

    @classmethod
    async def connect(cls, url: str, *, seed: int) -> SoakSession:
        session = await ClientSession.open(url, pipeline="fast", client="soak")
        return cls(session, seed)

    def _record(self, m: p.Message | AudioIn) -> None:
        if isinstance(m, AudioIn):
            self.frames.audio(m.turn_id, m.seq, int(m.samples.shape[0]))
        elif isinstance(m, p.ReplyDone):
            self.frames.reply_done(m.turn_id, float(m.audio_ms))
        elif isinstance(m, p.Error):
            self.errors.append(m)
        super()._record(m)


@dataclass
class SoakResult:
    turns: list[SoakTurn] = field(default_factory=list)
    errors: list[ErrorEvent] = field(default_factory=list)
    frame_checks: list[FrameCheck] = field(default_factory=list)
    connections: int = 0


async def _session_loop(url: str, clips: list[Clip], k: int, *, start: float, until: float, gap_s: float,
                        timeout_s: float, result: SoakResult,
                        progress: Callable[[SoakTurn], None]) -> None:
    """Session ``k``: clips in turn (starting at clip ``k``), until ``until`` (monotonic)."""
    index = k
    connection = -1
    while time.monotonic() < until:
        connection += 1
        try:
            bench = await SoakSession.connect(url, seed=1000 * k + connection)
        except (OSError, ConnectionError, TimeoutError) as exc:
            result.errors.append(ErrorEvent(time.monotonic() - start, k, "open_failed", str(exc)))
            await asyncio.sleep(min(5.0, max(0.0, until - time.monotonic())))
            continue
        result.connections += 1
        result.frame_checks.append(bench.frames)
        seen_errors = 0
        try:
            await bench.silence(gap_s)
            while time.monotonic() < until and not bench.closed:
                clip = clips[index % len(clips)]
                index += 1
                played = await bench.play(clip, timeout_s=timeout_s)
                record = make_record(clip, played, mode="fast", session=k, repeat=index // len(clips),
                                     index=index % len(clips))
                t = (played.speech_end_t or time.monotonic()) - start
                turn = SoakTurn(t, k, connection, record)
                result.turns.append(turn)
                progress(turn)
                for error in bench.errors[seen_errors:]:
                    result.errors.append(ErrorEvent(t, k, "error", f"{error.code}: {error.message}"))
                seen_errors = len(bench.errors)
                if played.timed_out:
                    result.errors.append(
                        ErrorEvent(t, k, "timeout", f"{clip.name}: no settled reply in {timeout_s:.0f} s"))
                if played.connection_lost or bench.closed:
                    break
                await bench.silence(gap_s)
        finally:
            lost = bench.closed
            await bench.close()
            for error in bench.errors[seen_errors:]:
                result.errors.append(ErrorEvent(time.monotonic() - start, k, "error", f"{error.code}: {error.message}"))
            if lost:
                code = bench.session.ws.close_code
                reason = bench.session.ws.close_reason
                result.errors.append(ErrorEvent(
                    time.monotonic() - start, k, "disconnect",
                    f"connection closed by the server (code {code}, {reason or 'no reason'})"))


async def run_soak(url: str, clips: list[Clip], *, sessions: int, duration_s: float, start: float,
                   gap_s: float = GAP_S, timeout_s: float = CLIP_TIMEOUT_S,
                   progress: Callable[[SoakTurn], None] = lambda _: None) -> SoakResult:
    """Run ``sessions`` sessions for ``duration_s`` seconds from ``start`` (monotonic); a clip under way
    when the time is up is finished (up to ``timeout_s``)."""
    result = SoakResult()
    until = start + duration_s
    await asyncio.gather(*(
        _session_loop(url, clips, k, start=start, until=until, gap_s=gap_s, timeout_s=timeout_s, result=result,
                      progress=progress)
        for k in range(sessions)
    ))
    return result
