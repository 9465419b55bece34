"""Start a local server (``python -m app --port 0``) for the benchmark, and stop it afterwards."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Self

from client.benchmark.clips import REPO_ROOT

READY = re.compile(r"edge server ready on (wss?://\S+)")
"""The line the server prints on stdout once it accepts connections."""


class SpawnedServer:
    """A server subprocess; its stdout and stderr go to ``log_path``."""

    def __init__(self, process: subprocess.Popen[str], url: str, log_path: Path, log_file: IO[str]) -> None:
        self.process = process
        self.url = url
        self.log_path = log_path
        self._log_file = log_file

    @classmethod
    def start(cls, *extra: str, timeout_s: float = 180.0, log_path: Path | None = None) -> SpawnedServer:
        """Start the server on a free port and wait for its ready line; RuntimeError if it never comes."""
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="edge-voice-bench-server-", suffix=".log")
            os.close(fd)
            log_path = Path(name)
        log_file = log_path.open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--port", "0", *extra],
            cwd=REPO_ROOT, stdout=log_file, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # the ready line must not sit in a buffer
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            match = READY.search(log_path.read_text(errors="replace"))
            if match:
                return cls(process, match.group(1), log_path, log_file)
            if process.poll() is not None:
                break
            time.sleep(0.2)
        process.kill()
        process.wait()
        log_file.close()
        raise RuntimeError(f"server did not start (log {log_path}):\n{log_path.read_text(errors='replace')[-2000:]}")

    @property
    def http(self) -> str:
        """The same node's HTTP base URL (http or https)."""
        return self.url.replace("ws", "http", 1)

    def log(self) -> str:
        """Everything the server has logged so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM, wait up to ``timeout_s`` seconds (then SIGKILL); returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server_for(url: str | None, spawn: bool, say: Callable[[str], None]) -> tuple[SpawnedServer | None, str] | None:
    """The server to measure: the one at ``url``, or (``spawn``) a new one started here and
    announced through ``say``. None, after saying why, when it would not start."""
    if not spawn:
        assert url is not None
        return None, url
    say("starting the server ...")
    try:
        server = SpawnedServer.start()
    except RuntimeError as exc:
        say(f"error: {exc}")
        return None
    say(f"server ready on {server.url} (log: {server.log_path})")
    return server, server.url
