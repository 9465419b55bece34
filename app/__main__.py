"""``python -m app``: run the edge server on the models named by the manifest."""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import errno
import ipaddress
import logging
import math
import os
import sys
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import NoReturn

from app.auth import parse_api_tokens
from app.config import ENDPOINT_RANGES, EndpointSettings, ModelSettings, ServerSettings
from app.local_zone import node_time_zone
from app.logs import configure
from app.protocol import is_time_zone

log = logging.getLogger("app")


def _checked(kind: type[int] | type[float], ok: Callable[[float], bool], rule: str) -> Callable[[str], float]:
    """An argparse ``type``: ``kind`` parsed from the text, finite and passing ``ok``, or a one-line error."""

    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{text} {rule}")
        return value

    return convert


class _Parser(argparse.ArgumentParser):
    """argparse, with every error on one line: listing all options is --help's job."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


PORT = _checked(int, lambda v: 0 <= v <= 65535, "is not a TCP port: 0 to 65535, 0 for any free one")
COUNT = _checked(int, lambda v: v >= 1, "is too few: 1 or more")
AMOUNT = _checked(int, lambda v: v >= 0, "is negative: 0 or more")
SECONDS = _checked(float, lambda v: v > 0, "is too short: more than 0 seconds")
SECONDS_OR_ZERO = _checked(float, lambda v: v >= 0, "is negative: 0 seconds or more")


def parse_settings(argv: list[str] | None = None) -> ServerSettings:
    """Build the frozen settings from the command line."""
    defaults = ServerSettings()
    parser = _Parser(prog="python -m app", description="Edge voice assistant server.")
    parser.add_argument("--host", default=defaults.host, help="interface to bind (default %(default)s)")
    parser.add_argument("--port", type=PORT, default=defaults.port, help="TCP port (default %(default)s; 0 = any free)")
    parser.add_argument("--models", type=Path, default=defaults.models.models_dir,
                        help="models directory holding manifest.toml and the weights (default %(default)s)")
    parser.add_argument("--manifest", type=Path, default=None, help="manifest file (default <models>/manifest.toml)")
    parser.add_argument("--profile", default=defaults.models.profile, metavar="NAME",
                        help="model profile from the manifest: default, or quality (larger models, slower; "
                             "see the README)")
    parser.add_argument("--log-level", default=defaults.log_level,
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper)
    parser.add_argument("--llm-instances", type=COUNT, default=None,
                        help="independent llama.cpp contexts (default: one per admitted session)")
    parser.add_argument("--llm-threads", type=COUNT, default=defaults.models.llm_threads,
                        help="threads per llama.cpp context while several generate (default %(default)s)")
    parser.add_argument("--llm-threads-alone", type=COUNT, default=defaults.models.llm_threads_alone,
                        help="threads of a generation that runs alone (default %(default)s)")
    parser.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                        help="browser origin allowed to connect, e.g. https://app.example.com "
                             "(repeatable; default: the server's own host only; '*' allows any)")
    parser.add_argument("--server-name", action="append", default=[], metavar="NAME",
                        help="host name browsers reach this node by, e.g. edge.example.com (repeatable; "
                             "default: loopback names and the bind address or this machine's names)")
    parser.add_argument("--timezone", default=None, metavar="IANA",
                        help="time zone for users who do not send theirs, e.g. Europe/Paris (default: this machine's)")
    parser.add_argument("--history-tokens", type=AMOUNT, default=defaults.reply.history_tokens,
                        help="conversation kept in the prompt, in tokens (default %(default)s)")
    parser.add_argument("--no-local-tools", action="store_true",
                        help="the model answers everything: no clock, timers, arithmetic ... tools")
    parser.add_argument("--max-sessions", type=COUNT, default=defaults.max_sessions,
                        help="sessions admitted at once; more get a 'busy' error (default %(default)s)")
    parser.add_argument("--drain-timeout", type=SECONDS_OR_ZERO, default=defaults.drain_timeout_s,
                        help="seconds turns in flight may take to finish on SIGTERM (default %(default)s)")
    parser.add_argument("--log-format", choices=["text", "json"], default=defaults.log_format,
                        help="log line format (default %(default)s)")
    parser.add_argument("--store", default=defaults.store_url, metavar="URL",
                        help="session store: sqlite:///<path> (default %(default)s), redis://host:port/db, memory://")
    parser.add_argument("--session-ttl", type=SECONDS, default=defaults.session_ttl_s,
                        help="seconds a stored conversation lives after its last change (default %(default)s)")
    parser.add_argument("--api-token-file", type=Path,
                        help="file of static API tokens, one per line (also: EDGE_VOICE_API_TOKENS, comma-separated)")
    parser.add_argument("--certfile", type=Path, help="TLS certificate chain (PEM): serve wss:// and https://")
    parser.add_argument("--keyfile", type=Path, help="TLS private key (PEM)")
    parser.add_argument("--insecure", action="store_true",
                        help="allow binding a non-loopback address without authentication (not recommended)")
    parser.add_argument("--idle-timeout", type=SECONDS, default=defaults.idle_timeout_s,
                        help="close a session that sends nothing for this many seconds (default %(default)s)")
    parser.add_argument("--endpoint", action="append", default=[], metavar="FIELD=VALUE",
                        help="tune turn-taking, e.g. --endpoint complete_ms=300 (fields: see EndpointSettings "
                             "in app/config.py; repeatable)")
    args = parser.parse_args(argv)
    try:
        endpoint = _tuned(EndpointSettings(), args.endpoint)
    except ValueError as exc:
        parser.error(str(exc))
    timezone = node_time_zone() if args.timezone is None else args.timezone
    if timezone and not is_time_zone(timezone):
        parser.error(f"--timezone {timezone!r} is not an IANA time zone name such as Europe/Paris")
    if (args.certfile is None) != (args.keyfile is None):
        parser.error("--certfile and --keyfile go together")
    try:
        tokens = parse_api_tokens(os.environ.get("EDGE_VOICE_API_TOKENS", "").replace(",", "\n"),
                                  "EDGE_VOICE_API_TOKENS")
        if args.api_token_file is not None:
            tokens += parse_api_tokens(args.api_token_file.read_text(), "--api-token-file")
    except OSError as exc:
        parser.error(f"cannot read --api-token-file: {exc.strerror}")
    except ValueError as exc:
        parser.error(str(exc))
    secret = os.environ.get("EDGE_VOICE_TOKEN_SECRET", "").encode() or None
    if not tokens and secret is None and not _is_loopback(args.host):
        if not args.insecure:
            parser.error(f"binding {args.host} without authentication: configure tokens "
                         "(--api-token-file, EDGE_VOICE_API_TOKENS or EDGE_VOICE_TOKEN_SECRET) or pass --insecure")
        print(f"WARNING: serving {args.host} with NO authentication (--insecure): anyone who can reach "
              "this port can use the assistant", file=sys.stderr)
    models = ModelSettings(models_dir=args.models, manifest_path=args.manifest, profile=args.profile,
                           llm_instances=args.llm_instances or args.max_sessions, llm_threads=args.llm_threads,
                           llm_threads_alone=args.llm_threads_alone)
    reply = replace(defaults.reply, history_tokens=args.history_tokens, local_tools=not args.no_local_tools)
    return replace(defaults, endpoint=endpoint, reply=reply, host=args.host, port=args.port, log_level=args.log_level,
                   timezone=timezone,
                   log_format=args.log_format, models=models,
                   allowed_origins=tuple(args.allow_origin), server_names=tuple(args.server_name),
                   max_sessions=args.max_sessions,
                   drain_timeout_s=args.drain_timeout, store_url=args.store, session_ttl_s=args.session_ttl,
                   idle_timeout_s=args.idle_timeout, api_tokens=tuple(tokens), token_secret=secret,
                   certfile=args.certfile, keyfile=args.keyfile)


def _tuned(settings: EndpointSettings, assignments: list[str]) -> EndpointSettings:
    """``settings`` with ``FIELD=VALUE`` overrides applied (numbers only; every field is one)."""
    known = {f.name: f.type for f in fields(settings)}
    changes: dict[str, int | float] = {}
    for item in assignments:
        name, _, value = item.partition("=")
        if name not in known:
            raise ValueError(f"--endpoint: unknown field {name!r}; known: {', '.join(sorted(known))}")
        whole = known[name] in (int, "int")
        try:
            number = int(value) if whole else float(value)
        except ValueError:
            raise ValueError(f"--endpoint {name}: {value!r} is not a {'whole ' if whole else ''}number") from None
        low, high = ENDPOINT_RANGES.get(name, (0, math.inf))
        if not (math.isfinite(number) and low <= number <= high):
            upper = "or more" if high == math.inf else f"to {high:g}"
            raise ValueError(f"--endpoint {name}: {value} is out of range: {low:g} {upper}")
        changes[name] = number
    return replace(settings, **changes)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _listen_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use (another server running?): stop it or choose another --port"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread malloc arenas. Every LLM generation runs on a fresh thread (so it
    can drop its own priority), and glibc gives new threads new 64 MB arenas: without a cap the
    resident size climbs in 100 MB steps under load (seen in a 10-minute soak)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass  # not glibc: nothing to cap


def main(argv: list[str] | None = None) -> int:
    _limit_malloc_arenas()
    settings = parse_settings(argv)
    configure(settings.log_level, settings.log_format)
    from app.engine import Engine
    from app.models import ModelError
    from app.server import EdgeServer, check_can_listen
    from app.stages.base import StageError
    from app.store import StoreError, open_store

    try:
        check_can_listen(settings.host, settings.port)  # now, not after the models have loaded
    except OSError as exc:
        print(f"error: {_listen_problem(settings.host, settings.port, exc)}", file=sys.stderr)
        return 1
    try:
        store = open_store(settings.store_url, settings.session_ttl_s)
    except (StoreError, ValueError) as exc:
        print(f"error: session store {settings.store_url!r}: {exc}", file=sys.stderr)
        return 1
    try:
        engine = Engine.load(settings)
    except (ModelError, StageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        asyncio.run(EdgeServer(settings, engine, store).serve_forever())
    finally:
        engine.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
