"""The node's own IANA time zone name, for users who did not say theirs."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from app.protocol import is_time_zone


def node_time_zone() -> str:
    """The IANA name of this machine's time zone ("Europe/Paris"), or "" when it has none
    (the tools then use UTC). From TZ, /etc/timezone, or the /etc/localtime link."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    with contextlib.suppress(OSError):
        candidates.append(str(Path("/etc/localtime").resolve()).partition("/zoneinfo/")[2])
    return next((name for name in candidates if name and is_time_zone(name)), "")
