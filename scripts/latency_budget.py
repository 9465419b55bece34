#!/usr/bin/env python3
"""Mouth-to-ear latency benchmark: plays recordings into the edge server at real-time pace and
measures, per turn, end of speech -> first reply audio, against the 500 ms budget.

Exit code: 0 when end-to-end p50 is within --budget-ms, 1 when over, 2 for usage errors or when
no turn could be measured. The logic lives in ``client/benchmark``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, no install needed

from client.benchmark.cli_types import positive_int as _positive_int
from client.benchmark.main import Options, run
from client.benchmark.runner import CLIP_TIMEOUT_S, GAP_S


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="latency_budget.py",
        description="Measure end-of-speech -> first-reply-audio latency of the edge voice server.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--server", metavar="URL", help="use a running server, e.g. ws://127.0.0.1:8765")
    where.add_argument("--spawn", action="store_true", help="start a server (python -m app --port 0), stop it after")
    parser.add_argument("--clips", nargs="+", type=Path, default=[], metavar="PATH",
                        help="audio files or directories (default: ../shared/audio/jfk.flac + generated prompts)")
    parser.add_argument("--mode", choices=["fast", "naive"], default="fast", help="pipeline to measure (default fast)")
    parser.add_argument("--compare-naive", action="store_true", help="also run the naive pipeline and compare")
    parser.add_argument("--concurrency", type=_positive_int, default=1, metavar="K", help="simultaneous sessions")
    parser.add_argument("--repeat", type=_positive_int, default=1, metavar="N", help="play the clip set N times")
    parser.add_argument("--budget-ms", type=float, default=500.0, help="end-to-end p50 budget (default 500)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--plot", type=Path, metavar="FILE.png", help="write a stacked-bar chart of the stages")
    parser.add_argument("--cache-dir", type=Path, help="where generated prompt clips are cached")
    parser.add_argument("--gap-s", type=float, default=GAP_S, help="silence between clips, s (default %(default)s)")
    parser.add_argument("--timeout-s", type=float, default=CLIP_TIMEOUT_S,
                        help="longest wait for one clip's reply, s (default %(default)s)")
    args = parser.parse_args(argv)
    return Options(
        server=args.server, spawn=args.spawn, clips=tuple(args.clips), mode=args.mode,
        compare_naive=args.compare_naive, concurrency=args.concurrency, repeat=args.repeat,
        budget_ms=args.budget_ms, json_path=args.json, plot_path=args.plot, cache_dir=args.cache_dir,
        gap_s=args.gap_s, timeout_s=args.timeout_s,
    )


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
