"""``python -m app.models {fetch,verify,list}``.

Exit status: 0 success, 1 a ModelError (one ``error: ...`` line, no traceback), 2 bad
usage (including a ``--model`` name the manifest does not have)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .errors import ModelError
from .fetcher import fetch, select_models, verify
from .manifest import Manifest, load_manifest
from .paths import DEFAULT_MANIFEST, DEFAULT_MODELS_DIR
from .store import quick_ok

log = logging.getLogger(__name__)


def _build_parser() -> argparse.ArgumentParser:
    def add_common(p: argparse.ArgumentParser, *, suppress: bool) -> None:
        def d(value: object) -> object:
            return argparse.SUPPRESS if suppress else value

        p.add_argument("--manifest", type=Path, default=d(DEFAULT_MANIFEST),
                       help=f"manifest file (default: {DEFAULT_MANIFEST})")
        p.add_argument("--models-dir", type=Path, default=d(DEFAULT_MODELS_DIR),
                       help=f"where model files go (default: {DEFAULT_MODELS_DIR})")
        p.add_argument("-v", "--verbose", action="store_true", default=d(False), help="log what is being done")
        p.add_argument("--profile", default=d("default"), metavar="NAME",
                       help="use this [profiles.NAME] of the manifest as the defaults (e.g. quality)")

    parser = argparse.ArgumentParser(prog="python -m app.models", description="Fetch, verify and list models.")
    add_common(parser, suppress=False)
    # The same options are accepted after the subcommand; SUPPRESS keeps the subparser from
    # overwriting a value given before it with its own default.
    common = argparse.ArgumentParser(add_help=False)
    add_common(common, suppress=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{fetch,verify,list}")

    def add_selection(p: argparse.ArgumentParser) -> None:
        g = p.add_mutually_exclusive_group()
        g.add_argument("--model", action="append", metavar="NAME",
                       help="a model by name (repeatable); default: the defaults")
        g.add_argument("--all", action="store_true", help="every model in the manifest")

    p_fetch = sub.add_parser("fetch", parents=[common], help="download and verify models (default: the defaults)")
    add_selection(p_fetch)
    p_fetch.add_argument("--allow-unpinned", action="store_true",
                         help='also fetch files with sha256 = "" and print their hashes for pinning')
    p_fetch.add_argument("--progress", action="store_true", default=None,
                         help="force the progress bar even when stderr is not a terminal")
    p_verify = sub.add_parser("verify", parents=[common], help="rehash model files and report problems")
    add_selection(p_verify)
    sub.add_parser("list", parents=[common],
                   help="list models in the manifest, their licence and provenance, and whether they are installed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on bad usage, 0 for --help
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        manifest = load_manifest(args.manifest).with_profile(args.profile)
        names: list[str] | None = None
        if getattr(args, "all", False):
            names = [m.name for m in manifest.models]
        elif getattr(args, "model", None):
            known = {m.name for m in manifest.models}
            unknown = [n for n in args.model if n not in known]
            if unknown:
                parser.print_usage(sys.stderr)
                print(f"error: unknown model(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})",
                      file=sys.stderr)
                return 2
            names = args.model
        if args.command == "fetch":
            return _fetch(manifest, args.models_dir, names, args.allow_unpinned, args.progress, args.verbose)
        if args.command == "verify":
            return _verify(manifest, args.models_dir, names)
        return _list(manifest, args.models_dir)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `... list | head`: the reader left; don't print a traceback at interpreter exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _fetch(
    manifest: Manifest,
    models_dir: Path,
    names: list[str] | None,
    allow_unpinned: bool,
    progress: bool | None,
    verbose: bool,
) -> int:
    """Fetch what is missing; one summary line, plus a line per file downloaded (per file with -v).

    Every start of scripts/serve.sh runs this: a line per file already present told nothing."""
    t0 = time.monotonic()
    results = fetch(manifest, models_dir, names, allow_unpinned=allow_unpinned, progress=progress)
    for r in results:
        if verbose or r.action != "present":
            print(f"{r.action:8} {r.dest}  ({r.size / 1e6:.1f} MB)")
    for r in results:
        if not r.pinned:
            print(f'unpinned {r.dest}: sha256 = "{r.sha256}", size = {r.size}  <- paste into the manifest to pin')
            if r.parts:
                print("  parts = [")
                for sha, size in r.parts:
                    print(f'    {{ sha256 = "{sha}", size = {size} }},')
                print("  ]")
    placed = sum(r.action == "placed" for r in results)
    print(f"models: {len(results)} file(s) ok, {placed} downloaded, in {time.monotonic() - t0:.1f} s "
          f"under {models_dir}")
    return 0


def _verify(manifest: Manifest, models_dir: Path, names: list[str] | None) -> int:
    problems = verify(manifest, models_dir, names)
    n_files = sum(len(m.files) for m in select_models(manifest, names))
    for p in problems:
        print(p)
    if problems:
        print(f"error: {len(problems)} problem(s) in {n_files} file(s); "
              "`python -m app.models fetch` repairs missing or bad files", file=sys.stderr)
        return 1
    print(f"{n_files} file(s) verified under {models_dir}")
    return 0


def _list(manifest: Manifest, models_dir: Path) -> int:
    print(f"manifest {manifest.version}")
    width = max(32, *(len(m.name) for m in manifest.models))
    for m in manifest.models:
        # Quick check only (stamps): listing should not hash hundreds of MB.
        ok = sum(quick_ok(models_dir / f.dest, f) for f in m.files)
        present = sum((models_dir / f.dest).is_file() for f in m.files)
        status = "installed" if ok == len(m.files) else ("missing" if present == 0 else "partial/unverified")
        mark = "*" if manifest.is_default(m) else " "
        pin = "" if m.pinned else " [unpinned]"
        print(f"{mark} {m.role:4} {m.name:{width}} {m.version:8} {status:18} {m.source.describe()} ({m.license}){pin}")
        print(f"       upstream:    {m.upstream}; licence {m.upstream_license}")
        print(f"       packaged by: {m.packaged_by}")
        if m.notes:
            print(f"       notes:       {m.notes}")
    print("* = default for its role. Licence in brackets: the one the files are used under here.")
    print("sha256 pins prove the bytes are the ones recorded, not who made them: see 'upstream'/'packaged by'.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
