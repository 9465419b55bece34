#!/usr/bin/env python3
"""Mouth-to-ear latency benchmark: plays recordings into the edge server at real-time pace and
measures, per turn, the acoustic end of speech -> first reply audio, against the latency target
of the number of sessions (1: p50 <= 500 ms and p95 <= 700 ms; 2 or more: p50 <= 800 ms), over
the node's own protocol, OpenAI's Realtime protocol (``--protocol realtime``), or both on the
same clips (``--protocol both``: the realtime/native comparison clip by clip).

Exit code: 0 when the target is met, 1 when a figure is over it, 2 for usage errors or when no
turn could be measured. The logic lives in ``client/benchmark``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, no install needed

from client.benchmark.cli_types import positive_float as _positive_float
from client.benchmark.cli_types import positive_int as _positive_int
from client.benchmark.clips import SHARED_AUDIO_ENV, shared_audio_dir
from client.benchmark.main import Options, run
from client.benchmark.noise import DEFAULT_DBFS, KINDS
from client.benchmark.protocols import PROTOCOLS
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


def _directory(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such directory: {path}")
    return path


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
                      help="clip sets: default (8 generated prompts, + jfk.flac when the shared recordings are there), "
                           "tune, holdout (the endpointing prompt halves, Piper voice), voices-tune, "
                           "voices-holdout (each prompt by two of 8 voices), human (the shared recordings); "
                           "comma-separated to combine (default: default)")
    parser.add_argument("--mode", choices=["fast", "naive"], default="fast", help="pipeline to measure (default fast)")
    parser.add_argument("--compare-naive", action="store_true", help="also run the naive pipeline and compare")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="native",
                        help="how the clips are played: native (default), realtime (OpenAI's Realtime protocol at "
                             "/v1/realtime of the same node: 24 kHz appends, server VAD, the first audio delta of "
                             "the reply stops the clock; no server stage timings), or both (alternating passes on "
                             "the same clips, compared clip by clip)")
    parser.add_argument("--concurrency", type=_positive_int, default=1, metavar="K", help="simultaneous sessions")
    parser.add_argument("--repeat", type=_positive_int, default=1, metavar="N", help="play the clip set N times")
    parser.add_argument("--budget-ms", type=_positive_float, metavar="MS",
                        help="end-to-end p50 target, replacing the default one (1 session: p50 <= 500 and "
                             "p95 <= 700 ms; 2 or more: p50 <= 800 ms); no p95 target unless --p95-ms")
    parser.add_argument("--p95-ms", type=_positive_float, metavar="MS",
                        help="end-to-end p95 target (alone: replaces the default p95 only)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--plot", type=Path, metavar="FILE.png", help="write a stacked-bar chart of the stages")
    parser.add_argument("--cache-dir", type=Path, help="where generated prompt clips are cached")
    parser.add_argument("--shared-audio", type=_directory, default=shared_audio_dir(), metavar="DIR",
                        help=f"where the shared human recordings (jfk.flac, ...) are (default: ${SHARED_AUDIO_ENV}, "
                             "else ../shared/audio next to the repo: %(default)s); the default set goes without them")
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
        budget_ms=args.budget_ms, p95_ms=args.p95_ms, json_path=args.json, plot_path=args.plot,
        cache_dir=args.cache_dir, gap_s=args.gap_s, timeout_s=args.timeout_s, sets=args.sets, noise=args.noise,
        noise_dbfs=args.noise_dbfs, shared_audio=args.shared_audio, protocol=args.protocol,
    )


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
