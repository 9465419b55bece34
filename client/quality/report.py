"""What the answer-quality run prints and writes: accuracy by category, the per-item table, latency.

Accuracy is right / asked over scored items (a context turn of a dialogue outside ``--categories``
is shown but not counted); an item with no reply, an error or a timeout is asked and wrong. The
timer sub-score is separate: short timers whose ``timer_fired`` came within duration + grace,
out of the short timers asked. Latency (acoustic end to first reply audio) is summarized over all
measured scored items and over the right ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from client.benchmark.stats import summarize
from client.quality.questions import CATEGORY_NAMES, counts
from client.quality.rules import FIRE_CHECK_MAX_S, FIRE_GRACE_S
from client.quality.runner import ItemResult

COLUMNS = (("mode", 10), ("category", 11), ("voice", 10), ("question", 34), ("heard", 34), ("reply", 48),
           ("ok", 3), ("e2e_ms", 7), ("tool", 10), ("timer", 9))
"""Per-item table columns and their widths."""


def accuracy(results: Iterable[ItemResult]) -> dict[str, Any]:
    """``{"right", "asked", "accuracy_pct"}`` of the scored results (pct None when none was asked)."""
    scored = [r for r in results if r.scored]
    right = sum(r.right for r in scored)
    return {"right": right, "asked": len(scored),
            "accuracy_pct": round(100.0 * right / len(scored), 1) if scored else None}


def by_category(results: Sequence[ItemResult]) -> dict[str, dict[str, Any]]:
    """Accuracy per category, in the set's category order, for the categories that were asked."""
    return {c: accuracy(r for r in results if r.category == c)
            for c in CATEGORY_NAMES if any(r.scored and r.category == c for r in results)}


def timer_score(results: Sequence[ItemResult]) -> dict[str, Any]:
    """The fired sub-score: short timers asked, and how many fired in time, late, or not at all."""
    checked = [r for r in results if r.scored and r.timer_check is not None]
    fired = sum(r.timer_check == "fired" for r in checked)
    return {"checked": len(checked), "fired": fired, "late": sum(r.timer_check == "late" for r in checked),
            "not_fired": sum(r.timer_check == "not fired" for r in checked),
            "fired_pct": round(100.0 * fired / len(checked), 1) if checked else None,
            "rule": f"timers up to {FIRE_CHECK_MAX_S:g} s must send timer_fired within duration + {FIRE_GRACE_S:g} s"}


def latency(results: Sequence[ItemResult]) -> dict[str, Any]:
    """End-to-end latency summaries (ms): all measured scored items, and the right ones."""
    scored = [r for r in results if r.scored]
    return {"all": summarize(r.end_to_end_ms for r in scored),
            "right": summarize(r.end_to_end_ms for r in scored if r.right)}


def summary(results: Sequence[ItemResult]) -> dict[str, Any]:
    """Overall, by category, by mode and by half (each with its categories), timers and latency."""
    def block(rs: Sequence[ItemResult]) -> dict[str, Any]:
        return {"overall": accuracy(rs), "by_category": by_category(rs)}

    modes = list(dict.fromkeys(r.mode for r in results))
    halves = list(dict.fromkeys(r.half for r in results))
    return {
        **block(results),
        "by_mode": {m: block([r for r in results if r.mode == m]) for m in modes},
        "by_half": {h: block([r for r in results if r.half == h]) for h in halves},
        "timers_fired": timer_score(results),
        "latency_ms": latency(results),
        "errors": sum(1 for r in results if r.scored and r.error),
    }


def _cell(value: str, width: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= width else value[: width - 3] + "..."


def _e2e(ms: float | None) -> str:
    return f"{ms:.0f}" if ms is not None else "-"


def row(r: ItemResult) -> list[str]:
    """One item's table cells, in :data:`COLUMNS` order."""
    ok = ("yes" if r.right else "NO") if r.scored else "ctx"
    return [r.mode, r.category, r.voice, r.question, r.transcript or "-", r.reply or f"({r.error or 'no reply'})",
            ok, _e2e(r.end_to_end_ms), r.tool or "-", r.timer_check or ""]


def item_table(results: Sequence[ItemResult]) -> str:
    """The per-item plain-text table."""
    lines = ["  ".join(name.ljust(w) for name, w in COLUMNS).rstrip()]
    lines += ["  ".join(_cell(v, w).ljust(w) for v, (_, w) in zip(row(r), COLUMNS, strict=True)).rstrip()
              for r in results]
    return "\n".join(lines)


def _pct(acc: dict[str, Any]) -> str:
    pct = acc["accuracy_pct"]
    return f"{acc['right']}/{acc['asked']}" + (f" ({pct:.1f}%)" if pct is not None else "")


def _ms(s: dict[str, Any]) -> str:
    if not s["n"]:
        return "n=0"
    return f"p50 {s['p50_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms (n={s['n']})"


def summary_text(doc: dict[str, Any]) -> str:
    """The summary as plain text: accuracy per category for each mode, then overall, timers, latency."""
    lines: list[str] = []
    blocks = [(f"mode {m}", b) for m, b in doc["by_mode"].items()]
    if len(blocks) > 1:
        blocks.append(("all modes", {"overall": doc["overall"], "by_category": doc["by_category"]}))
    for title, block in blocks:
        lines.append(f"{title}: {_pct(block['overall'])} right")
        lines += [f"  {c:<12} {_pct(acc)}" for c, acc in block["by_category"].items()]
    for half, block in doc["by_half"].items():
        lines.append(f"half {half}: {_pct(block['overall'])} right")
    t = doc["timers_fired"]
    lines.append(f"short timers fired in time: {t['fired']}/{t['checked']} (late {t['late']}, not fired "
                 f"{t['not_fired']})")
    lines.append(f"latency, all: {_ms(doc['latency_ms']['all'])}; right answers: {_ms(doc['latency_ms']['right'])}")
    if doc["errors"]:
        lines.append(f"items with errors: {doc['errors']}")
    return "\n".join(lines)


def document(results: Sequence[ItemResult], options: dict[str, Any]) -> dict[str, Any]:
    """The JSON document: the options, the summary, the set's size per half, and every item."""
    return {"options": options, "summary": summary(results), "question_set": counts(),
            "items": [r.to_json() for r in results]}
