"""What the benchmark prints and writes: the per-turn table, the summary, the JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from client.benchmark import endpoint_report
from client.benchmark.clips import Clip
from client.benchmark.longrun import combine
from client.benchmark.protocols import REALTIME, comparison_line, paired
from client.benchmark.runner import TurnRecord
from client.benchmark.stats import corpus_wer, summarize
from client.benchmark.targets import Target, verdict_line, within

REQUIRED_STAGES = ("endpoint_wait_ms", "stt_ms", "llm_first_token_ms", "tts_first_audio_ms")
"""Stage keys every turn in the JSON carries (null when the server did not report one)."""
STAGE_ORDER = (
    "vad_tail_ms", "endpoint_wait_ms", "stt_ms", "turn_model_ms", "llm_first_token_ms", "first_clause_ms",
    "tts_first_audio_ms", "server_first_audio_ms", "network_other_ms", "llm_total_ms",
)
"""Known stages in pipeline order; others the server adds are listed after them."""
NOT_LATENCY = {"utterance_ms"}
"""``*_ms`` keys that are durations of audio, not waits."""


def stage_keys(records: Sequence[TurnRecord]) -> list[str]:
    """Latency stages present in any measured record, known ones first."""
    seen = {k for r in records for k in r.stages if k.endswith("_ms") and k not in NOT_LATENCY}
    return [k for k in STAGE_ORDER if k in seen] + sorted(seen - set(STAGE_ORDER))


def mode_summary(records: Sequence[TurnRecord], sessions: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """End-to-end (acoustic; the webrtcvad figure under ``end_to_end_vad``) and per-stage
    p50/p95/max (ms), split count and rate, WER overall and per clip, endpointing per voice and
    per set, and the long-session counts of ``sessions`` (see :mod:`client.benchmark.longrun`)."""
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
        "end_to_end_vad": summarize(r.end_to_end_vad_ms for r in measured),
        "answered_before_acoustic_end": sum(1 for r in measured if (r.end_to_end_ms or 0.0) < 0),
        "endpoint_wait_acoustic_ms": summarize(r.endpoint_wait_acoustic_ms for r in answered),
        "stages": {k: summarize(r.stages.get(k) for r in measured) for k in stage_keys(measured)},
        "vad_offset_ms": summarize(r.vad_offset_ms for r in measured),
        "split_count": splits,
        "split_rate": splits / len(answered) if answered else None,
        "merged_count": merged,
        "wer": corpus_wer((r.reference or "", r.transcript) for r in with_ref),
        "wer_per_clip": per_clip,
        "by_voice": endpoint_report.by_voice(records),
        "by_set": endpoint_report.by_set(records),
        **combine(sessions),
        "per_session": [{k: v for k, v in s.items() if k != "first_token_ms"} for s in sessions],
    }


def turn_json(record: TurnRecord) -> dict[str, Any]:
    """One turn for the JSON file; the required stage keys are always there."""
    doc = record.to_json()
    doc["stages"] = {**{k: None for k in REQUIRED_STAGES}, **record.stages}
    return doc


def clip_json(c: Clip) -> dict[str, Any]:
    """One clip of the set, as the JSON lists it."""
    return {"name": c.name, "source": c.source, "duration_s": round(c.duration_s, 3),
            "speech_end_s": round(c.speech_end_s, 3), "acoustic_start_s": round(c.acoustic_start / 16_000, 3),
            "acoustic_end_s": round(c.acoustic_end_s, 3), "reference": c.reference, "voice": c.voice,
            "has_pause": c.has_pause, "set": c.set_name}


def build_document(results: dict[str, list[TurnRecord]], *, primary: str, target: Target, concurrency: int,
                   repeat: int, server: str, clips: Sequence[Clip],
                   sessions: dict[str, list[dict[str, Any]]] | None = None,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``--json`` document: the primary mode at top level, the naive run (if any) under ``naive``.
    ``sessions``: each mode's per-session counts; ``extra``: more top-level fields (set, noise).
    ``budget_ms`` is the p50 target; ``within_budget`` says whether the whole ``target`` is met."""
    sessions = sessions or {}
    summary = mode_summary(results[primary], sessions.get(primary, ()))
    doc: dict[str, Any] = {
        "budget_ms": target.p50_ms,
        "target": target.to_json(),
        "concurrency": concurrency,
        "repeat": repeat,
        "mode": primary,
        "server": server,
        **(extra or {}),
        "clips": [clip_json(c) for c in clips],
        "turns": [turn_json(r) for r in results[primary]],
        "summary": summary,
        "within_budget": within(summary, target),
    }
    if "naive" in results and primary != "naive":
        naive = mode_summary(results["naive"], sessions.get("naive", ()))
        doc["naive"] = {"mode": "naive", "turns": [turn_json(r) for r in results["naive"]], "summary": naive}
        doc["comparison"] = comparison(summary, naive)
    if REALTIME in results and primary != REALTIME:
        other = mode_summary(results[REALTIME], sessions.get(REALTIME, ()))
        doc[REALTIME] = {"protocol": REALTIME, "mode": "fast", "turns": [turn_json(r) for r in results[REALTIME]],
                         "summary": other}
        doc["protocol_comparison"] = paired(results[primary], results[REALTIME])
    return doc


