"""The desktop client on REAL audio devices: PortAudio -> ALSA pulse plugin -> a private PulseAudio.

The ``rig`` fixture (registered by tests/conftest.py) starts its own PulseAudio daemon with a
virtual speaker (null sink ``spk``, recorded from ``spk.monitor`` with ``parec``) and a virtual
microphone (pipe source ``mic`` fed from a FIFO at real-time pace), runs ``python -m client
--plain`` against a node, talks into the FIFO and listens to what the client played.

Timing: the FIFO writer stamps every 20 ms chunk with the monotonic time it was written, and the
recorder maps speaker samples to monotonic time from parec's delivery times (the lower envelope of
"arrival time minus samples so far", so a speaker sample is never dated earlier than it sounded).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO

RATE = 16_000
CHUNK = 320  # 20 ms


def require_audio_tools() -> None:
    """Fail (not skip) when the PulseAudio tools the rig drives are missing."""
    # A missing sound server is a broken set-up, not a reason to pass: fail loudly.
    missing = [tool for tool in ("pulseaudio", "parec", "pactl") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: apt-get install pulseaudio pulseaudio-utils "
                    "libasound2-plugins (scripts/system_deps.sh --tests does it)", pytrace=False)


def quiet(n_seconds: float) -> np.ndarray:
    """``n_seconds`` of 16 kHz int16 silence."""
    return np.zeros(int(n_seconds * RATE), dtype=np.int16)


# --------------------------------------------------------------------------- PulseAudio


class PulseAudio:
    """A private PulseAudio daemon with a null-sink speaker and a FIFO-fed microphone."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fifo = root / "mic.fifo"
        runtime = root / "runtime"
        home = root / "home"
        runtime.mkdir(mode=0o700)
        home.mkdir()
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(home),
                    "PULSE_RUNTIME_PATH": str(runtime / "pulse")}
        self.env.pop("PULSE_SERVER", None)
        self._pid_file = runtime / "pulse" / "pid"

    def pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, timeout=15, check=False)
        assert done.returncode == 0, f"pactl {' '.join(args)}: {done.stderr}"
        return done.stdout

    def start(self) -> None:
        subprocess.run(
            ["pulseaudio", "--daemonize=yes", "--system=false", "--exit-idle-time=-1", "--disallow-exit", "-n",
             "--load=module-native-protocol-unix", "--log-target=file:" + str(self.root / "pulse.log")],
            env=self.env, check=True, timeout=30, capture_output=True,
        )
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True, timeout=10,
                             check=False).returncode != 0:
            assert time.monotonic() < deadline, "PulseAudio did not come up"
            time.sleep(0.1)
        self.pactl("load-module", "module-null-sink", "sink_name=spk", "rate=48000")
        self.pactl("load-module", "module-pipe-source", "source_name=mic", f"file={self.fifo}",
                   "format=s16le", f"rate={RATE}", "channels=1")
        self.pactl("set-default-source", "mic")
        self.pactl("set-default-sink", "spk")

    def stop(self) -> None:
        pid = None
        if self._pid_file.exists():
            pid = int(self._pid_file.read_text().split()[0])
        subprocess.run(["pactl", "exit"], env=self.env, capture_output=True, timeout=15, check=False)
        if pid is None:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- speaker recorder


