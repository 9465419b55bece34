"""The ``--plot`` PNG: one stacked bar per turn (where its end-to-end time went) and the target lines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from client.benchmark.accounting import PLOT_SEGMENTS, breakdown
from client.benchmark.runner import TurnRecord
from client.benchmark.stats import summarize
from client.benchmark.targets import Target

LABELS = {
    "vad_tail": "acoustic end to the server's VAD end",
    "endpoint_wait": "endpoint wait",
    "stt": "STT",
    "llm_first_clause": "LLM to first clause",
    "tts_first_audio": "TTS first audio",
    "network_other": "network / other",
}
COLORS = {
    "vad_tail": "#d4d4d4",
    "endpoint_wait": "#9e9e9e",
    "stt": "#4e79a7",
    "llm_first_clause": "#f28e2b",
    "tts_first_audio": "#59a14f",
    "network_other": "#e15759",
}


def _label(r: TurnRecord, tags: bool) -> str:
    name = r.clip.rsplit(".", 1)[0]
    name = f"s{r.session}r{r.repeat} {name}" if tags else name
    return name if len(name) <= 26 else name[:25] + "…"  # long tick labels run off the figure


def _panel(ax, records: Sequence[TurnRecord], mode: str, target: Target, tags: bool) -> None:
    measured = [r for r in records if r.end_to_end_ms is not None]
    xs = range(len(measured))
    bottoms = [0.0] * len(measured)
    parts = [breakdown(r.end_to_end_ms or 0.0, r.stages) for r in measured]
    for seg in PLOT_SEGMENTS:
        heights = [p[seg] for p in parts]
        ax.bar(xs, heights, bottom=bottoms, color=COLORS[seg], label=LABELS[seg], width=0.7)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    # Work done speculatively before the commit overlaps the endpoint wait: drawn over it, not stacked.
    hidden = [p["hidden"] for p in parts]
    if any(hidden):
        ax.bar(xs, hidden, bottom=[p["vad_tail"] + p["endpoint_wait"] - p["hidden"] for p in parts], width=0.35,
               fill=False,
               hatch="///", edgecolor="#333333", linewidth=0.5,
               label="STT/LLM/TTS done during the endpoint wait\n(speculative; placed at the commit)")
    for x, r in zip(xs, measured, strict=True):
        e2e = r.end_to_end_ms or 0.0
        note = "\nsplit" if r.split else "\nbefore the end" if e2e < 0 else ""  # replied while the clip still sounded
        ax.text(x, max(0.0, e2e), f"{e2e:.0f}{note}", ha="center", va="bottom", fontsize=7)
    ax.axhline(target.p50_ms, color="black", linestyle="--", linewidth=1, label=f"p50 target {target.p50_ms:.0f} ms")
    if target.p95_ms is not None:
        ax.axhline(target.p95_ms, color="black", linestyle=":", linewidth=1,
                   label=f"p95 target {target.p95_ms:.0f} ms")
    ax.set_xticks(list(xs), [_label(r, tags) for r in measured], rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("ms from acoustic end of speech to first reply audio")
    top = max([target.p50_ms, target.p95_ms or 0.0, *bottoms, *(r.end_to_end_ms or 0.0 for r in measured)])
    ax.set_ylim(0, top * 1.15)
    unmeasured = len(records) - len(measured)
    p50 = summarize(r.end_to_end_ms for r in measured)["p50_ms"]
    what = "/v1/realtime (no server stages)" if mode == "realtime" else f"{mode} pipeline"
    title = f"{what}: {len(measured)} turns" + (f", end-to-end p50 {p50:.0f} ms" if p50 is not None else "")
    ax.set_title(title + (f" ({unmeasured} unmeasured)" if unmeasured else ""))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def plot(results: dict[str, list[TurnRecord]], path: Path, *, target: Target) -> None:
    """Write the PNG: one panel per mode (each with its own scale: naive runs several times longer)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    modes = list(results)
    n_bars = max(1, max(len(v) for v in results.values()))
    tags = any(r.session or r.repeat for v in results.values() for r in v)
    fig, axes = plt.subplots(len(modes), 1, figsize=(max(9.0, 0.5 * n_bars + 5.5), 4.8 * len(modes)), squeeze=False)
    for ax, mode in zip(axes[:, 0], modes, strict=True):
        _panel(ax, results[mode], mode, target, tags)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
