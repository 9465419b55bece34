"""``python -m app``'s options: every number checked with a one-line error, the port tried before
the models load, and the ready line followed by where to open the page."""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
import subprocess
import sys

import pytest

from app.__main__ import parse_settings
from app.config import REPO_ROOT, ServerSettings
from app.server import EdgeServer, browser_hint, check_can_listen
from app.store import MemoryStore
from tests.fakes import fake_engine


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--port", "99999"], "argument --port: 99999 is not a TCP port: 0 to 65535"),
        (["--port", "-5"], "argument --port: -5 is not a TCP port"),
        (["--port", "80.5"], "argument --port: '80.5' is not a whole number"),
        (["--max-sessions", "0"], "argument --max-sessions: 0 is too few: 1 or more"),
        (["--llm-instances", "0"], "argument --llm-instances: 0 is too few"),
        (["--llm-threads", "0"], "argument --llm-threads: 0 is too few"),
        (["--llm-threads-alone", "-1"], "argument --llm-threads-alone: -1 is too few"),
        (["--history-tokens", "-1"], "argument --history-tokens: -1 is negative: 0 or more"),
        (["--idle-timeout", "-1"], "argument --idle-timeout: -1 is too short: more than 0 seconds"),
        (["--idle-timeout", "0"], "argument --idle-timeout: 0 is too short"),
        (["--session-ttl", "0"], "argument --session-ttl: 0 is too short"),
        (["--session-ttl", "inf"], "argument --session-ttl: inf is not a finite number"),
        (["--drain-timeout", "-0.5"], "argument --drain-timeout: -0.5 is negative: 0 seconds or more"),
        (["--drain-timeout", "nan"], "argument --drain-timeout: nan is not a finite number"),
        (["--drain-timeout", "soon"], "argument --drain-timeout: 'soon' is not a number"),
        (["--endpoint", "complete_ms=-3"], "--endpoint complete_ms: -3 is out of range: 0 or more"),
        (["--endpoint", "complete_ms=2.5"], "--endpoint complete_ms: '2.5' is not a whole number"),
        (["--endpoint", "turn_threshold=1.5"], "--endpoint turn_threshold: 1.5 is out of range: 0 to 1"),
        (["--endpoint", "vad_aggressiveness=4"], "--endpoint vad_aggressiveness: 4 is out of range: 0 to 3"),
        (["--endpoint", "max_texts_per_s=0"], "--endpoint max_texts_per_s: 0 is out of range: 1 or more"),
        (["--endpoint", "gate_hold_db=inf"], "--endpoint gate_hold_db: inf is out of range"),
    ],
)
def test_a_bad_number_is_one_line_naming_the_option(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_settings(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and err.startswith("python -m app: error: ") and err.endswith("(see --help)\n")
    assert says in err


def test_every_other_error_is_one_line_too(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--bogus"], ["--certfile", "c.pem"], ["--timezone", "Mars/Olympus"]):
        with pytest.raises(SystemExit):
            parse_settings(argv)
        assert capsys.readouterr().err.count("\n") == 1, argv


def test_the_edges_of_each_range_are_accepted() -> None:
    settings = parse_settings(
        ["--port", "65535", "--max-sessions", "1", "--llm-threads", "1", "--history-tokens", "0",
         "--drain-timeout", "0", "--idle-timeout", "0.5", "--session-ttl", "1",
         "--endpoint", "words_threshold=0", "--endpoint", "vad_aggressiveness=3"]
    )  # fmt: skip
    assert (settings.port, settings.max_sessions, settings.models.llm_instances) == (65535, 1, 1)
    assert (settings.drain_timeout_s, settings.idle_timeout_s, settings.reply.history_tokens) == (0.0, 0.5, 0)
    assert settings.endpoint.words_threshold == 0 and settings.endpoint.vad_aggressiveness == 3
    assert parse_settings(["--port", "0"]).port == 0
    assert parse_settings([]).reply.local_tools and not parse_settings(["--no-local-tools"]).reply.local_tools


def test_a_port_in_use_is_found_by_binding_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError) as problem:
            check_can_listen("127.0.0.1", port)
        assert problem.value.errno == errno.EADDRINUSE
    check_can_listen("127.0.0.1", port)  # free again, and the check holds nothing
    check_can_listen("127.0.0.1", port)


def test_a_port_in_use_is_one_line_before_anything_loads() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # Models that do not exist: had it loaded them first, the error would be about those.
        result = subprocess.run(
            [sys.executable, "-m", "app", "--port", str(port), "--store", "memory://", "--models", "/nonexistent"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"error: port {port} on 127.0.0.1 is already in use (another server running?): "
        "stop it or choose another --port\n"
    )


def test_an_address_not_of_this_machine_is_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--host", "203.0.113.9", "--insecure", "--port", "0", "--store", "memory://"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "error: cannot listen on 203.0.113.9:0: Cannot assign requested address"


def test_the_browser_hint_names_an_address_a_browser_can_open() -> None:
    here = socket.gethostname()
    assert browser_hint("127.0.0.1", 8765, tls=False) == "open http://127.0.0.1:8765/ in a browser"
    assert browser_hint("localhost", 8765, tls=True) == "open https://localhost:8765/ in a browser"
    assert browser_hint("::1", 8765, tls=False) == "open http://[::1]:8765/ in a browser"
    assert browser_hint("0.0.0.0", 8765, tls=False) == (
        f"open http://127.0.0.1:8765/ in a browser (other machines: http://{here}:8765/)"
    )
    assert browser_hint("::", 9000, tls=True).startswith("open https://[::1]:9000/ in a browser (other machines: ")


def test_the_ready_line_is_followed_by_where_to_open_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    async def serve() -> str:
        settings = ServerSettings(host="127.0.0.1", port=0)
        engine = fake_engine()
        task = asyncio.create_task(EdgeServer(settings, engine, MemoryStore(60)).serve_forever())
        out = ""
        try:
            while "in a browser" not in out:
                await asyncio.sleep(0.02)
                out += capsys.readouterr().out
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # serve_forever's own handler: drain and return
            await task
            engine.close()
        return out

    out = asyncio.run(asyncio.wait_for(serve(), 15))
    ready, hint = out.splitlines()[:2]
    port = ready.rsplit(":", 1)[1]
    assert ready == f"edge server ready on ws://127.0.0.1:{port}" and int(port) > 0
    assert hint == f"open http://127.0.0.1:{port}/ in a browser"
