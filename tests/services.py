"""Real services for tests: redis-server and nginx as subprocesses on free loopback ports."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server") or (
    "/usr/bin/redis-server" if Path("/usr/bin/redis-server").is_file() else None
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.settimeout(0.5)
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A ``redis-server`` subprocess on a fixed port that can be stopped and started again."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        if REDIS_SERVER is None:
            pytest.fail(
                "redis-server is not installed (not on PATH, no /usr/bin/redis-server): the Redis "
                "session store tests need it. Install it: apt-get install redis-server",
                pytrace=False,
            )
        self.binary = REDIS_SERVER
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> None:
        assert self.process is None, "already running"
        self.starts += 1
        log = (self.workdir / f"redis-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *("--dir", str(self.workdir)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while not answers_ping(self.port):
            if self.process.poll() is not None:
                text = (self.workdir / f"redis-{self.starts}.log").read_text(errors="replace")
                self.process = None
                pytest.fail(f"redis-server exited at start:\n{text[-2000:]}", pytrace=False)
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"redis-server did not answer PING on port {self.port} within {timeout_s} s")
            time.sleep(0.02)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # in case a test froze it
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
NGINX_TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"


class Nginx:
    """nginx in the foreground with the sample config from deploy/, pointed at the given nodes."""

    def __init__(self, workdir: Path, upstreams: list[str]) -> None:
        if NGINX is None:
            pytest.fail("nginx is not installed: apt-get install nginx-light", pytrace=False)
        self.workdir = workdir
        self.port = free_port()
        servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=10s;" for u in upstreams)
        config = NGINX_TEMPLATE.read_text()
        config = config.replace("        server 127.0.0.1:8765 max_fails=1 fail_timeout=10s;\n"
                                "        server 127.0.0.1:8766 max_fails=1 fail_timeout=10s;", servers)
        config = config.replace("listen 8080;", f"listen 127.0.0.1:{self.port};")
        config = config.replace("/var/run/edge-voice-nginx.pid", str(workdir / "nginx.pid"))
        config = config.replace("/var/log/nginx/edge-voice", str(workdir / "nginx"))
        self.config = workdir / "nginx.conf"
        self.config.write_text(config)
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (workdir / name).mkdir(exist_ok=True)
        with (workdir / "nginx.out").open("wb") as out:
            self.process = subprocess.Popen(
                [NGINX, "-p", str(workdir), "-c", str(self.config), "-g", "daemon off;"],
                stdout=out, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("nginx did not start:\n" + (workdir / "nginx.out").read_text(errors="replace"))
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
