"""The browser demo's test harness: Debian Chromium driven by Playwright, its page hooks, and the
pytest fixtures both tiers use (registered by tests/conftest.py).

Chromium comes from Debian (/usr/bin/chromium); Playwright never downloads a browser here. Its
fake capture device plays a WAV of the JFK recording into getUserMedia.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
import soxr

from tests.conftest import JFK, REPO

CHROMIUM = Path("/usr/bin/chromium")
WEB_ROOT = REPO / "client" / "web"
CAPTURE_RATE = 48_000
TRAILING_SILENCE_S = 4.0
BASE_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def hooks(page: Any) -> dict[str, Any]:
    """A plain copy of the page's window.edgeVoice test hooks."""
    return page.evaluate("() => JSON.parse(JSON.stringify(window.edgeVoice))")


def wait_until(page: Any, done: Callable[[dict[str, Any]], bool], timeout_s: float, what: str) -> dict[str, Any]:
    """Poll the hooks every 250 ms until ``done`` holds (at most ``timeout_s`` seconds); fail with
    the last hooks seen."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = hooks(page)
        if done(state):
            return state
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}; hooks: {json.dumps(state)[:3000]}")
        page.wait_for_timeout(250)


def launch(playwright: Any, wav: Path | None = None) -> Any:
    """Headless Debian Chromium whose microphone plays ``wav`` (in a loop), if given."""
    args = [*BASE_ARGS, "--autoplay-policy=no-user-gesture-required"]
    if wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={wav}")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)


@pytest.fixture(scope="module")
def jfk_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """JFK as 48 kHz mono PCM16 with trailing silence so the turn ends before Chromium loops it."""
    assert JFK.is_file(), f"shared recording missing: {JFK}"
    audio, rate = soundfile.read(str(JFK), dtype="float32", always_2d=True)
    mono = soxr.resample(audio.mean(axis=1), rate, CAPTURE_RATE)
    padded = np.concatenate([mono, np.zeros(int(TRAILING_SILENCE_S * CAPTURE_RATE), dtype=np.float32)])
    path = tmp_path_factory.mktemp("audio") / "jfk_48k.wav"
    soundfile.write(str(path), padded, CAPTURE_RATE, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """Playwright's sync API, for one test module."""
    # A missing browser is a broken set-up, not a reason to pass: fail loudly.
    if not CHROMIUM.is_file():
        pytest.fail(f"Debian Chromium not installed at {CHROMIUM}: apt-get install chromium "
                    "(scripts/system_deps.sh --tests does it)", pytrace=False)
    from playwright.sync_api import sync_playwright  # imported here: most test runs need no browser

    with sync_playwright() as pw:
        yield pw


@pytest.fixture
def browser(playwright: Any, jfk_wav: Path) -> Iterator[Any]:
    """A fresh Chromium whose microphone says the JFK sentence."""
    b = launch(playwright, jfk_wav)
    yield b
    b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop-sized page that must end without uncaught page errors."""
    p = browser.new_page(viewport=DESKTOP)
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    p.close()
    assert not errors, f"uncaught page errors: {errors}"
