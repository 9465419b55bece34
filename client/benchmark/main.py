"""The benchmark from start to finish: clips, server, runs, report, plot, exit code."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from app.models import ModelError
from client.benchmark.clips import Clip, clip_set
from client.benchmark.noise import DEFAULT_DBFS, NoiseStream, make_noise
from client.benchmark.protocols import REALTIME, label, paired, passes
from client.benchmark.report import (
    build_document,
    mode_summary,
    summary_text,
    turn_table,
)
from client.benchmark.runner import CLIP_TIMEOUT_S, GAP_S, NoiseFactory, TurnRecord, run_mode
from client.benchmark.spawn import server_for
from client.benchmark.targets import Target, exit_code, target_for

USAGE_ERROR = 2


@dataclass(frozen=True)
class Options:
    """What the command line asked for (see ``scripts/latency_budget.py --help``)."""

    server: str | None
    spawn: bool
    clips: tuple[Path, ...]
    mode: str = "fast"
    compare_naive: bool = False
    concurrency: int = 1
    repeat: int = 1
    budget_ms: float | None = None
    """End-to-end p50 target, ms, replacing the per-concurrency one (see :mod:`client.benchmark.targets`)."""
    p95_ms: float | None = None
    """End-to-end p95 target, ms (with ``budget_ms``: added to it; alone: replaces the default p95)."""
    json_path: Path | None = None
    plot_path: Path | None = None
    cache_dir: Path | None = None
    gap_s: float = GAP_S
    timeout_s: float = CLIP_TIMEOUT_S
    sets: tuple[str, ...] = ("default",)
    """Clip sets to play when no ``clips`` are given (see :mod:`client.benchmark.sets`)."""
    noise: str | None = None
    """Noise kind mixed under the clips and between them (None: the -60 dBFS white floor between clips only)."""
    noise_dbfs: float = DEFAULT_DBFS
    shared_audio: Path | None = None
    """Where the shared human recordings are (None: ``$EDGE_VOICE_SHARED_AUDIO`` or ``../shared/audio``)."""
    protocol: str = "native"
    """"native", "realtime" (``/v1/realtime``) or "both" (alternating passes; see :mod:`client.benchmark.protocols`)."""

    @property
    def primary(self) -> str:
        """The results the verdict and the top of the JSON are about."""
        return label(self.mode, "realtime" if self.protocol == "realtime" else "native")

    @property
    def target(self) -> Target:
        """The latency target of this run; raises ValueError for a bad figure."""
        return target_for(self.concurrency, p50_ms=self.budget_ms, p95_ms=self.p95_ms)


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _progress(record: TurnRecord, done: int, total: int) -> None:
    name = label(record.mode, record.protocol)
    e2e = f"{record.end_to_end_ms:.0f} ms" if record.end_to_end_ms is not None else "unmeasured"
    if record.end_to_end_vad_ms is not None:
        e2e += f" (webrtcvad {record.end_to_end_vad_ms:.0f})"
    extra = (", split" if record.split else "") + (f", {record.error}" if record.error else "")
    _err(f"[{name} s{record.session}r{record.repeat} {done}/{total}] {record.clip}: e2e {e2e}{extra}")


def load_clips(opts: Options) -> list[Clip]:
    """The clips named on the command line, or the chosen sets."""
    return clip_set(opts.clips, opts.cache_dir, log=_err, sets=opts.sets, shared=opts.shared_audio)


def session_noise(kind: str | None, dbfs: float, clips: list[Clip]) -> NoiseFactory:
    """Each session's noise stream (its own seed; babble is made of the clips' speech); None
    for every session without ``kind`` (then the white floor between clips is the default)."""
    if kind is None:
        return lambda _: None
    speech = [c.samples[c.acoustic_start : c.acoustic_end] for c in clips] if kind == "babble" else []
    return lambda session: NoiseStream(make_noise(kind, dbfs, seed=session, speech=speech))


def noise_factory(opts: Options, clips: list[Clip]) -> NoiseFactory:
    """``session_noise`` of the options."""
    return session_noise(opts.noise, opts.noise_dbfs, clips)


def run(opts: Options) -> int:
    """Run the benchmark; returns the process exit code (0 target met, 1 over, 2 unusable)."""
    try:
        target = opts.target
        if opts.protocol != "native" and (opts.mode != "fast" or opts.compare_naive):
            raise ValueError("/v1/realtime runs the fast pipeline: --mode naive and --compare-naive need "
                             "--protocol native")
        clips = load_clips(opts)
        noise = noise_factory(opts, clips)
        noise(0)  # fail here, before a server is started, if this noise cannot be made
    except (OSError, ValueError, RuntimeError, ModelError) as exc:  # ModelError: no voice to make the prompts
        _err(f"error: {exc}")
        return USAGE_ERROR
    _err(f"{len(clips)} clips: " + ", ".join(f"{c.name} ({c.duration_s:.1f} s)" for c in clips))
    _err(f"target: {target.describe()}")
    if opts.noise:
        _err(f"noise: {opts.noise} at {opts.noise_dbfs:.0f} dBFS RMS, under the clips and between them")
    modes = [opts.mode] + (["naive"] if opts.compare_naive and opts.mode != "naive" else [])
    runs = [(mode, protocol, first, count) for mode in modes for protocol, first, count in
            passes(opts.protocol, opts.repeat)]

    found = server_for(opts.server, opts.spawn, _err)
    if found is None:
        return USAGE_ERROR
    server, url = found
    results: dict[str, list[TurnRecord]] = {}
    sessions: dict[str, list[dict]] = {}
    try:
        for mode, protocol, first, count in runs:
            ran = asyncio.run(run_mode(
                url, clips, mode=mode, concurrency=opts.concurrency, repeat=count,
                gap_s=opts.gap_s, timeout_s=opts.timeout_s, progress=_progress,
                noise=noise, mix_noise=opts.noise is not None, protocol=protocol, first_repeat=first,
            ))
            results.setdefault(label(mode, protocol), []).extend(ran.records)
            sessions.setdefault(label(mode, protocol), []).extend(ran.sessions)
    finally:
        if server is not None:
            code = server.stop()
            _err(f"server stopped (exit code {code})")

    tags = opts.concurrency > 1 or opts.repeat > 1
    names = [opts.primary, *(n for n in results if n != opts.primary)]
    for name in names:
        what = "/v1/realtime (fast pipeline)" if name == REALTIME else f"{name} pipeline"
        print(f"\n== {what}: {len(results[name])} turns ==")
        print(turn_table(results[name], tags=tags))
    summaries = {n: mode_summary(results[n], sessions[n]) for n in names}
    both = opts.protocol == "both"
    print()
    print(summary_text(summaries, target, paired(results[opts.mode], results[REALTIME]) if both else None))

    if opts.json_path is not None:
        extra = {"mode": opts.mode, "protocol": opts.protocol, "sets": list(opts.sets) if not opts.clips else None,
                 "noise": {"kind": opts.noise, "dbfs": opts.noise_dbfs, "mixed_under_clips": True} if opts.noise
                 else {"kind": "white", "dbfs": -60.0, "mixed_under_clips": False}}
        doc = build_document(results, primary=opts.primary, target=target, concurrency=opts.concurrency,
                             repeat=opts.repeat, server=url, clips=clips, sessions=sessions, extra=extra)
        opts.json_path.write_text(json.dumps(doc, indent=2) + "\n")
        _err(f"wrote {opts.json_path}")
    if opts.plot_path is not None:
        from client.benchmark.plot import plot

        plot(results, opts.plot_path, target=target)
        _err(f"wrote {opts.plot_path}")
    return exit_code(summaries[opts.primary], target)
