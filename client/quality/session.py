"""A benchmark session that also says which time zone the user is in and keeps the timer messages.

It is :class:`client.benchmark.session.BenchSession` (a microphone that never stops, and the event
log its accounting reads), opened with ``hello.timezone`` and recording what that class skips:
``timers`` lists, ``timer_fired`` alerts, ``reply_delta`` text, and ``turn_timing`` stages that are
not numbers (a ``tool`` name), which the parent's log cannot hold.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import connect

from app import protocol as p
from client.benchmark.noise import NoiseStream
from client.benchmark.session import BenchSession
from client.connection import AudioIn, ClientSession, SessionRefused
from client.quality.rules import FIRE_GRACE_S

CLIENT_NAME = "answer-quality"


async def open_client(url: str, *, timezone: str, pipeline: str = "fast") -> ClientSession:
    """Connect and say hello with ``timezone``; raises ConnectionError (SessionRefused) when refused.

    ``ClientSession.open`` has no ``timezone`` parameter yet, hence this handshake of its own.
    """
    ws = await connect(url, max_size=2**22, compression=None, open_timeout=30)
    await ws.send(p.Hello(sample_rate=16_000, pipeline=pipeline, client=CLIENT_NAME, timezone=timezone).encode())
    first = p.decode_server_message(await ws.recv())
    if not isinstance(first, p.Ready):
        await ws.close()
        if isinstance(first, p.Error):
            raise SessionRefused(first)
        raise ConnectionError(f"expected 'ready', got {first.type!r}")
    return ClientSession(ws, first)


@dataclass(frozen=True)
class Fired:
    """A ``timer_fired`` as received (``t``: client monotonic seconds)."""

    t: float
    id: str
    kind: str
    label: str
    text: str
    turn_id: int


class QualitySession(BenchSession):
    """:class:`BenchSession` plus timers, reply deltas and all of ``turn_timing.stages``."""

    def __init__(self, session: ClientSession, seed: int, *, noise: NoiseStream | None = None,
                 mix_noise: bool = False) -> None:
        self.fired: list[Fired] = []
        self.timer_lists: list[tuple[float, list[dict[str, Any]]]] = []
        """Every ``timers`` message: (client monotonic s, its timers)."""
        self.deltas: dict[int, str] = collections.defaultdict(str)
        self.raw_stages: dict[int, dict[str, Any]] = {}
        super().__init__(session, seed, noise=noise, mix_noise=mix_noise)

    @classmethod
    async def connect(cls, url: str, *, timezone: str, seed: int = 0, noise: NoiseStream | None = None,
                      mix_noise: bool = False) -> QualitySession:
        """A session in the fast pipeline, with the user's IANA ``timezone``."""
        return cls(await open_client(url, timezone=timezone), seed, noise=noise, mix_noise=mix_noise)

    def _record(self, m: p.Message | AudioIn) -> None:
        t = time.monotonic()
        if isinstance(m, p.Timers):
            self.timer_lists.append((t, [dict(x) for x in m.timers]))
            return
        if isinstance(m, p.TimerFired):
            self.fired.append(Fired(t, m.id, m.kind, m.label, m.text, m.turn_id))
            return
        if isinstance(m, p.ReplyDelta):
            self.deltas[m.turn_id] += m.text
        elif isinstance(m, p.TurnTiming):
            # The tool that answered is a field of its own beside the stages (docs/protocol.md).
            self.raw_stages[m.turn_id] = {**m.stages, **({"tool": m.tool} if m.tool else {})}
            numeric = {k: v for k, v in m.stages.items() if isinstance(v, int | float) and not isinstance(v, bool)}
            if len(numeric) != len(m.stages):  # the parent turns every stage into a float
                m = p.TurnTiming(turn_id=m.turn_id, stages=numeric)
        super()._record(m)


@dataclass(frozen=True)
class TimerAsk:
    """A short timer asked for: ``key`` names the item, ``start_t`` is the request's acoustic end."""

    key: str
    start_t: float
    duration_s: float

    @property
    def deadline_t(self) -> float:
        return self.start_t + self.duration_s + FIRE_GRACE_S


def _first_seen(timer_lists: list[tuple[float, list[dict[str, Any]]]]) -> list[tuple[float, str, float | None]]:
    """(first time listed, id, duration_ms) of every timer the server listed, in that order."""
    seen: dict[str, tuple[float, str, float | None]] = {}
    for t, timers in timer_lists:
        for timer in timers:
            tid = str(timer.get("id", ""))
            if tid and tid not in seen:
                duration = timer.get("duration_ms")
                seen[tid] = (t, tid, float(duration) if isinstance(duration, int | float) else None)
    return sorted(seen.values())


def match_fired(asks: list[TimerAsk], fired: list[Fired],
                timer_lists: list[tuple[float, list[dict[str, Any]]]]) -> dict[str, tuple[str, float | None]]:
    """Each ask's timer check: key -> ("fired" | "late" | "not fired", seconds from its acoustic end).

    An ask's timer is the first one the server listed after the request with that duration (within
    1 s); its alert is the ``timer_fired`` with that id. When the server lists no such timer, the first
    unclaimed alert after the request is taken. "fired": within the duration + the grace.
    """
    listed = _first_seen(timer_lists)
    ordered = sorted(asks, key=lambda a: a.start_t)
    ids: dict[str, str] = {}
    for ask in ordered:
        tid = next((tid for t, tid, dur in listed if t >= ask.start_t and tid not in ids.values()
                    and (dur is None or abs(dur - ask.duration_s * 1000.0) <= 1000.0)), None)
        if tid is not None:
            ids[ask.key] = tid
    taken: set[int] = set()
    out: dict[str, tuple[str, float | None]] = {}
    # Asks whose timer is known first, so a guess never takes an alert that is someone's by id.
    for ask in sorted(ordered, key=lambda a: a.key not in ids):
        tid = ids.get(ask.key)
        alert = next((n for n, f in enumerate(fired) if n not in taken and f.t >= ask.start_t
                      and (f.id == tid if tid is not None else f.id not in ids.values())), None)
        if alert is None:
            out[ask.key] = ("not fired", None)
            continue
        taken.add(alert)
        f = fired[alert]
        out[ask.key] = ("fired" if f.t <= ask.deadline_t else "late", round(f.t - ask.start_t, 2))
    return out
