"""Try an endpointing policy on recorded pause verdicts: waits at real ends, cut-offs at pauses.

A pause inside a sentence is cut when the policy's wait is shorter than the pause; at a real end
the user waits for the policy's wait, but never less than the time the server needs to have the
transcript and the words' verdict (the wait is set from them). Both are counted per clip: a clip
is cut off when any of its inner pauses is.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.config import EndpointSettings
from app.turn_policy import end_silence_ms
from client.benchmark.pause_verdicts import PauseVerdicts

Policy = Callable[[EndpointSettings, PauseVerdicts], int]


def server_policy(endpoint: EndpointSettings, row: PauseVerdicts) -> int:
    """The server's own rule (``app.turn_policy.end_silence_ms``) once every verdict is in."""
    return end_silence_ms(endpoint, row.transcript, row.p_voice, row.p_words)


@dataclass(frozen=True)
class FitResult:
    """A policy's outcome on a set of clips."""

    settings: Mapping[str, object]
    """The settings that differ from the defaults."""
    clips: int
    pause_clips: int
    cutoffs: int
    """Clips whose turn the policy would have ended inside a pause."""
    wait_p50_ms: float
    wait_p95_ms: float

    @property
    def cutoff_rate(self) -> float:
        return self.cutoffs / self.clips if self.clips else 0.0


def evaluate(rows: Sequence[PauseVerdicts], endpoint: EndpointSettings, policy: Policy = server_policy,
             *, changed: Mapping[str, object] | None = None) -> FitResult:
    """How ``policy`` with ``endpoint`` would have done on ``rows``."""
    by_clip: dict[str, list[PauseVerdicts]] = {}
    for row in rows:
        by_clip.setdefault(f"{row.set_name}/{row.clip}", []).append(row)
    waits: list[float] = []
    cutoffs = pause_clips = 0
    for clip_rows in by_clip.values():
        inner = [r for r in clip_rows if not r.final]
        pause_clips += bool(inner)
        cut = any(policy(endpoint, r) <= r.pause_ms for r in inner)
        cutoffs += cut
        final = [r for r in clip_rows if r.final]
        if final and not cut:
            row = final[0]
            waits.append(max(policy(endpoint, row), row.ready_ms(endpoint.speculate_ms)))
    wait = np.asarray(waits) if waits else np.asarray([np.nan])
    return FitResult(dict(changed or {}), len(by_clip), pause_clips, cutoffs,
                     float(np.percentile(wait, 50)), float(np.percentile(wait, 95)))


def evaluate_per_speaker(rows: Sequence[PauseVerdicts], endpoint: EndpointSettings, *, margin_ms: int,
                         cap_ms: int, memory: int = 5) -> FitResult:
    """The server's rule adapted to each speaker (one voice of one file = one session, its clips in
    order), as LiveKit's dynamic endpointing adapts to the pauses it sees: once this speaker went on
    after a pause that ended a turn (a merge), a "finished" wait (``complete_ms``, ``words_done_ms``)
    lasts at least the longest of its last ``memory`` such pauses plus ``margin_ms``, at most
    ``cap_ms``. Measured to decide whether the server should (see the README)."""
    sessions: dict[tuple[str, str], dict[str, list[PauseVerdicts]]] = {}
    for row in rows:
        sessions.setdefault((row.set_name, row.voice), {}).setdefault(row.clip, []).append(row)
    waits: list[float] = []
    cutoffs = pause_clips = clips = 0
    for by_clip in sessions.values():
        continued: list[int] = []
        for clip_rows in by_clip.values():
            clips += 1
            pause_clips += any(not r.final for r in clip_rows)
            cut = False
            for row in sorted(clip_rows, key=lambda r: r.index):
                wait = server_policy(endpoint, row)
                if continued and wait in (endpoint.complete_ms, endpoint.words_done_ms):
                    wait = max(wait, min(cap_ms, max(continued[-memory:]) + margin_ms))
                if not row.final and not cut and wait <= row.pause_ms:
                    cut = True
                    continued.append(row.pause_ms)
                elif row.final and not cut:
                    waits.append(max(wait, row.ready_ms(endpoint.speculate_ms)))
            cutoffs += cut
    wait_ms = np.asarray(waits) if waits else np.asarray([np.nan])
    return FitResult({"per_speaker_margin_ms": margin_ms, "cap_ms": cap_ms}, clips, pause_clips, cutoffs,
                     float(np.percentile(wait_ms, 50)), float(np.percentile(wait_ms, 95)))


def cut_pauses(rows: Sequence[PauseVerdicts], endpoint: EndpointSettings,
               policy: Policy = server_policy) -> list[tuple[PauseVerdicts, int]]:
    """The inner pauses ``policy`` would end the turn in, each with the wait it set (ms)."""
    waits = ((r, policy(endpoint, r)) for r in rows if not r.final)
    return [(r, wait) for r, wait in waits if wait <= r.pause_ms]


def grid(rows: Sequence[PauseVerdicts], base: EndpointSettings, axes: Mapping[str, Iterable[object]],
         policy: Policy = server_policy) -> list[FitResult]:
    """Every combination of ``axes`` (EndpointSettings field -> values), best first: fewest
    cut-offs, then the shortest median wait."""
    names = list(axes)
    results = []
    for values in itertools.product(*(list(axes[n]) for n in names)):
        changed = dict(zip(names, values, strict=True))
        results.append(evaluate(rows, dataclasses.replace(base, **changed), policy, changed=changed))
    return sorted(results, key=lambda r: (r.cutoffs, r.wait_p50_ms, r.wait_p95_ms))


def format_cut(row: PauseVerdicts, wait_ms: int) -> str:
    """One line: the clip, the pause and the wait that cut it, the verdicts and the words."""
    words = "-" if row.p_words is None else f"{row.p_words:.3g}"
    voice = "-" if row.p_voice is None else f"{row.p_voice:.2f}"
    return (f"{row.set_name}/{row.clip} pause {row.pause_ms} ms cut after {wait_ms} ms "
            f"(voice {voice}, words {words}): {row.transcript!r}")


def format_result(result: FitResult) -> str:
    """One line: settings, cut-offs, wait p50/p95."""
    settings = ", ".join(f"{k}={v}" for k, v in result.settings.items()) or "(defaults)"
    return (f"cut-offs {result.cutoffs}/{result.clips} ({100 * result.cutoff_rate:.0f}%), "
            f"wait p50 {result.wait_p50_ms:.0f} p95 {result.wait_p95_ms:.0f} ms  {settings}")
