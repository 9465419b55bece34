#!/usr/bin/env python3
"""Calibrate endpointing offline: record what the models say at every pause, then try policies.

  collect: replay clip sets through the server's VAD, noise gate and segmenter in-process (the
           default models, loaded here; no server needed) and write every pause with its length,
           transcript, the turn model's and the language model's verdicts to a JSON file.
  fit:     read such files and report the server's policy (and a grid of its settings) as
           false cut-offs and endpoint waits; calibrate on the tune sets, check on the holdout.

Example:
  .venv/bin/python scripts/endpoint_calibration.py collect --set tune,voices-tune,human --json tune.json
  .venv/bin/python scripts/endpoint_calibration.py collect --set voices-tune --noise pink --noise-dbfs -45 \\
      --json tune-pink.json
  .venv/bin/python scripts/endpoint_calibration.py fit tune.json tune-pink.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, no install needed

from app.audio import FRAME_SAMPLES
from app.config import EndpointSettings, ServerSettings
from client.benchmark.endpoint_fit import cut_pauses, evaluate, evaluate_per_speaker, format_cut, format_result, grid
from client.benchmark.main import session_noise
from client.benchmark.noise import DEFAULT_DBFS, KINDS, NoiseStream
from client.benchmark.pause_verdicts import PauseVerdicts, as_dicts, collect
from client.benchmark.prompts import noise_floor
from client.benchmark.sets import SET_NAMES, load_sets

GRID = {
    "words_sure": (0.05, 0.1, 0.15, 0.2, 0.25),
    "words_threshold": (2e-3, 5e-3, 1e-2, 2e-2),
    "words_done_ms": (320, 400),
    "uncertain_ms": (600, 700, 800),
}
"""The settings the fit searches by default (EndpointSettings fields)."""


def _collect(args: argparse.Namespace) -> int:
    from app.engine import Engine

    names = tuple(n.strip() for n in args.set.split(",") if n.strip())
    unknown = [n for n in names if n not in SET_NAMES]
    if unknown:
        print(f"unknown set {', '.join(unknown)}; sets: {', '.join(SET_NAMES)}", file=sys.stderr)
        return 2
    log = lambda line: print(line, file=sys.stderr)  # noqa: E731
    clips = load_sets(names, None, log)
    kind = args.noise or "white"
    # The latency benchmark's noise for its first session; without --noise its -60 dBFS floor.
    noise = session_noise(args.noise, args.noise_dbfs, clips)(0) or NoiseStream(noise_floor(FRAME_SAMPLES * 250))
    settings = ServerSettings()
    engine = Engine.load(settings)
    try:
        rows = collect(clips, engine, settings, noise, under=args.noise is not None, log=log)
    finally:
        engine.close()
    doc = {"sets": names, "noise": {"kind": kind, "dbfs": args.noise_dbfs if args.noise else DEFAULT_DBFS,
                                    "under_speech": args.noise is not None},
           "models": engine.info, "pauses": as_dicts(rows)}
    Path(args.json).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(rows)} pauses of {len(clips)} clips written to {args.json}", file=sys.stderr)
    return 0


def _fit(args: argparse.Namespace) -> int:
    rows: list[PauseVerdicts] = []
    for path in args.files:
        doc = json.loads(Path(path).read_text())
        tag = f"{doc['noise']['kind']}{doc['noise']['dbfs']:.0f}"
        rows += [PauseVerdicts(**{**r, "set_name": f"{r['set_name']}@{tag}"}) for r in doc["pauses"]]
    base = EndpointSettings()
    print("server defaults: " + format_result(evaluate(rows, base)))
    if args.cuts:
        for row, wait in cut_pauses(rows, base):
            print("  cut: " + format_cut(row, wait))
    for result in grid(rows, base, GRID)[: args.top]:
        print("  " + format_result(result))
    print("adapted to each speaker's pauses after a merge (not the server's rule):")
    for margin, cap in ((60, 600), (150, 800), (150, 1000)):
        print("  " + format_result(evaluate_per_speaker(rows, base, margin_ms=margin, cap_ms=cap)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="record every pause's verdicts")
    c.add_argument("--set", required=True, help=f"comma-separated clip sets ({', '.join(SET_NAMES)})")
    c.add_argument("--noise", choices=KINDS, help="noise under and between the clips (default: -60 dBFS white between)")
    c.add_argument("--noise-dbfs", type=float, default=DEFAULT_DBFS, help="noise level, dBFS RMS")
    c.add_argument("--json", required=True, help="output file")
    f = sub.add_parser("fit", help="try the policy and a grid of its settings on recorded pauses")
    f.add_argument("files", nargs="+", help="files written by collect")
    f.add_argument("--top", type=int, default=15, help="grid results to show")
    f.add_argument("--cuts", action="store_true", help="list the pauses the server's defaults cut")
    args = parser.parse_args(argv)
    return _collect(args) if args.command == "collect" else _fit(args)


if __name__ == "__main__":
    raise SystemExit(main())
