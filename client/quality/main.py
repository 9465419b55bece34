"""The answer-quality run from start to finish: items, clips, server, sessions, report."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from app import protocol as p
from client.benchmark.noise import DEFAULT_DBFS, KINDS
from client.benchmark.runner import CLIP_TIMEOUT_S, GAP_S
from client.benchmark.spawn import server_for
from client.quality.questions import CATEGORY_NAMES, halves_of, session_plan
from client.quality.report import document, item_table, summary, summary_text
from client.quality.runner import ItemResult, Settings, run_sessions
from client.quality.speech import item_clips, noise_maker

USAGE_ERROR = 2
MODES = ("fresh", "continuing")
DEFAULT_TIMEZONE = "America/New_York"


@dataclass(frozen=True)
class Options:
    """What the command line asked for (see ``scripts/answer_quality.py --help``)."""

    server: str | None
    spawn: bool
    set_name: str = "all"
    mode: str = "both"
    limit: int | None = None
    categories: tuple[str, ...] = ()
    noise: str | None = None
    noise_dbfs: float = DEFAULT_DBFS
    timezone: str = DEFAULT_TIMEZONE
    json_path: Path | None = None
    cache_dir: Path | None = None
    gap_s: float = GAP_S
    timeout_s: float = CLIP_TIMEOUT_S

    def check(self) -> None:
        """Raise ValueError for options that cannot work together."""
        halves_of(self.set_name)
        if self.mode not in (*MODES, "both"):
            raise ValueError(f"unknown mode {self.mode!r} (fresh, continuing or both)")
        unknown = sorted(set(self.categories) - set(CATEGORY_NAMES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; categories: {', '.join(CATEGORY_NAMES)}")
        if self.noise is not None and self.noise not in KINDS:
            raise ValueError(f"unknown noise {self.noise!r} ({', '.join(KINDS)})")
        if not -90.0 <= self.noise_dbfs < 0.0:
            raise ValueError("--noise-dbfs must be between -90 and 0 (useful: -55 to -30)")
        p.Hello(timezone=self.timezone)  # the same check the server makes: an IANA name

    @property
    def modes(self) -> tuple[str, ...]:
        return MODES if self.mode == "both" else (self.mode,)


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _progress(r: ItemResult) -> None:
    verdict = ("right" if r.right else "WRONG") if r.scored else "context"
    e2e = f"{r.end_to_end_ms:.0f} ms" if r.end_to_end_ms is not None else "unmeasured"
    why = f" ({'; '.join(r.reasons)})" if not r.right and r.reasons else ""
    _err(f"[{r.mode} s{r.session}] {r.category}/{r.id} ({r.voice}): {verdict}{why}, e2e {e2e}"
         f"\n    heard: {r.transcript!r}\n    reply: {r.reply!r}" + (f"\n    error: {r.error}" if r.error else ""))


def run(opts: Options) -> int:
    """Run the questions; returns the exit code (0 whatever the accuracy, 2 when nothing could run)."""
    try:
        opts.check()
    except ValueError as exc:
        _err(f"error: {exc}")
        return USAGE_ERROR
    halves = halves_of(opts.set_name)
    plans = {m: session_plan(m, halves, opts.categories or None, opts.limit) for m in opts.modes}
    items = [i for plan in plans.values() for s in plan for i in s]
    if not items:
        _err("error: no questions match these options")
        return USAGE_ERROR
    try:
        clips = item_clips(items, opts.cache_dir, log=lambda _: None)
        noise = noise_maker(opts.noise, opts.noise_dbfs, list(clips.values()))
        noise(0)  # fail here, before a server is started, if this noise cannot be made
    except (OSError, ValueError, RuntimeError) as exc:
        _err(f"error: {exc}")
        return USAGE_ERROR
    _err(f"{len(items)} items to ask ({', '.join(f'{m}: {sum(map(len, p))}' for m, p in plans.items())}), "
         f"time zone {opts.timezone}")

    found = server_for(opts.server, opts.spawn, _err)
    if found is None:
        return USAGE_ERROR
    server, url = found
    settings = Settings(url=url, timezone=opts.timezone, gap_s=opts.gap_s, timeout_s=opts.timeout_s, noise=noise,
                        mix_noise=opts.noise is not None,
                        categories=frozenset(opts.categories) if opts.categories else None)
    results: list[ItemResult] = []
    try:
        for mode, plan in plans.items():
            results += asyncio.run(run_sessions(plan, clips, settings, mode=mode,
                                                first_index=len({(r.mode, r.session) for r in results}),
                                                progress=_progress))
    finally:
        if server is not None:
            _err(f"server stopped (exit code {server.stop()})")

    print(item_table(results))
    print()
    print(summary_text(summary(results)))
    if opts.json_path is not None:
        options = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(opts).items()}
        doc = document(results, {**options, "server": url})
        opts.json_path.write_text(json.dumps(doc, indent=2) + "\n")
        _err(f"wrote {opts.json_path}")
    return 0
