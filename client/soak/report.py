"""What the soak prints and writes: latency per time window, errors, frame loss, RSS growth, JSON."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from client.benchmark.stats import percentile, summarize
from client.soak.frames import total
from client.soak.monitor import Sample
from client.soak.runner import SoakResult, SoakTurn

WARMUP_MAX_S = 120.0
WARMUP_SHARE = 0.2


def warmup_s(duration_s: float) -> float:
    """The warm-up: the first 2 minutes or the first 20 % of the run, whichever is shorter."""
    return min(WARMUP_MAX_S, WARMUP_SHARE * duration_s)


def windows(turns: Sequence[SoakTurn], duration_s: float, window_s: float) -> list[dict[str, Any]]:
    """Latency p50/p95 of the turns whose speech ended in each ``window_s`` window (ms)."""
    n_windows = max(1, -(-round(duration_s * 1000) // round(window_s * 1000)))
    # Turns finishing after the end (the last clip under way) belong to the last window.
    out = []
    for i in range(n_windows):
        lo, hi = i * window_s, (i + 1) * window_s
        last = i == n_windows - 1
        inside = [t for t in turns if lo <= t.t_s < hi or (last and t.t_s >= hi)]
        e2e = [t.record.end_to_end_ms for t in inside if t.record.end_to_end_ms is not None]
        out.append({"start_s": lo, "end_s": hi, "turns": len(inside), "measured": len(e2e),
                    "p50_ms": percentile(e2e, 50), "p95_ms": percentile(e2e, 95),
                    "max_ms": max(e2e) if e2e else None})
    return out


def rss_summary(samples: Sequence[Sample], duration_s: float, pid: int | None) -> dict[str, Any]:
    """RSS at the end of the warm-up and at the end, and the growth between them (%)."""
    with_rss = [s for s in samples if s.rss_kb is not None]
    warm = warmup_s(duration_s)
    at_warm = next((s for s in with_rss if s.t_s >= warm), with_rss[-1] if with_rss else None)
    at_end = with_rss[-1] if with_rss else None
    growth = None
    if at_warm is not None and at_end is not None and at_warm.rss_kb:
        growth = round(100.0 * (at_end.rss_kb - at_warm.rss_kb) / at_warm.rss_kb, 2)
    peak = max((s.rss_kb for s in with_rss), default=None)
    return {
        "pid": pid,
        "warmup_s": warm,
        "at_warmup_end_kb": at_warm.rss_kb if at_warm else None,
        "at_warmup_end_t_s": at_warm.t_s if at_warm else None,
        "at_end_kb": at_end.rss_kb if at_end else None,
        "at_end_t_s": at_end.t_s if at_end else None,
        "peak_kb": peak,
        "growth_pct": growth,
    }


def error_summary(result: SoakResult) -> dict[str, Any]:
    kinds = Counter(e.kind for e in result.errors)
    codes = Counter(e.detail.split(":", 1)[0] for e in result.errors if e.kind == "error")
    return {
        "count": len(result.errors),
        "error_events": kinds.get("error", 0),
        "disconnects": kinds.get("disconnect", 0),
        "timeouts": kinds.get("timeout", 0),
        "open_failures": kinds.get("open_failed", 0),
        "by_code": dict(codes),
        "events": [{"t_s": round(e.t_s, 2), "session": e.session, "kind": e.kind, "detail": e.detail}
                   for e in result.errors[:100]],
    }


def build_document(result: SoakResult, samples: Sequence[Sample], *, url: str, sessions: int, duration_s: float,
                   window_s: float, pid: int | None, clips: Sequence[str], wall_s: float) -> dict[str, Any]:
    """The ``--json`` document."""
    frames = total(result.frame_checks)
    errors = error_summary(result)
    turns = result.turns
    unanswered = Counter(t.record.error for t in turns if t.record.end_to_end_ms is None and t.record.error)
    doc = {
        "server": url,
        "sessions": sessions,
        "duration_s": duration_s,
        "wall_s": round(wall_s, 1),
        "window_s": window_s,
        "clips": list(clips),
        "connections": result.connections,
        "turns_total": len(turns),
        "turns_measured": sum(t.record.end_to_end_ms is not None for t in turns),
        "unmeasured_reasons": dict(unanswered),
        "latency": summarize(t.record.end_to_end_ms for t in turns),
        "windows": windows(turns, duration_s, window_s),
        "errors": errors,
        "frames": frames,
        "rss": rss_summary(samples, duration_s, pid),
        "samples": [{"t_s": s.t_s, "rss_kb": s.rss_kb, "threads": s.threads, "tasks": s.tasks,
                     "active_sessions": s.active_sessions} for s in samples],
        "turns": [t.to_json() for t in turns],
    }
    doc["ok"] = exit_code(doc) == 0
    return doc


def exit_code(doc: dict[str, Any]) -> int:
    """0: no errors and no lost or out-of-order frames, with turns measured; 1: otherwise."""
    bad = doc["errors"]["count"] or doc["frames"]["lost"] or doc["frames"]["out_of_order"]
    return 1 if bad or not doc["turns_measured"] else 0


def _ms(v: float | None) -> str:
    return f"{v:7.0f}" if v is not None else f"{'-':>7}"


def _mb(kb: int | None) -> str:
    return f"{kb / 1024:.1f} MB" if kb is not None else "n/a"


def summary_text(doc: dict[str, Any]) -> str:
    lines = [(f"soak: {doc['sessions']} sessions x {doc['duration_s'] / 60:.1f} min against {doc['server']}: "
              f"{doc['turns_total']} turns ({doc['turns_measured']} measured), {doc['connections']} connections"),
             "", f"{'window':>13} {'turns':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"]
    for w in doc["windows"]:
        span = f"{w['start_s'] / 60:.1f}-{w['end_s'] / 60:.1f} min"
        lines.append(f"{span:>13} {w['turns']:>6} {_ms(w['p50_ms'])} {_ms(w['p95_ms'])} {_ms(w['max_ms'])}")
    lat = doc["latency"]
    lines.append(f"{'all':>13} {lat['n']:>6} {_ms(lat['p50_ms'])} {_ms(lat['p95_ms'])} {_ms(lat['max_ms'])}")
    if doc["unmeasured_reasons"]:
        lines.append("unmeasured turns: " + ", ".join(f"{k} x{v}" for k, v in doc["unmeasured_reasons"].items()))
    e = doc["errors"]
    lines += ["", (f"errors: {e['count']} (error events {e['error_events']}, disconnects {e['disconnects']}, "
                   f"timeouts {e['timeouts']}, failed opens {e['open_failures']})"
                   + (f"; codes: {e['by_code']}" if e["by_code"] else ""))]
    for event in e["events"][:5]:
        lines.append(f"  at {event['t_s']:.0f} s, session {event['session']}: {event['kind']}: {event['detail'][:120]}")
    f = doc["frames"]
    lines.append(f"reply audio frames: {f['frames']} received in {f['turns_done']} replies; lost {f['lost']}, "
                 f"out of order {f['out_of_order']}, truncated replies {f['truncated_turns']}")
    for problem in f["problems"][:5]:
        lines.append(f"  {problem}")
    r = doc["rss"]
    if r["at_end_kb"] is not None:
        growth = f"{r['growth_pct']:+.1f}%" if r["growth_pct"] is not None else "n/a"
        lines.append(f"server RSS (pid {r['pid']}): {_mb(r['at_warmup_end_kb'])} at warm-up end "
                     f"({r['at_warmup_end_t_s']:.0f} s) -> {_mb(r['at_end_kb'])} at the end ({r['at_end_t_s']:.0f} s): "
                     f"{growth}; peak {_mb(r['peak_kb'])}")
    else:
        lines.append("server RSS: not sampled (use --spawn or --server-pid)")
    threads = [s["threads"] for s in doc["samples"] if s["threads"] is not None]
    tasks = [s["tasks"] for s in doc["samples"] if s["tasks"] is not None]
    if threads:
        lines.append(f"server threads {threads[0]} -> {threads[-1]} (max {max(threads)}), "
                     f"asyncio tasks {tasks[0]} -> {tasks[-1]} (max {max(tasks)}) [first -> last /info sample]")
    lines.append("verdict: " + ("OK" if doc["ok"] else "FAILED (errors or lost/out-of-order frames)"))
    return "\n".join(lines)

