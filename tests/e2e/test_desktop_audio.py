"""The desktop client on REAL audio devices: PortAudio -> ALSA pulse plugin -> a private PulseAudio.

Each test starts its own PulseAudio daemon with a virtual speaker (null sink ``spk``, recorded from
``spk.monitor`` with ``parec``) and a virtual microphone (pipe source ``mic`` fed from a FIFO at
real-time pace), runs ``python -m client --plain`` against the real server, talks into the FIFO
and listens to what the client played.

Timing: the FIFO writer stamps every 20 ms chunk with the monotonic time it was written, and the
recorder maps speaker samples to monotonic time from parec's delivery times (the lower envelope of
"arrival time minus samples so far", so a speaker sample is never dated earlier than it sounded).
The barge-in reaction is measured from the write time of the chunk holding the new speech's onset
to the last reply sample heard on the speaker; both clocks are the test process's, and the
estimate errs on the late side.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from app.models import DEFAULT_MODELS_DIR
from app.stages.stt import WhisperStt
from client.audio_files import read_mono
from tests.conftest import REPO, SHARED_AUDIO, ServerProcess, start_server

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True, scope="module")
def _virtual_audio_tools() -> None:
    # A missing sound server is a broken set-up, not a reason to pass: fail loudly.
    missing = [tool for tool in ("pulseaudio", "parec", "pactl") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: apt-get install pulseaudio pulseaudio-utils "
                    "libasound2-plugins (scripts/system_deps.sh --tests does it)", pytrace=False)

RATE = 16_000
CHUNK = 320  # 20 ms
HOTWORDS = SHARED_AUDIO / "hotwords.mp3"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def onset_index(samples: np.ndarray, threshold: float = 500.0) -> int:
    """First sample of the first 10 ms window whose RMS exceeds ``threshold`` (int16 units)."""
    x = samples.astype(np.float64)
    for i in range(0, x.shape[0] - 160, 160):
        if np.sqrt(np.mean(x[i : i + 160] ** 2)) > threshold:
            return i
    raise AssertionError("no speech onset found")


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


@pytest.fixture(scope="module")
def jfk16() -> np.ndarray:
    return read_mono(SHARED_AUDIO / "jfk.flac", RATE)


@pytest.fixture(scope="module")
def hotwords16() -> np.ndarray:
    return read_mono(HOTWORDS, RATE)


@pytest.fixture(scope="module")
def stt() -> WhisperStt:
    return WhisperStt(DEFAULT_MODELS_DIR / "stt" / "tiny.en")


def _quiet(n_seconds: float) -> np.ndarray:
    return np.zeros(int(n_seconds * RATE), dtype=np.int16)


# --------------------------------------------------------------------------- tests


def test_reply_is_played_on_the_speaker(server: ServerProcess, rig: Rig, jfk16: np.ndarray, stt: WhisperStt) -> None:
    client = rig.start(server.url, client_args=("--verbose",))
    rig.feeder.say(np.concatenate([_quiet(0.5), jfk16]))
    # The recording pauses mid-sentence: a reply to its first half may start and be withdrawn
    # when the user goes on (a merge); the reply that plays to its end is the one to hear.
    _, played = client.wait_for(r"^played turn (\d+): (\d+) ms", timeout=120)
    turn = played.group(1)
    _, reply = client.wait_for(r"^assistant: (.+)", timeout=30)
    time.sleep(0.3)
    assert client.interrupt() == 0, client.transcript()

    audio = rig.recorder.samples()
    loud = np.flatnonzero(np.abs(audio) > 300)
    assert loud.shape[0] > RATE // 2, "the speaker played (almost) nothing"
    speech = audio[max(0, loud[0] - RATE // 4) : loud[-1] + RATE // 4]
    heard = stt.transcribe(speech, window_s=None).text
    heard_words, reply_words = set(words(heard)), words(reply.group(1))
    overlap = sum(w in heard_words for w in reply_words) / max(1, len(reply_words))
    print(f"speaker: {heard!r}; reply: {reply.group(1)!r}; overlap {overlap:.0%}")
    assert overlap >= 0.5, f"speaker said {heard!r}, reply was {reply.group(1)!r}"
    assert not client.matching(rf"^barge-in: turn {turn} "), client.transcript()  # its own echo did not stop it
    # Underruns are counted and reported (on this 2-core box the server may fall behind real time).
    assert client.matching(r"^stats: .*underruns=\d+"), client.transcript()
    _assert_quiet_stderr(client)


def _long_reply(rig: Rig, question: np.ndarray, play_for_s: float, attempts: int = 3) -> tuple[float, str]:
    """Ask until a reply is still playing ``play_for_s`` after it started (LLM replies vary in
    length); returns when that is, and the turn."""
    client = rig.client
    assert client is not None and rig.feeder is not None
    after = 0.0
    for _ in range(attempts):
        rig.feeder.say(np.concatenate([_quiet(0.3), question]))
        t_play, played = client.wait_for(r"^playing turn (\d+)", timeout=90, after=after)
        turn = played.group(1)
        deadline = t_play + play_for_s
        while time.monotonic() < deadline and not client.matching(rf"^played turn {turn}:"):
            time.sleep(0.02)
        if not client.matching(rf"^played turn {turn}:"):
            return t_play, turn
        client.wait_for(r"^state: listening", timeout=30, after=time.monotonic() - 0.5)
        after = time.monotonic()
    raise AssertionError(f"no reply lasted {play_for_s} s in {attempts} tries:\n{client.transcript()}")




@pytest.mark.parametrize("echo", [False, True], ids=["dry", "with-echo"])
def test_barge_in_stops_the_reply_promptly(server: ServerProcess, rig: Rig, jfk16: np.ndarray,
                                                 hotwords16: np.ndarray, echo: bool) -> None:
    client = rig.start(server.url, loopback_delay_s=0.1 if echo else None)
    # Talk over the reply once it has played a while (and the echo path is learnt).
    _, turn = _long_reply(rig, jfk16, play_for_s=1.3)
    onset = onset_index(hotwords16)
    clip = rig.feeder.say(hotwords16)
    _, barge = client.wait_for(rf"^barge-in: turn {turn} stopped after (\d+) ms played", timeout=10)
    _, heard = client.wait_for(rf"^interrupted turn {turn} heard: ?(.*)$", timeout=10)
    _, generated = client.wait_for(rf"^interrupted turn {turn} generated: ?(.*)$", timeout=10)
    time.sleep(1.0)  # let the recorder catch the tail

    assert clip.started_at is not None
    t_onset = clip.started_at + (onset // CHUNK) * CHUNK / RATE  # write time of the chunk holding the onset
    window = rig.recorder.window(t_onset - 1.0, int(3.5 * RATE)).astype(np.float64)
    assert np.sqrt(np.mean(window[: RATE // 2] ** 2)) > 100, "the reply was not sounding before the new speech"
    loud = np.flatnonzero(np.abs(window) > 100)
    last_reply_sample = t_onset - 1.0 + loud[-1] / RATE
    reaction_ms = 1000 * (last_reply_sample - t_onset)
    print(f"barge-in reaction (speaker, echo={echo}): {reaction_ms:.0f} ms; client: {barge.group(0)}")
    print(client.stdout())
    (rig.tmp.parent / f"reaction-{'echo' if echo else 'dry'}.txt").write_text(f"{reaction_ms:.1f}\n")
    # A wall-clock figure on a shared machine: it is printed and recorded above (typically ~200 ms);
    # the bound only says the reply stopped because of the barge-in, not at its natural end.
    assert reaction_ms <= 600, f"reply still sounded {reaction_ms:.0f} ms after the onset"

    heard_words, all_words = words(heard.group(1)), words(generated.group(1))
    assert all_words, client.transcript()
    assert len(heard_words) < len(all_words) and all_words[: len(heard_words)] == heard_words, (heard_words, all_words)
    assert int(barge.group(1)) > 1000  # it played ~1.3 s before the interruption
    assert client.interrupt() == 0, client.transcript()
    print(client.stdout())


def test_own_echo_never_interrupts_or_reaches_the_server(server: ServerProcess, rig: Rig, jfk16: np.ndarray) -> None:
    client = rig.start(server.url, loopback_delay_s=0.1, loopback_db=-15.0, noise_dbfs=-55.0,
                       client_args=("--verbose",))
    rig.feeder.say(np.concatenate([_quiet(0.5), jfk16]))
    _, first = client.wait_for(r"^you: (.+)", timeout=90)
    _, played = client.wait_for(r"^playing turn (\d+)", timeout=90)
    turn = played.group(1)
    client.wait_for(rf"^played turn {turn}: (\d+) ms", timeout=90)
    time.sleep(3.0)  # anything the server would have heard of the echo would be transcribed by now
    assert client.interrupt() == 0, client.transcript()

    assert rig.feeder is not None
    echo_dbfs = 10 * np.log10(max(rig.feeder.echo_power) / 32768**2)
    assert echo_dbfs > -45, f"the loopback fed no echo into the mic ({echo_dbfs:.0f} dBFS)"
    false_barge_ins = client.matching(r"^barge-in:")
    print(f"false barge-ins: {len(false_barge_ins)}; loudest echo chunk {echo_dbfs:.0f} dBFS")
    assert not false_barge_ins, client.transcript()
    assert not client.matching(r"^paused turn"), "the echo made the reply pause:\n" + client.transcript()
    assert not client.matching(r"^interrupted turn"), client.transcript()
    later = [line for line in client.matching(r"^you: ") if line != f"you: {first.group(1)}"]
    assert not later, f"the server transcribed the assistant's own voice: {later}\n{client.transcript()}"
    print(client.stdout())
    stats = client.matching(r"^stats: ")
    assert stats and "echo_delay_ms=unknown" not in stats[-1], client.transcript()


class FlakyServer:
    """A stub edge server on a thread: the first session drops after a moment, the next few
    connections are refused, then it accepts again. It records when each connection came."""

    def __init__(self, refuse: int = 3) -> None:
        import asyncio

        self.attempts: list[float] = []
        self.hellos: list = []
        self._refuse = refuse
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.url = ""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _run(self) -> None:
        import asyncio

        from websockets.asyncio.server import serve

        from app import protocol as p

        async def handler(ws) -> None:
            n = len(self.attempts)
            self.attempts.append(time.monotonic())
            hello = p.decode_client_message(await ws.recv())
            assert isinstance(hello, p.Hello)
            self.hellos.append(hello)
            if 0 < n <= self._refuse:
                await ws.close(1013, "try again later")
                return
            resumed = hello.session_id is not None
            ready = p.Ready(session_id=hello.session_id or f"stub{n}", input={"sample_rate": 16000, "frame_ms": 20},
                            output={"sample_rate": 22050, "channels": 1, "encoding": "pcm_s16le"}, pipeline="fast",
                            resumed=resumed)
            await ws.send(ready.encode())
            async def swallow() -> None:  # read the audio, or the close handshake stalls
                async for _ in ws:
                    pass

            reader = asyncio.create_task(swallow())
            if n == 0:
                await asyncio.sleep(1.0)
                await ws.close(1011, "going down")
            await asyncio.gather(reader, return_exceptions=True)

        async def main() -> None:
            self._stop = asyncio.Event()
            async with serve(handler, "127.0.0.1", 0) as server:
                port = next(iter(server.sockets)).getsockname()[1]
                self.url = f"ws://127.0.0.1:{port}"
                self._ready.set()
                await self._stop.wait()

        self._loop.run_until_complete(main())
        self._loop.close()

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def test_dropped_connection_reconnects_with_exponential_backoff(rig: Rig) -> None:
    stub = FlakyServer(refuse=3)
    try:
        client = rig.start(stub.url)
        client.wait_for(r"^disconnected: connection lost", timeout=10)
        client.wait_for(r"^connected: session stub0, .*\(conversation resumed\)", timeout=30)
        assert len(stub.attempts) == 5
        # Every reconnect asked to resume the first session (its history).
        assert [h.session_id for h in stub.hellos] == [None] + ["stub0"] * 4
        gaps = np.diff(stub.attempts[1:])  # between the retries after the drop
        print(f"retry gaps: {np.round(gaps, 2)}")
        for gap, expected in zip(gaps, [1.0, 2.0, 4.0], strict=False):
            assert expected * 0.9 <= gap <= expected + 1.0, gaps
        # One line for the drop and one for the first refusal; the same refusal again stays quiet.
        lines = client.matching(r"^disconnected: ")
        delays = [re.search(r"reconnecting in ([\d.]+) s", line).group(1) for line in lines]
        assert delays == ["0.5", "1.0"], lines
        assert client.interrupt() == 0, client.transcript()
    finally:
        stub.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_quiet_stderr(client: ClientProcess) -> None:
    """No ALSA chatter and no nanobind leak report: the client's stderr holds nothing of them."""
    stderr = client.log_path.read_text(errors="replace")
    assert "ALSA lib" not in stderr and "nanobind" not in stderr, stderr[-3000:]


