"""What the benchmark prints and writes: the per-turn table, the summary, the JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from client.benchmark.clips import Clip
from client.benchmark.runner import TurnRecord
from client.benchmark.stats import corpus_wer, summarize

REQUIRED_STAGES = ("endpoint_wait_ms", "stt_ms", "llm_first_token_ms", "tts_first_audio_ms")
"""Stage keys every turn in the JSON carries (null when the server did not report one)."""
STAGE_ORDER = (
    "endpoint_wait_ms", "stt_ms", "turn_model_ms", "llm_first_token_ms", "first_clause_ms",
    "tts_first_audio_ms", "server_first_audio_ms", "network_other_ms", "llm_total_ms",
)
"""Known stages in pipeline order; others the server adds are listed after them."""
NOT_LATENCY = {"utterance_ms"}
"""``*_ms`` keys that are durations of audio, not waits."""


def stage_keys(records: Sequence[TurnRecord]) -> list[str]:
    """Latency stages present in any measured record, known ones first."""
    seen = {k for r in records for k in r.stages if k.endswith("_ms") and k not in NOT_LATENCY}
    return [k for k in STAGE_ORDER if k in seen] + sorted(seen - set(STAGE_ORDER))


def mode_summary(records: Sequence[TurnRecord]) -> dict[str, Any]:
    """End-to-end and per-stage p50/p95/max (ms), split count and rate, WER overall and per clip."""
    measured = [r for r in records if r.end_to_end_ms is not None]
    answered = [r for r in records if r.turn_id is not None]
    splits = sum(r.split for r in answered)
    merged = sum(r.merged for r in answered)
    # Clips never played (session refused, connection lost) have no WER; a played clip heard as
    # nothing has WER 1.0, and counts.
    with_ref = [r for r in records if r.reference and r.wer is not None]
    per_clip: dict[str, float | None] = {}
    for name in dict.fromkeys(r.clip for r in with_ref):
        per_clip[name] = corpus_wer((r.reference or "", r.transcript) for r in with_ref if r.clip == name)
    return {
        **summarize(r.end_to_end_ms for r in measured),
        "attempted": len(records),
        "answered": len(answered),
        "unmeasured": len(records) - len(measured),
        "stages": {k: summarize(r.stages.get(k) for r in measured) for k in stage_keys(measured)},
        "vad_offset_ms": summarize(r.vad_offset_ms for r in measured),
        "split_count": splits,
        "split_rate": splits / len(answered) if answered else None,
        "merged_count": merged,
        "wer": corpus_wer((r.reference or "", r.transcript) for r in with_ref),
        "wer_per_clip": per_clip,
    }


def turn_json(record: TurnRecord) -> dict[str, Any]:
    """One turn for the JSON file; the required stage keys are always there."""
    doc = record.to_json()
    doc["stages"] = {**{k: None for k in REQUIRED_STAGES}, **record.stages}
    return doc


def build_document(results: dict[str, list[TurnRecord]], *, primary: str, budget_ms: float, concurrency: int,
                   repeat: int, server: str, clips: Sequence[Clip]) -> dict[str, Any]:
    """The ``--json`` document: the primary mode at top level, the naive run (if any) under ``naive``."""
    summary = mode_summary(results[primary])
    doc: dict[str, Any] = {
        "budget_ms": budget_ms,
        "concurrency": concurrency,
        "repeat": repeat,
        "mode": primary,
        "server": server,
        "clips": [{"name": c.name, "source": c.source, "duration_s": round(c.duration_s, 3),
                   "speech_end_s": round(c.speech_end_s, 3), "reference": c.reference} for c in clips],
        "turns": [turn_json(r) for r in results[primary]],
        "summary": summary,
        "within_budget": summary["p50_ms"] is not None and summary["p50_ms"] <= budget_ms,
    }
    if "naive" in results and primary != "naive":
        naive = mode_summary(results["naive"])
        doc["naive"] = {"mode": "naive", "turns": [turn_json(r) for r in results["naive"]], "summary": naive}
        doc["comparison"] = comparison(summary, naive)
    return doc


def comparison(fast: dict[str, Any], naive: dict[str, Any]) -> dict[str, float | None]:
    """p50s of both modes and naive/fast, the speed-up of the fast pipeline."""
    f, n = fast["p50_ms"], naive["p50_ms"]
    return {"fast_p50_ms": f, "naive_p50_ms": n, "naive_over_fast_p50": n / f if f and n is not None else None}


def exit_code(summary: dict[str, Any], budget_ms: float) -> int:
    """0 within budget, 1 when end-to-end p50 exceeds it, 2 when no turn was measured."""
    if not summary["n"]:
        return 2
    return 1 if summary["p50_ms"] > budget_ms else 0


# ------------------------------------------------------------------ text


def _ms(value: float | None, width: int = 7) -> str:
    return f"{value:{width}.0f}" if value is not None else f"{'-':>{width}}"


def _snippet(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


TABLE_STAGES = (("endpt", "endpoint_wait_ms"), ("stt", "stt_ms"), ("llm1st", "llm_first_token_ms"),
                ("clause", "first_clause_ms"), ("tts1st", "tts_first_audio_ms"),
                ("srv1st", "server_first_audio_ms"), ("net/oth", "network_other_ms"))


def turn_table(records: Sequence[TurnRecord], *, tags: bool = False) -> str:
    """One row per turn: clip, e2e and stages in ms, split, transcript snippet (or the error)."""
    head = f"{'clip':<22} {'e2e':>7} " + " ".join(f"{h:>7}" for h, _ in TABLE_STAGES) + f" {'split':>5}  transcript"
    lines = [head, "-" * len(head)]
    for r in records:
        name = (f"s{r.session}r{r.repeat} " if tags else "") + r.clip  # the tag first: long names get cut
        row = f"{_snippet(name, 22):<22} {_ms(r.end_to_end_ms)} "
        row += " ".join(_ms(r.stages.get(k)) for _, k in TABLE_STAGES)
        row += f" {'yes' if r.split else 'merged' if r.merged else 'no':>5}  "
        row += _snippet(r.transcript, 48) if not r.error else f"[{_snippet(r.error, 40)}] {_snippet(r.transcript, 20)}"
        lines.append(row)
    return "\n".join(lines)


def _stat_cells(s: dict[str, Any] | None) -> str:
    if s is None:
        return f"{'':>4} {'':>7} {'':>7} {'':>7}"
    return f"{s['n']:>4} {_ms(s['p50_ms'])} {_ms(s['p95_ms'])} {_ms(s['max_ms'])}"


def _pct(x: float | None) -> str:
    return f"{100 * x:.1f}%" if x is not None else "n/a"


def summary_text(summaries: dict[str, dict[str, Any]], budget_ms: float) -> str:
    """p50/p95/max per stage and end-to-end for each mode side by side, then splits, WER, verdict."""
    modes = list(summaries)
    keys = [k for k in STAGE_ORDER if any(k in s["stages"] for s in summaries.values())]
    keys += sorted({k for s in summaries.values() for k in s["stages"]} - set(keys))
    head = f"{'stage (ms)':<24}" + "".join(f" | {m + ': n':>9} {'p50':>7} {'p95':>7} {'max':>7}" for m in modes)
    lines = [head, "-" * len(head)]
    for k in keys:
        lines.append(f"{k:<24}" + "".join(f" | {_stat_cells(summaries[m]['stages'].get(k))}" for m in modes))
    lines.append(f"{'END TO END':<24}" + "".join(f" | {_stat_cells(summaries[m])}" for m in modes))
    lines.append("")
    for m in modes:
        s = summaries[m]
        lines.append(f"[{m}] split: {s['split_count']} of {s['answered']} answered clips "
                     f"(rate {_pct(s['split_rate'])}; {s['merged_count']} more ended early at a pause and were "
                     f"merged back into one turn); unmeasured: {s['unmeasured']} of {s['attempted']}; "
                     f"WER overall {_pct(s['wer'])}")
        if s["wer_per_clip"]:
            lines.append(f"[{m}] WER per clip: " + ", ".join(f"{c} {_pct(w)}" for c, w in s["wer_per_clip"].items()))
    if "fast" in summaries and "naive" in summaries:
        c = comparison(summaries["fast"], summaries["naive"])
        ratio = c["naive_over_fast_p50"]
        lines.append(f"naive/fast end-to-end p50: {_ms(c['naive_p50_ms'], 0)} / {_ms(c['fast_p50_ms'], 0)} ms = "
                     + (f"{ratio:.2f}x" if ratio is not None else "n/a"))
    primary = summaries[modes[0]]
    if primary["n"]:
        verdict = "within" if primary["p50_ms"] <= budget_ms else "OVER"
        lines.append(f"budget: {modes[0]} end-to-end p50 {primary['p50_ms']:.0f} ms, "
                     f"{verdict} the {budget_ms:.0f} ms budget")
    else:
        lines.append("budget: no turn could be measured")
    return "\n".join(lines)
