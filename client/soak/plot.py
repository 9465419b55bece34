"""The ``--plot`` PNG: end-to-end latency over time (top) and the server's RSS over time (bottom)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(doc: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True)
    to_min = 1 / 60.0
    warm = doc["rss"]["warmup_s"]

    turns = [t for t in doc["turns"] if t["end_to_end_ms"] is not None]
    top.scatter([t["t_s"] * to_min for t in turns], [t["end_to_end_ms"] for t in turns], s=9, color="#9e9e9e",
                alpha=0.6, label="turn", zorder=2)
    ws = [w for w in doc["windows"] if w["p50_ms"] is not None]
    mids = [(w["start_s"] + w["end_s"]) / 2 * to_min for w in ws]
    top.plot(mids, [w["p50_ms"] for w in ws], "o-", color="#4e79a7", label="p50 per window", zorder=3)
    top.plot(mids, [w["p95_ms"] for w in ws], "s--", color="#e15759", label="p95 per window", zorder=3)
    errors = doc["errors"]["events"]
    if errors:
        ymax = max([t["end_to_end_ms"] for t in turns] or [1.0])
        top.scatter([e["t_s"] * to_min for e in errors], [ymax * 1.05] * len(errors), marker="x", color="black",
                    label=f"error / disconnect ({doc['errors']['count']})", zorder=4)
    top.set_ylabel("end of speech -> first reply audio (ms)")
    top.set_ylim(bottom=0)
    lat = doc["latency"]
    title = f"soak: {doc['sessions']} sessions, {doc['turns_measured']} turns"
    if lat["p50_ms"] is not None:
        title += f", overall p50 {lat['p50_ms']:.0f} ms / p95 {lat['p95_ms']:.0f} ms"
    top.set_title(title + f"; lost frames {doc['frames']['lost']}, errors {doc['errors']['count']}")
    top.legend(fontsize=8, loc="upper left")
    top.grid(alpha=0.3)

    samples = [s for s in doc["samples"] if s["rss_kb"] is not None]
    if samples:
        bottom.plot([s["t_s"] * to_min for s in samples], [s["rss_kb"] / 1024 for s in samples], "-", color="#59a14f",
                    label="server RSS")
        growth = doc["rss"]["growth_pct"]
        bottom.set_title("server RSS" + (f": {growth:+.1f}% from warm-up end to the end" if growth is not None else ""))
    else:
        bottom.text(0.5, 0.5, "RSS not sampled (use --spawn or --server-pid)", ha="center", va="center",
                    transform=bottom.transAxes)
    for ax in (top, bottom):
        ax.axvspan(0, warm * to_min, color="#f2f2f2", zorder=0, label="warm-up" if ax is bottom else None)
    bottom.set_ylabel("RSS (MB)")
    bottom.set_xlabel("minutes since start")
    bottom.legend(fontsize=8, loc="lower right")
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
