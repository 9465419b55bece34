"""Shared fixtures: the real edge server as a subprocess, and the shared recordings; the browser
(tests/browser.py) and the desktop client's PulseAudio rig (tests/desktop_rig.py), which the
integration and end-to-end tiers both drive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from client.benchmark.spawn import SpawnedServer as ServerProcess

REPO = Path(__file__).resolve().parent.parent
SHARED_AUDIO = REPO.parent / "shared" / "audio"
JFK = SHARED_AUDIO / "jfk.flac"

# Their fixtures (browser, page, jfk_wav; rig) for every tier; playwright is imported only when a browser starts.
pytest_plugins = ("tests.browser", "tests.desktop_rig")


def start_server(log_path: Path, *extra: str, timeout: float = 120.0) -> ServerProcess:
    """Start the real server (real models) on a free port and wait until it is ready."""
    return ServerProcess.start(*extra, timeout_s=timeout, log_path=log_path)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server shared by the end-to-end tests of a run."""
    directory = tmp_path_factory.mktemp("server")
    # Tests open several sessions in a row and some at once: admit more than a node's default.
    srv = start_server(directory / "server.log", "--store", f"sqlite:///{directory / 'sessions.db'}",
                       "--max-sessions", "8", "--llm-instances", "2")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def jfk() -> Path:
    assert JFK.is_file(), f"shared recording missing: {JFK}"
    return JFK
