#!/usr/bin/env python3
"""Answer-quality benchmark: asks the edge server ~100 spoken questions (8 voices), in fresh sessions
and in long continuing ones, and scores every reply by a written rule (see client/quality/rules.py).

Prints the per-item table and accuracy by category, writes JSON with --json. Exit code 0 whatever the
accuracy; 2 for usage errors or when no server could be started. The logic lives in ``client/quality``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, no install needed

from client.benchmark.cli_types import positive_int
from client.benchmark.noise import DEFAULT_DBFS, KINDS
from client.quality.main import DEFAULT_TIMEZONE, Options, run
from client.quality.questions import CATEGORY_NAMES


def _categories(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in CATEGORY_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown category {', '.join(unknown) or text!r}; "
                                         f"categories: {', '.join(CATEGORY_NAMES)}")
    return names


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="answer_quality.py",
                                     description="Score the edge voice server's spoken answers, by category.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--server", metavar="URL", help="use a running node, e.g. ws://127.0.0.1:8765")
    where.add_argument("--spawn", action="store_true", help="start a server (python -m app --port 0), stop it after")
    parser.add_argument("--set", choices=["tune", "holdout", "all"], default="all", dest="set_name",
                        help="question half: tune (for adjusting), holdout (for reporting) or all (default)")
    parser.add_argument("--mode", choices=["fresh", "continuing", "both"], default="both",
                        help="fresh: a new session per question (per dialogue); continuing: one long session "
                             "per half; both (default)")
    parser.add_argument("--limit", type=positive_int, metavar="N", help="ask at most N items per mode")
    parser.add_argument("--categories", type=_categories, default=(), metavar="A,B",
                        help=f"only these categories ({', '.join(CATEGORY_NAMES)})")
    parser.add_argument("--noise", choices=KINDS, metavar="KIND",
                        help=f"continuous noise under the questions and between them: {', '.join(KINDS)}")
    parser.add_argument("--noise-dbfs", type=float, default=DEFAULT_DBFS, metavar="X",
                        help="RMS level of --noise in dBFS (default %(default)s; useful range -55 to -30)")
    parser.add_argument("--timezone", default=DEFAULT_TIMEZONE, metavar="AREA/CITY",
                        help="the user's IANA time zone, sent in hello (default %(default)s)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--cache-dir", type=Path, help="where synthesized question clips are cached")
    args = parser.parse_args(argv)
    return Options(server=args.server, spawn=args.spawn, set_name=args.set_name, mode=args.mode, limit=args.limit,
                   categories=args.categories, noise=args.noise, noise_dbfs=args.noise_dbfs, timezone=args.timezone,
                   json_path=args.json, cache_dir=args.cache_dir)


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
