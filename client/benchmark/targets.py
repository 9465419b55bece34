"""Latency targets per number of simultaneous sessions (issue 11), and the verdict against them.

One session: end-to-end p50 ≤ 500 ms and p95 ≤ 700 ms; two sessions: p50 ≤ 800 ms. More than
two sessions keep the two-session target: the user waiting does not care how busy the node is,
so the bar does not drop further with load. ``--budget-ms`` / ``--p95-ms`` override it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """End-to-end latency a run must meet, in ms; ``p95_ms`` None: no p95 target."""

    p50_ms: float
    p95_ms: float | None = None
    source: str = ""
    """Where it comes from, for the verdict line ("issue 11, 1 session", "--budget-ms")."""

    def describe(self) -> str:
        """``p50 ≤ 500 ms, p95 ≤ 700 ms`` (with its source in parentheses when known)."""
        text = f"p50 ≤ {self.p50_ms:g} ms" + (f", p95 ≤ {self.p95_ms:g} ms" if self.p95_ms is not None else "")
        return f"{text} ({self.source})" if self.source else text

    def to_json(self) -> dict[str, Any]:
        return {"p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "source": self.source}


TARGETS: dict[int, Target] = {1: Target(500.0, 700.0), 2: Target(800.0)}
"""Issue 11's targets by number of simultaneous sessions."""


def _sessions(k: int) -> str:
    return f"{k} session" + ("" if k == 1 else "s")


def target_for(concurrency: int, *, p50_ms: float | None = None, p95_ms: float | None = None) -> Target:
    """The target for ``concurrency`` sessions. ``p50_ms`` (``--budget-ms``) replaces it as a
    whole, with a p95 target only when ``p95_ms`` is given too; ``p95_ms`` alone replaces only
    its p95. Raises ValueError for a concurrency below 1 or a non-positive figure."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    for name, value in (("p50", p50_ms), ("p95", p95_ms)):
        if value is not None and not value > 0:
            raise ValueError(f"the {name} target must be positive, not {value} ms")
    known = max(k for k in TARGETS if k <= concurrency)
    base = TARGETS[known]
    source = f"issue 11, {_sessions(concurrency)}"
    if known != concurrency:
        source += f": the {known}-session target"
    if p50_ms is not None:
        flags = "--budget-ms" + (" --p95-ms" if p95_ms is not None else "")
        return Target(p50_ms, p95_ms, flags)
    if p95_ms is not None:
        return Target(base.p50_ms, p95_ms, f"{source}, p95 from --p95-ms")
    return Target(base.p50_ms, base.p95_ms, source)


def misses(summary: dict[str, Any], target: Target) -> list[str]:
    """Each figure of ``summary`` (p50_ms, p95_ms) over the target, as ``p95 772 ms > 700 ms``;
    empty when all are met or nothing was measured."""
    out = []
    for name, limit in (("p50", target.p50_ms), ("p95", target.p95_ms)):
        value = summary.get(f"{name}_ms")
        if limit is not None and value is not None and value > limit:
            shown = f"{value:.0f}" if round(value) > limit else f"{value:.1f}"  # never "500 ms > 500 ms"
            out.append(f"{name} {shown} ms > {limit:g} ms")
    return out


def within(summary: dict[str, Any], target: Target) -> bool:
    """Whether turns were measured and every figure of the target is met."""
    return bool(summary.get("n")) and not misses(summary, target)


def exit_code(summary: dict[str, Any], target: Target) -> int:
    """0 when the target is met, 1 when a figure is over it, 2 when no turn was measured."""
    if not summary.get("n"):
        return 2
    return 1 if misses(summary, target) else 0


def verdict_line(mode: str, summary: dict[str, Any], target: Target) -> str:
    """The last line of the report: the figures against the target and the verdict."""
    if not summary.get("n"):
        return f"target ({target.describe()}): no turn could be measured"
    figures = f"p50 {summary['p50_ms']:.0f} ms"
    if target.p95_ms is not None:
        figures += f", p95 {summary['p95_ms']:.0f} ms"
    over = misses(summary, target)
    verdict = f"OVER ({'; '.join(over)})" if over else "within the target"
    return f"target ({target.describe()}): {mode} end-to-end from the acoustic end {figures}: {verdict}"
