"""Which protocol plays the clips, in what order, and how the two compare on the same clips.

``--protocol native`` (the default) plays every clip over the node's own protocol,
``realtime`` over ``/v1/realtime`` (OpenAI's Realtime protocol, the fast pipeline), and
``both`` alternates the two by pass on the same clips: each pass is one session playing the
clip set once, and the order flips every pass (native first, then realtime first), so a slow
start or a drifting machine weighs on both alike. Clips are paired by pass and position, and
the comparison is the realtime minus the native end-to-end time of each pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from client.benchmark.runner import TurnRecord
from client.benchmark.stats import percentile

PROTOCOLS = ("native", "realtime", "both")
REALTIME = "realtime"
WITHIN_MS = 50.0
"""The issue's bar: the Realtime endpoint within 50 ms of the native protocol (median of pairs)."""


def label(mode: str, protocol: str) -> str:
    """The name a run's results go under: the pipeline for native runs, "realtime" for the other."""
    return REALTIME if protocol == REALTIME else mode


def passes(protocol: str, repeat: int) -> list[tuple[str, int, int]]:
    """The runs to make, in order: (protocol, first repeat index, repeats in that session). One
    protocol plays all its repeats in one session (the history grows, as before); ``both``
    gives every repeat a pass per protocol, alternating which goes first."""
    if protocol != "both":
        return [(protocol, 0, repeat)]
    order = [("native", REALTIME), (REALTIME, "native")]
    return [(p, r, 1) for r in range(repeat) for p in order[r % 2]]


def paired(native: Sequence[TurnRecord], realtime: Sequence[TurnRecord]) -> dict[str, Any]:
    """Realtime minus native end-to-end (ms) of the clips measured by both (same session slot,
    pass and position): median, p95, mean, the p50 ratio, and whether the median is within
    ``WITHIN_MS``."""
    by_key = {(r.session, r.repeat, r.index): r for r in native if r.end_to_end_ms is not None}
    diffs: list[float] = []
    pairs_native: list[float] = []
    pairs_realtime: list[float] = []
    for r in realtime:
        other = by_key.get((r.session, r.repeat, r.index))
        if other is None or r.end_to_end_ms is None or other.end_to_end_ms is None or other.clip != r.clip:
            continue
        diffs.append(r.end_to_end_ms - other.end_to_end_ms)
        pairs_native.append(other.end_to_end_ms)
        pairs_realtime.append(r.end_to_end_ms)
    p50_native, p50_realtime = percentile(pairs_native, 50), percentile(pairs_realtime, 50)
    median = percentile(diffs, 50)
    return {
        "pairs": len(diffs),
        "native_p50_ms": p50_native,
        "realtime_p50_ms": p50_realtime,
        "realtime_over_native_p50": p50_realtime / p50_native if p50_native and p50_realtime is not None else None,
        "difference_p50_ms": median,
        "difference_p95_ms": percentile(diffs, 95),
        "difference_mean_ms": sum(diffs) / len(diffs) if diffs else None,
        "within_ms": WITHIN_MS,
        "within": median is not None and median <= WITHIN_MS,
    }


def comparison_line(c: dict[str, Any]) -> str:
    """The paired comparison in one line of the summary."""
    if not c["pairs"]:
        return "realtime vs native: no clip measured by both"

    def ms(value: float | None) -> str:
        return f"{value:+.0f}" if value is not None else "n/a"

    ratio = c["realtime_over_native_p50"]
    return (f"realtime vs native on the same {c['pairs']} clips: p50 {c['realtime_p50_ms']:.0f} / "
            f"{c['native_p50_ms']:.0f} ms = " + (f"{ratio:.2f}x" if ratio is not None else "n/a")
            + f"; difference per clip p50 {ms(c['difference_p50_ms'])} ms, p95 {ms(c['difference_p95_ms'])} ms, "
            f"mean {ms(c['difference_mean_ms'])} ms: "
            + ("within" if c["within"] else "NOT within") + f" {c['within_ms']:.0f} ms")