def test_no_node_prints_one_hint_and_keeps_retrying_quietly(rig: Rig) -> None:
    url = f"ws://127.0.0.1:{_free_port()}"
    client = rig.start(url, wait_connected=False)
    client.wait_for(rf"^no node answers at {re.escape(url)} \(connection refused\); scripts/serve\.sh starts one",
                    timeout=30)
    time.sleep(4.0)  # retries after 0.5, 1 and 2 s
    assert len(client.matching(r"^no node answers")) == 1, client.transcript()
    assert not client.matching(r"^disconnected: "), client.transcript()
    assert client.interrupt() == 0, client.transcript()
    assert not client.matching(r"^stats: "), "developer statistics without --verbose"
    _assert_quiet_stderr(client)


def _ask(rig: Rig, question: np.ndarray) -> int:
    """Say ``question``; the number of the turn whose reply then played to its end, after the
    state went speaking for it and came back to listening."""
    client = rig.client
    assert client is not None and rig.feeder is not None
    asked = time.monotonic()
    rig.feeder.say(np.concatenate([_quiet(0.3), question]))
    t_play, playing = client.wait_for(r"^playing turn (\d+)$", timeout=120, after=asked)
    turn = int(playing.group(1))
    client.wait_for(r"^state: speaking$", timeout=5, after=t_play - 1.0)
    t_done, _ = client.wait_for(rf"^played turn {turn}: \d+ ms", timeout=60, after=t_play)
    client.wait_for(r"^state: listening$", timeout=5, after=t_done - 1.0)
    time.sleep(0.5)
    return turn