def comparison(fast: dict[str, Any], naive: dict[str, Any]) -> dict[str, float | None]:
    """p50s of both modes and naive/fast, the speed-up of the fast pipeline."""
    f, n = fast["p50_ms"], naive["p50_ms"]
    return {"fast_p50_ms": f, "naive_p50_ms": n, "naive_over_fast_p50": n / f if f and n is not None else None}


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
    """One row per turn: clip, e2e (acoustic, then webrtcvad), the acoustic endpoint wait and the
    stages in ms, split, then what was heard and what was answered (or the error)."""
    head = (f"{'clip':<26} {'e2e':>7} {'e2eVAD':>7} {'acWait':>7} " + " ".join(f"{h:>7}" for h, _ in TABLE_STAGES)
            + f" {'split':>6}  {'transcript':<34} reply")
    lines = [head, "-" * len(head)]
    for r in records:
        name = (f"s{r.session}r{r.repeat} " if tags else "") + r.clip  # the tag first: long names get cut
        row = f"{_snippet(name, 26):<26} {_ms(r.end_to_end_ms)} {_ms(r.end_to_end_vad_ms)} "
        row += f"{_ms(r.endpoint_wait_acoustic_ms)} " + " ".join(_ms(r.stages.get(k)) for _, k in TABLE_STAGES)
        row += f" {'yes' if r.split else 'merged' if r.merged else 'no':>6}  "
        heard = _snippet(r.transcript, 34) if not r.error else f"[{_snippet(r.error, 20)}] {_snippet(r.transcript, 11)}"
        reply = _snippet(r.reply_text, 50) + (" [cut]" if r.reply_interrupted else "")
        lines.append(row + f"{heard:<34} {reply}")
    return "\n".join(lines)


def _stat_cells(s: dict[str, Any] | None) -> str:
    if s is None:
        return f"{'':>4} {'':>7} {'':>7} {'':>7}"
    return f"{s['n']:>4} {_ms(s['p50_ms'])} {_ms(s['p95_ms'])} {_ms(s['max_ms'])}"


def _pct(x: float | None) -> str:
    return f"{100 * x:.1f}%" if x is not None else "n/a"


