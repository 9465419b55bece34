"""The shipped load balancer config (deploy/nginx.conf) in a real nginx, with no node behind it.

Two real nodes behind it are an end-to-end test: tests/e2e/test_multinode.py.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.services import Nginx, free_port


def test_the_shipped_nginx_config_never_logs_a_token_from_the_query(tmp_path: Path) -> None:
    lb = Nginx(tmp_path, [f"127.0.0.1:{free_port()}"])  # no node behind it: 502, and a log line all the same
    try:
        url = f"http://127.0.0.1:{lb.port}/?token=secret-token-0123456789"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url, timeout=10)
        log = tmp_path / "nginx-access.log"
        deadline = time.monotonic() + 5
        while not (log.exists() and log.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        text = log.read_text()
        assert '"GET / HTTP/1.1" 502' in text and "secret-token" not in text and "token=" not in text
    finally:
        lb.stop()