def test_a_restarted_server_resumes_the_conversation_and_the_state_follows(
        rig: Rig, jfk16: np.ndarray, tmp_path: Path) -> None:
    # Its own node, killed and restarted on the same port with the same store.
    store = ("--store", f"sqlite:///{tmp_path / 'sessions.db'}")
    node = start_server(tmp_path / "node-1.log", *store)
    port = node.url.rsplit(":", 1)[1]
    question = jfk16[int(3.8 * RATE) : int(8.5 * RATE)]  # "ask not what your country can do for you"
    try:
        client = rig.start(node.url)
        # Two turns, so the restarted node's turn ids (from 1 again) meet ids already played.
        before = [_ask(rig, question) for _ in range(2)]
        killed = time.monotonic()
        node.process.kill()
        node.stop()
        client.wait_for(r"^disconnected: connection lost", timeout=15, after=killed)
        node = start_server(tmp_path / "node-2.log", *store, "--port", port)
        t_back, _ = client.wait_for(r"^connected: session .*\(conversation resumed\)$", timeout=30, after=killed)
        client.wait_for(r"^state: listening$", timeout=5, after=t_back - 0.5)
        after = [_ask(rig, question) for _ in range(2)]
        assert client.interrupt() == 0, client.transcript()
    finally:
        node.stop()
    print(client.stdout())
    assert len(set(before + after)) == 4, f"turn rows reused: {before} then {after}"
    assert len(client.matching(r"^no node answers at ")) <= 1, client.transcript()
    assert not client.matching(r"rate_limited"), client.transcript()
    assert not client.matching(r"^stats: "), client.transcript()
    _assert_quiet_stderr(client)


def test_push_to_talk_sends_only_while_talking_and_commits_on_release(server: ServerProcess, rig: Rig,
                                                                        jfk16: np.ndarray) -> None:
    client = rig.start(server.url, client_args=("--push-to-talk",))
    phrase = jfk16[int(3.8 * RATE) : int(8.5 * RATE)]  # "ask not what your country can do for you"
    done = rig.feeder.say(phrase)
    assert done.done is not None and done.done.wait(10)
    time.sleep(2.0)
    assert not client.matching(r"^you: "), "the mic was sent while not talking"
    client.press_enter()
    client.wait_for(r"^talking", timeout=5)
    done = rig.feeder.say(phrase)
    assert done.done is not None and done.done.wait(10)
    t_release = time.monotonic()
    client.press_enter()  # release: commit, no waiting for the silence endpoint
    t_you, you = client.wait_for(r"^you: (.+)", timeout=30)
    assert "country" in you.group(1).lower()
    client.wait_for(r"^playing turn", timeout=60)
    print(f"push-to-talk: transcript {1000 * (t_you - t_release):.0f} ms after release")
    assert client.interrupt() == 0, client.transcript()
