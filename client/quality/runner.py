"""Asks the planned sessions, one after another, and scores every reply as it comes.

A session streams like the latency benchmark's (noise between the clips, ``gap_s`` after each reply);
the benchmark's own accounting says which turn answered a clip, its transcript, reply and latency.
Once a session's questions are asked it stays open until its short timers are due (duration +
grace) or have all fired, then the timer sub-scores are taken.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from client.benchmark.clips import Clip
from client.benchmark.runner import CLIP_TIMEOUT_S, GAP_S, NoiseFactory, TurnRecord, make_record
from client.quality.questions import Item
from client.quality.rules import score
from client.quality.session import QualitySession, TimerAsk, match_fired

TIMER_POLL_S = 0.2


@dataclass
class ItemResult:
    """One asked item, scored (``right`` is False when no reply came)."""

    id: str
    category: str
    half: str
    mode: str
    session: int
    voice: str
    question: str
    dialogue: str
    scored: bool
    """False for a dialogue's context turn outside the categories asked for."""
    right: bool
    reasons: list[str]
    rule: str
    transcript: str = ""
    reply: str = ""
    turn_id: int | None = None
    """The server's turn that answered (None: no turn with words)."""
    end_to_end_ms: float | None = None
    """Acoustic end of the question to the first reply audio, in ms."""
    tool: str = ""
    """The tool the server used for the turn (``turn_timing.stages``' ``tool``; "" for the model)."""
    stages: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    timer_check: str | None = None
    """Short timers only: "fired" (in time), "late" or "not fired"."""
    fired_after_s: float | None = None
    """From the request's acoustic end to its ``timer_fired``, in s."""
    answered_at: str = ""
    """When the reply was scored (ISO 8601, UTC): the clock the time and date expectations use."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def tool_of(stages: dict[str, Any]) -> str:
    """The tool a turn used, from its ``turn_timing`` stages' ``tool`` ("" for the model's answers:
    ``tool_ms``, the router's time, is there for every turn)."""
    return str(stages["tool"]) if stages.get("tool") else ""


def result_of(item: Item, *, mode: str, session: int, zone: str, scored: bool, reply: str = "",
              transcript: str = "", turn_id: int | None = None, end_to_end_ms: float | None = None,
              stages: dict[str, Any] | None = None, error: str | None = None,
              now: datetime | None = None) -> ItemResult:
    """Score one asked item; ``now`` (default: the moment of the call) is the clock of time and date rules."""
    now = now or datetime.now(UTC)
    verdict = score(item.rule, reply, now, zone, echo_of=(item.text, transcript))
    stages = stages or {}
    return ItemResult(
        id=item.id, category=item.category, half=item.half, mode=mode, session=session, voice=item.voice,
        question=item.text, dialogue=item.dialogue, scored=scored, right=verdict.right, reasons=list(verdict.reasons),
        rule=item.rule.describe(), transcript=transcript, reply=reply, turn_id=turn_id, end_to_end_ms=end_to_end_ms,
        tool=tool_of(stages), stages=stages, error=error, timer_check="not fired" if item.rule.fire_check else None,
        answered_at=now.isoformat(timespec="seconds"),
    )


def played_result(item: Item, record: TurnRecord, *, zone: str, scored: bool,
                  raw_stages: dict[str, Any] | None = None, delta_text: str = "") -> ItemResult:
    """Score a played item from the benchmark's record of it; ``delta_text`` stands in when no
    ``reply_done`` came; ``raw_stages`` adds the stages that are not numbers (``tool``)."""
    return result_of(item, mode=record.mode, session=record.session, zone=zone, scored=scored,
                     reply=record.reply_text or delta_text, transcript=record.transcript, turn_id=record.turn_id,
                     end_to_end_ms=record.end_to_end_ms, stages={**record.stages, **(raw_stages or {})},
                     error=record.error)


@dataclass(frozen=True)
class Settings:
    """How sessions are run."""

    url: str
    timezone: str
    gap_s: float = GAP_S
    timeout_s: float = CLIP_TIMEOUT_S
    noise: NoiseFactory = lambda _: None
    mix_noise: bool = False
    categories: frozenset[str] | None = None
    """Score only these (None: all); other items are played as context."""


async def _wait_for_timers(bench: QualitySession, asks: list[TimerAsk]) -> None:
    """Keep the session open until every short timer fired or is past its deadline."""
    while asks and not bench.closed and time.monotonic() < max(a.deadline_t for a in asks):
        checks = match_fired(asks, bench.fired, bench.timer_lists)
        if all(state == "fired" for state, _ in checks.values()):
            return
        await asyncio.sleep(TIMER_POLL_S)


async def run_session(items: Sequence[Item], clips: dict[str, Clip], settings: Settings, *, mode: str, index: int,
                      progress: Callable[[ItemResult], None] = lambda _: None) -> list[ItemResult]:
    """Ask ``items`` in one session (index ``index`` of the run) and score them."""

    def scored(item: Item) -> bool:
        return settings.categories is None or item.category in settings.categories

    def failed(item: Item, error: str) -> ItemResult:
        return result_of(item, mode=mode, session=index, zone=settings.timezone, scored=scored(item), error=error)

    try:
        bench = await QualitySession.connect(settings.url, timezone=settings.timezone, seed=index,
                                             noise=settings.noise(index), mix_noise=settings.mix_noise)
    except (OSError, ConnectionError, TimeoutError) as exc:
        return [failed(item, f"session not opened: {exc}") for item in items]
    results: list[ItemResult] = []
    asks: list[TimerAsk] = []
    try:
        await bench.silence(settings.gap_s)
        for n, item in enumerate(items):
            if bench.closed:
                results.append(failed(item, "connection lost"))
                continue
            clip = clips[item.id]
            played = await bench.play(clip, timeout_s=settings.timeout_s)
            record = make_record(clip, played, mode=mode, session=index, repeat=0, index=n)
            turn = played.outcome.turn_id
            result = played_result(item, record, zone=settings.timezone, scored=scored(item),
                                   raw_stages=bench.raw_stages.get(turn) if turn is not None else None,
                                   delta_text=bench.deltas.get(turn, "") if turn is not None else "")
            if item.rule.fire_check and item.rule.timer_s is not None and played.acoustic_end_t is not None:
                asks.append(TimerAsk(item.id, played.acoustic_end_t, item.rule.timer_s))
            results.append(result)
            progress(result)
            await bench.silence(settings.gap_s)
        await _wait_for_timers(bench, asks)
    finally:
        await bench.close()
    checks = match_fired(asks, bench.fired, bench.timer_lists)
    for result in results:
        if result.id in checks:
            result.timer_check, result.fired_after_s = checks[result.id]
    return results


async def run_sessions(sessions: Sequence[Sequence[Item]], clips: dict[str, Clip], settings: Settings, *,
                       mode: str, first_index: int = 0,
                       progress: Callable[[ItemResult], None] = lambda _: None) -> list[ItemResult]:
    """Every session of a plan, one at a time (a single user's node is what is measured)."""
    out: list[ItemResult] = []
    for k, items in enumerate(sessions):
        out += await run_session(items, clips, settings, mode=mode, index=first_index + k, progress=progress)
    return out
