"""Shared fixtures: the real edge server as a subprocess, and the shared recordings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_AUDIO = REPO.parent / "shared" / "audio"
JFK = SHARED_AUDIO / "jfk.flac"
READY = re.compile(r"edge server ready on (wss?://\S+)")


@dataclass
class ServerProcess:
    """A running `python -m app` on a free port."""

    process: subprocess.Popen[str]
    url: str
    log_path: Path
    log_file: IO[str]

    @property
    def http(self) -> str:
        return self.url.replace("ws", "http", 1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        return self.process.returncode


def start_server(log_path: Path, *extra: str, timeout: float = 120.0) -> ServerProcess:
    """Start the real server (real models) on a free port and wait until it is ready."""
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", "0", *extra],
        cwd=REPO,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = READY.search(log_path.read_text(errors="replace"))
        if match:
            return ServerProcess(process, match.group(1), log_path, log_file)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    process.wait()
    log_file.close()
    raise RuntimeError(f"server did not start:\n{log_path.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server shared by the end-to-end tests of a run."""
    directory = tmp_path_factory.mktemp("server")
    srv = start_server(directory / "server.log", "--store", f"sqlite:///{directory / 'sessions.db'}")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def jfk() -> Path:
    assert JFK.is_file(), f"shared recording missing: {JFK}"
    return JFK
