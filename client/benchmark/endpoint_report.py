"""Endpointing figures per voice and per clip set: how long the server waited after the sound
stopped, and how often it cut a sentence at a pause.

- ``endpoint_wait_acoustic_ms``: p50/p95 over answered clips of the acoustic end to the client
  receiving the answering turn's ``speech_stopped`` (so it includes one network hop).
- ``false_cutoffs``: answered clips where the server committed a turn before the sentence was
  over: a split (two turns answered) or a merge (the server ended the turn at a pause, then merged
  the continuation back). ``false_cutoffs_in_pause`` counts those among clips with a pause inside.
- ``merges``, ``splits``: each kind alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from client.benchmark.runner import TurnRecord
from client.benchmark.stats import summarize


def group_stats(records: Sequence[TurnRecord]) -> dict[str, Any]:
    """The figures of one group of records (see the module docstring)."""
    answered = [r for r in records if r.turn_id is not None]
    return {
        "clips": len(records),
        "answered": len(answered),
        "pause_clips": sum(r.has_pause is True for r in records),
        "endpoint_wait_acoustic_ms": summarize(r.endpoint_wait_acoustic_ms for r in answered),
        "end_to_end_ms": summarize(r.end_to_end_ms for r in answered),
        "false_cutoffs": sum(r.split or r.merged for r in answered),
        "false_cutoffs_in_pause": sum(bool(r.split or r.merged) for r in answered if r.has_pause),
        "merges": sum(r.merged for r in answered),
        "splits": sum(r.split for r in answered),
    }


def grouped(records: Sequence[TurnRecord], key: Callable[[TurnRecord], str]) -> dict[str, dict[str, Any]]:
    """:func:`group_stats` per value of ``key``, in order of first appearance."""
    names = dict.fromkeys(key(r) for r in records)
    return {name: group_stats([r for r in records if key(r) == name]) for name in names}


def by_voice(records: Sequence[TurnRecord]) -> dict[str, dict[str, Any]]:
    return grouped(records, lambda r: r.voice or "unknown")


def by_set(records: Sequence[TurnRecord]) -> dict[str, dict[str, Any]]:
    return grouped(records, lambda r: r.set_name or "unknown")


def _cell(value: float | None) -> str:
    return f"{value:7.0f}" if value is not None else f"{'-':>7}"


def table(title: str, groups: dict[str, dict[str, Any]]) -> str:
    """A fixed-width table of the groups: clips, pauses, waits, end-to-end, cut-offs, merges."""
    head = (f"{title:<24} {'clips':>5} {'pause':>5} {'wait50':>7} {'wait95':>7} {'e2e50':>7} "
            f"{'cutoffs':>7} {'in-pause':>8} {'merges':>6}")
    lines = [head]
    for name, g in groups.items():
        wait, e2e = g["endpoint_wait_acoustic_ms"], g["end_to_end_ms"]
        lines.append(f"  {name[:22]:<22} {g['clips']:>5} {g['pause_clips']:>5} {_cell(wait['p50_ms'])} "
                     f"{_cell(wait['p95_ms'])} {_cell(e2e['p50_ms'])} {g['false_cutoffs']:>7} "
                     f"{g['false_cutoffs_in_pause']:>8} {g['merges']:>6}")
    return "\n".join(lines)
