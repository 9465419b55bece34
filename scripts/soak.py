#!/usr/bin/env python3
"""Soak benchmark: K sessions stream real recordings (jfk + the latency benchmark's generated
prompts) into one node in real time, turn after turn, for M minutes.

Reports end-to-end latency p50/p95 per time window (end of speech -> first reply audio, the
latency benchmark's definition), error events and disconnects, lost or out-of-order reply audio
frames, and the server's RSS over time (growth from the end of the warm-up, the first 2 minutes
or 20 % of the run, to the end). Exit code: 0 clean, 1 errors or lost frames, 2 could not run.
The logic lives in ``client/soak``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, no install needed

from client.benchmark.cli_types import positive_float as _positive_float
from client.benchmark.cli_types import positive_int as _positive_int
from client.benchmark.runner import CLIP_TIMEOUT_S, GAP_S
from client.soak.main import Options, run


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="soak.py", description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--server", metavar="URL", help="use a running server, e.g. ws://127.0.0.1:8765")
    where.add_argument("--spawn", action="store_true", help="start a server (python -m app --port 0), stop it after")
    parser.add_argument("--server-pid", type=int, metavar="PID", help="with --server: sample this process's RSS")
    parser.add_argument("--sessions", type=_positive_int, default=4, metavar="K",
                        help="simultaneous sessions (default 4)")
    parser.add_argument("--minutes", type=_positive_float, default=10.0, metavar="M", help="duration (default 10)")
    parser.add_argument("--clips", nargs="+", type=Path, default=[], metavar="PATH",
                        help="audio files or directories (default: ../shared/audio/jfk.flac + generated prompts)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--plot", type=Path, metavar="FILE.png", help="write latency and RSS over time as a PNG")
    parser.add_argument("--window-s", type=_positive_float, default=60.0, help="latency window, s (default 60)")
    parser.add_argument("--sample-s", type=_positive_float, default=5.0, help="RSS sampling interval, s (default 5)")
    parser.add_argument("--gap-s", type=float, default=GAP_S, help="noise floor between clips, s (default %(default)s)")
    parser.add_argument("--timeout-s", type=float, default=CLIP_TIMEOUT_S,
                        help="longest wait for one clip's reply, s (default %(default)s)")
    parser.add_argument("--cache-dir", type=Path, help="where generated prompt clips are cached")
    parser.add_argument("--quiet", action="store_true", help="no per-turn progress lines")
    args = parser.parse_args(argv)
    if args.server_pid is not None and args.spawn:
        parser.error("--server-pid goes with --server (with --spawn the spawned server is sampled)")
    return Options(
        server=args.server, spawn=args.spawn, sessions=args.sessions, minutes=args.minutes,
        server_pid=args.server_pid, clips=tuple(args.clips), json_path=args.json, plot_path=args.plot,
        window_s=args.window_s, sample_s=args.sample_s, gap_s=args.gap_s, timeout_s=args.timeout_s,
        cache_dir=args.cache_dir, quiet=args.quiet,
    )


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
