#!/usr/bin/env python3
"""Mouth-to-ear latency benchmark: plays recordings into the edge server at real-time pace and
measures, per turn, the acoustic end of speech -> first reply audio, against the 500 ms budget.

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
from client.benchmark.noise import DEFAULT_DBFS, KINDS
from client.benchmark.runner import CLIP_TIMEOUT_S, GAP_S
from client.benchmark.sets import SET_NAMES


def _sets(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in SET_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown set {', '.join(unknown) or text!r}; sets: {', '.join(SET_NAMES)}")
    return names


def _dbfs(text: str) -> float:
    value = float(text)
    if not -90.0 <= value < 0.0:
        raise argparse.ArgumentTypeError("must be between -90 and 0 dBFS (useful: -55 to -30)")
    return value


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="latency_budget.py",
        description="Measure end-of-speech -> first-reply-audio latency of the edge voice server.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--server", metavar="URL", help="use a running server, e.g. ws://127.0.0.1:8765")
    where.add_argument("--spawn", action="store_true", help="start a server (python -m app --port 0), stop it after")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--clips", nargs="+", type=Path, default=[], metavar="PATH",
                      help="audio files or directories to play instead of a set")
    what.add_argument("--set", type=_sets, default=("default",), metavar="NAME[,NAME...]", dest="sets",
                      help="clip sets: default (generated prompts + ../shared/audio/jfk.flac when present), "
                           "tune, holdout (the endpointing prompt halves, Piper voice), voices-tune, "
                           "voices-holdout (each prompt by two of 8 voices), human (the shared recordings); "
                           "comma-separated to combine (default: default)")
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
    parser.add_argument("--noise", choices=KINDS, metavar="KIND",
                        help=f"continuous noise under the clips and between them: {', '.join(KINDS)} "
                             "(default: a -60 dBFS white floor between clips only)")
    parser.add_argument("--noise-dbfs", type=_dbfs, default=DEFAULT_DBFS, metavar="X",
                        help="RMS level of --noise in dBFS (default %(default)s; useful range -55 to -30)")
    args = parser.parse_args(argv)
    return Options(
        server=args.server, spawn=args.spawn, clips=tuple(args.clips), mode=args.mode,
        compare_naive=args.compare_naive, concurrency=args.concurrency, repeat=args.repeat,
        budget_ms=args.budget_ms, json_path=args.json, plot_path=args.plot, cache_dir=args.cache_dir,
        gap_s=args.gap_s, timeout_s=args.timeout_s, sets=args.sets, noise=args.noise, noise_dbfs=args.noise_dbfs,
    )


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