def longrun_text(s: dict[str, Any]) -> str:
    """The long-session counts of a summary, in one paragraph."""
    trend = s["first_token_trend"]
    first, last = trend["first10"], trend["last10"]
    ratio = trend["last10_over_first10_p95"]
    history = ("no history came back" if s["history_cut"] is None else
               f"history ({s['history_sessions']} of {s['sessions']} sessions): {s['history_cut']} cut replies, "
               f"{s['history_repeats']} repeated replies")
    return (f"long sessions ({s['sessions']}): same reply as the previous turn {s['same_reply_as_previous']}; "
            f"llm first token p50/p95 first 10 turns {_ms(first['p50_ms'], 0)}/{_ms(first['p95_ms'], 0)} ms, "
            f"last 10 {_ms(last['p50_ms'], 0)}/{_ms(last['p95_ms'], 0)} ms"
            + (f" (p95 x{ratio:.2f})" if ratio is not None else "")
            + (" [windows overlap]" if trend["overlapping"] else "")
            + f"; ghost turns: {s['ghost_turns']['opened']} opened, {s['ghost_turns']['committed']} committed; "
            f"replies shortened {s['replies_shortened']}; {history}")


def summary_text(summaries: dict[str, dict[str, Any]], target: Target,
                 protocols: dict[str, Any] | None = None) -> str:
    """p50/p95/max per stage and end-to-end for each mode side by side, then splits, WER, the
    realtime/native comparison of ``protocols`` (see :func:`~client.benchmark.protocols.paired`)
    and the first mode's verdict against ``target``."""
    modes = list(summaries)
    keys = [k for k in STAGE_ORDER if any(k in s["stages"] for s in summaries.values())]
    keys += sorted({k for s in summaries.values() for k in s["stages"]} - set(keys))
    head = f"{'stage (ms)':<24}" + "".join(f" | {m + ': n':>9} {'p50':>7} {'p95':>7} {'max':>7}" for m in modes)
    lines = [head, "-" * len(head)]
    for k in keys:
        lines.append(f"{k:<24}" + "".join(f" | {_stat_cells(summaries[m]['stages'].get(k))}" for m in modes))
    lines.append(f"{'endpoint_wait_acoustic':<24}"
                 + "".join(f" | {_stat_cells(summaries[m].get('endpoint_wait_acoustic_ms'))}" for m in modes))
    lines.append(f"{'END TO END (webrtcvad)':<24}"
                 + "".join(f" | {_stat_cells(summaries[m].get('end_to_end_vad'))}" for m in modes))
    lines.append(f"{'END TO END':<24}" + "".join(f" | {_stat_cells(summaries[m])}" for m in modes))
    lines.append("(END TO END runs from the acoustic end of speech; the webrtcvad row from its last voiced frame)")
    lines.append("")
    for m in modes:
        s = summaries[m]
        lines.append(f"[{m}] split: {s['split_count']} of {s['answered']} answered clips "
                     f"(rate {_pct(s['split_rate'])}; {s['merged_count']} more ended early at a pause and were "
                     f"merged back into one turn); unmeasured: {s['unmeasured']} of {s['attempted']}; "
                     f"WER overall {_pct(s['wer'])}")
        if s["wer_per_clip"]:
            lines.append(f"[{m}] WER per clip: " + ", ".join(f"{c} {_pct(w)}" for c, w in s["wer_per_clip"].items()))
        if s.get("answered_before_acoustic_end"):
            lines.append(f"[{m}] warning: {s['answered_before_acoustic_end']} turns started replying before their "
                         "clip's acoustic end (negative e2e): those clips have a background within 35 dB of the "
                         "speech, or the server cut the sentence short")
        if s.get("sessions"):
            lines.append(f"[{m}] " + longrun_text(s))
        if s.get("by_voice"):
            lines.append(endpoint_report.table(f"[{m}] by voice", s["by_voice"]))
            lines.append(endpoint_report.table(f"[{m}] by set", s["by_set"]))
    if "fast" in summaries and "naive" in summaries:
        c = comparison(summaries["fast"], summaries["naive"])
        ratio = c["naive_over_fast_p50"]
        lines.append(f"naive/fast end-to-end p50: {_ms(c['naive_p50_ms'], 0)} / {_ms(c['fast_p50_ms'], 0)} ms = "
                     + (f"{ratio:.2f}x" if ratio is not None else "n/a"))
    if protocols is not None:
        lines.append(comparison_line(protocols))
    lines.append(verdict_line(modes[0], summaries[modes[0]], target))
    return "\n".join(lines)
