"""The server's health over time: resident memory from ``/proc/<pid>/status`` and ``/info``'s counts."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def read_rss_kb(pid: int) -> int | None:
    """VmRSS of process ``pid`` in kB, or None when it is gone (or not on Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def http_base(url: str) -> str:
    """``ws://host:port/path`` -> ``http://host:port`` (and wss -> https)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{'https' if scheme == 'wss' else 'http'}://{host}"


def fetch_info(url: str, timeout_s: float = 5.0) -> dict[str, Any] | None:
    """The server's ``/info``, or None when it does not answer."""
    try:
        with urllib.request.urlopen(f"{http_base(url)}/info", timeout=timeout_s) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


@dataclass
class Sample:
    t_s: float
    """Seconds since the soak started."""
    rss_kb: int | None
    threads: int | None = None
    tasks: int | None = None
    active_sessions: int | None = None


@dataclass
class Monitor:
    """Samples every ``interval_s`` until stopped; ``pid`` None skips RSS, ``url`` None skips /info."""

    pid: int | None
    url: str | None
    start: float
    """time.monotonic() at the soak start."""
    interval_s: float = 5.0
    samples: list[Sample] = field(default_factory=list)

    def sample(self) -> Sample:
        info = fetch_info(self.url) if self.url else None
        info = info or {}
        s = Sample(round(time.monotonic() - self.start, 2), read_rss_kb(self.pid) if self.pid else None,
                   info.get("threads"), info.get("tasks"), info.get("active_sessions"))
        self.samples.append(s)
        return s

    async def run(self, stop: asyncio.Event) -> None:
        """Sample now, then every interval until ``stop`` is set, then once more."""
        while True:
            await asyncio.to_thread(self.sample)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            except TimeoutError:
                continue
            await asyncio.to_thread(self.sample)
            return
