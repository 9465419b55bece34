"""The soak from start to finish: clips, server, sessions and monitor, report, plot, exit code."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from client.benchmark.clips import Clip, clip_set
from client.benchmark.runner import CLIP_TIMEOUT_S, GAP_S
from client.benchmark.spawn import SpawnedServer
from client.soak.monitor import Monitor
from client.soak.report import build_document, exit_code, summary_text
from client.soak.runner import SoakResult, SoakTurn, run_soak

USAGE_ERROR = 2


@dataclass(frozen=True)
class Options:
    server: str | None
    spawn: bool
    sessions: int = 4
    minutes: float = 10.0
    server_pid: int | None = None
    clips: tuple[Path, ...] = ()
    json_path: Path | None = None
    plot_path: Path | None = None
    window_s: float = 60.0
    sample_s: float = 5.0
    gap_s: float = GAP_S
    timeout_s: float = CLIP_TIMEOUT_S
    cache_dir: Path | None = None
    quiet: bool = False


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load_clips(opts: Options) -> list[Clip]:
    """The clips named on the command line, or the default set."""
    return clip_set(opts.clips, opts.cache_dir)


async def _run(opts: Options, url: str, pid: int | None, clips: list[Clip]) -> tuple[SoakResult, Monitor, float]:
    start = time.monotonic()
    monitor = Monitor(pid, url, start, opts.sample_s)
    stop = asyncio.Event()
    sampler = asyncio.create_task(monitor.run(stop))
    done = 0

    def progress(turn: SoakTurn) -> None:
        nonlocal done
        done += 1
        if opts.quiet:
            return
        r = turn.record
        e2e = f"{r.end_to_end_ms:.0f} ms" if r.end_to_end_ms is not None else "unmeasured"
        _err(f"[{turn.t_s / 60:5.2f} min s{turn.session}] {r.clip}: e2e {e2e}" + (f" ({r.error})" if r.error else ""))

    try:
        result = await run_soak(url, clips, sessions=opts.sessions, duration_s=60.0 * opts.minutes, start=start,
                                gap_s=opts.gap_s, timeout_s=opts.timeout_s, progress=progress)
    finally:
        stop.set()
        await sampler
    return result, monitor, time.monotonic() - start


def run(opts: Options) -> int:
    """Run the soak; returns 0 when clean, 1 on errors or lost frames, 2 when it could not run."""
    try:
        clips = load_clips(opts)
    except (OSError, ValueError) as exc:
        _err(f"error: {exc}")
        return USAGE_ERROR
    _err(f"{len(clips)} clips: " + ", ".join(f"{c.name} ({c.duration_s:.1f} s)" for c in clips))
    server: SpawnedServer | None = None
    url, pid = opts.server, opts.server_pid
    workdir = tempfile.TemporaryDirectory(prefix="edge-voice-soak-")
    if opts.spawn:
        _err("starting the server ...")
        try:
            store = Path(workdir.name) / "sessions.db"
            server = SpawnedServer.start("--max-sessions", str(max(4, opts.sessions)), "--store", f"sqlite:///{store}")
        except RuntimeError as exc:
            _err(f"error: {exc}")
            workdir.cleanup()
            return USAGE_ERROR
        url, pid = server.url, server.process.pid
        _err(f"server ready on {url}, pid {pid} (log: {server.log_path})")
    assert url is not None
    _err(f"soak: {opts.sessions} sessions for {opts.minutes:g} min")
    try:
        result, monitor, wall_s = asyncio.run(_run(opts, url, pid, clips))
    finally:
        if server is not None:
            code = server.stop()
            _err(f"server stopped (exit code {code})")
        workdir.cleanup()
    doc = build_document(result, monitor.samples, url=url, sessions=opts.sessions, duration_s=60.0 * opts.minutes,
                         window_s=opts.window_s, pid=pid, clips=[c.name for c in clips], wall_s=wall_s)
    print(summary_text(doc), flush=True)
    if opts.json_path is not None:
        opts.json_path.write_text(json.dumps(doc, indent=2) + "\n")
        _err(f"wrote {opts.json_path}")
    if opts.plot_path is not None:
        from client.soak.plot import plot

        plot(doc, opts.plot_path)
        _err(f"wrote {opts.plot_path}")
    return exit_code(doc)