class SpeakerRecorder:
    """Records ``spk.monitor`` at 16 kHz with parec and dates every sample."""

    def __init__(self, env: dict[str, str], max_seconds: float = 300.0) -> None:
        self._proc = subprocess.Popen(
            ["parec", "-d", "spk.monitor", f"--rate={RATE}", "--channels=1", "--format=s16le", "--raw",
             "--latency-msec=10"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self._buf = np.zeros(int(max_seconds * RATE), dtype=np.int16)
        self._count = 0
        self.late = 0
        self.started_at = time.monotonic()
        self._origin: float | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        odd = b""
        while True:
            data = self._proc.stdout.read1(4096)
            if not data:
                return
            now = time.monotonic()
            data, odd = odd + data, b""
            if len(data) % 2:
                data, odd = data[:-1], data[-1:]
            x = np.frombuffer(data, dtype="<i2")
            with self._lock:
                n = min(x.shape[0], self._buf.shape[0] - self._count)
                self._buf[self._count : self._count + n] = x[:n]
                self._count += x.shape[0]
                origin = now - self._count / RATE
                self._origin = origin if self._origin is None else min(self._origin, origin)

    def samples(self) -> np.ndarray:
        with self._lock:
            return self._buf[: min(self._count, self._buf.shape[0])].copy()

    def index_at(self, t: float) -> int:
        assert self._origin is not None, "nothing recorded yet"
        return round((t - self._origin) * RATE)

    def window(self, t0: float, n: int) -> np.ndarray:
        """``n`` speaker samples from monotonic time ``t0`` (zeros where not recorded)."""
        with self._lock:
            if self._origin is None:
                return np.zeros(n, dtype=np.int16)
            a = round((t0 - self._origin) * RATE)
        return self.at_index(a, n)

    def at_index(self, a: int, n: int) -> np.ndarray:
        """``n`` speaker samples from sample index ``a`` (zeros where not recorded)."""
        out = np.zeros(n, dtype=np.int16)
        with self._lock:
            if a + n > self._count:
                self.late += 1  # asked for audio parec has not delivered yet
            lo, hi = max(a, 0), min(a + n, self._count, self._buf.shape[0])
            if hi > lo:
                out[lo - a : hi - a] = self._buf[lo:hi]
        return out

    @property
    def started(self) -> bool:
        return self._origin is not None

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._thread.join(5)
        if self._proc.stdout is not None:
            self._proc.stdout.close()


# --------------------------------------------------------------------------- microphone feeder


@dataclass
class Scheduled:
    samples: np.ndarray
    started_at: float | None = None
    """Monotonic write time of its first chunk."""
    done: threading.Event | None = None


class MicFeeder:
    """Writes the virtual mic's FIFO at real-time pace: silence, scheduled clips, and optionally the
    speaker's own output fed back (delayed, attenuated, with noise) as if from a loudspeaker.

    ``loopback(k, t_k)`` returns the echo for chunk ``k``, scheduled at monotonic ``t_k``."""

    def __init__(self, fifo: Path, loopback: Callable[[int, float], np.ndarray] | None = None,
                 noise_dbfs: float | None = None, seed: int = 0) -> None:
        self._fd = os.open(fifo, os.O_WRONLY)
        self._loopback = loopback
        self._noise = 32768 * 10 ** (noise_dbfs / 20) if noise_dbfs is not None else 0.0
        self._rng = np.random.default_rng(seed)
        self._queue: list[Scheduled] = []
        self._current: Scheduled | None = None
        self._pos = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.echo_power: list[float] = []
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def say(self, samples: np.ndarray) -> Scheduled:
        item = Scheduled(samples.astype(np.int16), done=threading.Event())
        with self._lock:
            self._queue.append(item)
        return item

    def _run(self) -> None:
        start = time.monotonic()
        k = 0
        while not self._stop.is_set():
            t = time.monotonic()
            chunk = np.zeros(CHUNK, dtype=np.float64)
            with self._lock:
                if self._current is None and self._queue:
                    self._current, self._pos = self._queue.pop(0), 0
                    self._current.started_at = t
                current = self._current
            if current is not None:
                piece = current.samples[self._pos : self._pos + CHUNK]
                chunk[: piece.shape[0]] += piece
                self._pos += CHUNK
                if self._pos >= current.samples.shape[0]:
                    assert current.done is not None
                    current.done.set()
                    with self._lock:
                        self._current = None
            if self._loopback is not None and self.error is None:
                try:
                    echo = self._loopback(k, start + k * CHUNK / RATE).astype(np.float64)
                    chunk += echo
                    self.echo_power.append(float(np.mean(echo**2)))
                except Exception as exc:  # reported by stop(); keep the mic flowing
                    self.error = exc
            if self._noise:
                chunk += self._rng.standard_normal(CHUNK) * self._noise
            try:
                os.write(self._fd, np.clip(chunk, -32768, 32767).astype("<i2").tobytes())
            except OSError:
                return
            k += 1
            time.sleep(max(0.0, start + k * CHUNK / RATE - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self._fd)
        if self.error is not None:
            raise AssertionError(f"the mic feeder failed: {self.error!r}") from self.error


# --------------------------------------------------------------------------- the client process


class ClientProcess:
    """``python -m client --plain`` with its stdout lines time-stamped."""

    def __init__(self, url: str, env: dict[str, str], log_path: Path, *extra: str) -> None:
        self._log = log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "client", "--server", url, "--plain", *extra],
            cwd=REPO, env={**env, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        self.log_path = log_path

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float, after: float = 0.0) -> tuple[float, re.Match[str]]:
        """The first line (received after monotonic ``after``) matching ``pattern``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, line in self.lines:
                    m = regex.search(line)
                    if m and t >= after:
                        return t, m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._thread.is_alive()):
                    raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{self.transcript()}")
                self._cond.wait(min(left, 0.2))

    def matching(self, pattern: str) -> list[str]:
        regex = re.compile(pattern)
        with self._cond:
            return [line for _, line in self.lines if regex.search(line)]

    def stdout(self) -> str:
        with self._cond:
            return "\n".join(line for _, line in self.lines)

    def transcript(self) -> str:
        stderr = "\n".join(line for line in self.log_path.read_text(errors="replace").splitlines()
                           if "snd_pcm_recover" not in line)  # ALSA's own underrun chatter
        return self.stdout() + "\n--- stderr ---\n" + stderr[-3000:]

    def press_enter(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def interrupt(self, timeout: float = 15.0) -> int:
        """Ctrl-C, and wait for a clean exit (-999: it had to be killed)."""
        killed = False
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                killed = True
        self._thread.join(5)
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()
        if not self._log.closed:
            self._log.close()
        return -999 if killed else self.proc.returncode


# --------------------------------------------------------------------------- fixtures


@dataclass
class Rig:
    pulse: PulseAudio
    recorder: SpeakerRecorder
    tmp: Path
    feeder: MicFeeder | None = None
    client: ClientProcess | None = None

    def start(self, url: str, *, wait_connected: bool = True, loopback_delay_s: float | None = None,
              loopback_db: float = -15.0, noise_dbfs: float | None = -60.0,
              client_args: tuple[str, ...] = ()) -> ClientProcess:
        """Run the client against ``url``, then feed its mic: noise at ``noise_dbfs`` and, with
        ``loopback_delay_s`` (seconds), the speaker's output ``loopback_db`` dB down as an echo."""
        loopback = None
        if loopback_delay_s is not None:
            gain = 10 ** (loopback_db / 20)
            lag: list[int] = []

            def loopback(k: int, t_k: float) -> np.ndarray:
                # Sample-locked: mic sample j echoes speaker sample j + lag, a fixed delay (as in a
                # room), fixed from the clocks once the recorder runs.
                if not self.recorder.started:
                    return np.zeros(CHUNK)
                if not lag:
                    lag.append(self.recorder.index_at(t_k - loopback_delay_s) - k * CHUNK)
                return self.recorder.at_index(k * CHUNK + lag[0], CHUNK) * gain

        # The client first: until it records, the pipe source does not read the FIFO, and a backlog
        # written meanwhile would reach the client as one burst.
        self.client = ClientProcess(url, self.pulse.env, self.tmp / "client.log", *client_args)
        if wait_connected:
            self.client.wait_for(r"^connected: ", timeout=60)
        self.feeder = MicFeeder(self.pulse.fifo, loopback, noise_dbfs)
        time.sleep(1.0)  # the mic settles (noise floor) before anyone talks
        return self.client


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    """A private PulseAudio with its speaker recorded; ``rig.start(url)`` runs the client on it."""
    require_audio_tools()
    pulse = PulseAudio(tmp_path)
    rig: Rig | None = None
    try:
        pulse.start()
        rig = Rig(pulse, SpeakerRecorder(pulse.env), tmp_path)
        yield rig
    finally:
        # Everything stops even if something else fails: the client first (its mic stream wants the
        # FIFO writer alive to stop cleanly), then the writer, the recorder and the daemon.
        with contextlib.ExitStack() as stack:
            stack.callback(pulse.stop)
            if rig is not None:
                stack.callback(rig.recorder.stop)
                if rig.feeder is not None:
                    stack.callback(rig.feeder.stop)
                if rig.client is not None:
                    stack.callback(rig.client.interrupt)


def assert_quiet_stderr(client: ClientProcess) -> None:
    """No ALSA chatter and no nanobind leak report: the client's stderr holds nothing of them."""
    stderr = client.log_path.read_text(errors="replace")
    assert "ALSA lib" not in stderr and "nanobind" not in stderr, stderr[-3000:]
