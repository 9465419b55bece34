"""The live client's orchestration after a reconnect, with scripted sessions and no audio devices:
the state follows the new connection, turn ids that restart do not confuse playback, and audio
captured before a session was ready is never sent as a burst. Also what it leaves at exit: no
ALSA chatter on stderr, no soxr objects alive (nanobind's leak report)."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import io
import subprocess
import sys
import time
from collections import deque
from collections.abc import AsyncIterator

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosedError

from app import protocol as p
from client.alsa_messages import alsa_log
from client.audio_io import AudioIO
from client.connection import AudioIn, ClientSession, RealTimePacer
from client.jitter import JitterBuffer
from client.live import LiveClient, LiveConfig
from client.live_state import SessionState
from client.mic_pipeline import MicPipeline
from client.playback_resampler import PlaybackResampler
from client.ui import PlainUi
from tests.conftest import REPO

RATE = 16_000


class FakeAudio(AudioIO):
    """AudioIO's playback logic (jitter buffer, resampler, per-connection reset) without PortAudio;
    the test pulls the output itself, as the device callback would."""

    def __init__(self) -> None:
        self.in_rate = self.out_rate = self.reply_rate = RATE
        self.jitter: JitterBuffer | None = None
        self.resampler: PlaybackResampler | None = None
        self.played = deque(maxlen=2000)
        self.output_underflows = self.input_overflows = 0

    def start_output(self, reply_rate: int) -> bool:
        if self.jitter is not None:
            return False
        self.jitter = JitterBuffer(RATE, prebuffer_ms=20)
        self.resampler = PlaybackResampler(RATE, RATE)
        return True

    def close(self) -> None:
        self.resampler = None

    def play_out(self) -> None:
        assert self.jitter is not None
        for _ in range(100):
            self.jitter.pull(160)


class FakeSession:
    """A connection that delivers ``script`` and then drops (or stays open)."""

    def __init__(self, script: list[p.Message | AudioIn], *, resumed: bool, drop: bool) -> None:
        self.ready = p.Ready(session_id="s1", output={"sample_rate": RATE}, resumed=resumed)
        self.output_rate = RATE
        self.script = script
        self.drop = drop
        self.delivered = asyncio.Event()
        self.audio_sent = 0

    async def events(self) -> AsyncIterator[p.Message | AudioIn]:
        for event in self.script:
            yield event
        self.delivered.set()
        if self.drop:
            raise ConnectionClosedError(None, None)
        await asyncio.Event().wait()

    async def send_audio(self, samples: np.ndarray) -> None:
        self.audio_sent += 1

    async def send(self, message: p.Message) -> None: ...

    async def close(self) -> None: ...


def one_turn(turn_id: int) -> list[p.Message | AudioIn]:
    return [
        p.SpeechStarted(at_ms=0.0),
        p.SpeechStopped(at_ms=20.0, turn_id=turn_id),
        p.Transcript(turn_id=turn_id, text="what time is it"),
        AudioIn(turn_id, 0, np.full(3200, 1000, dtype=np.int16)),
        p.ReplyDone(turn_id=turn_id, text="It is noon."),
    ]


def make_client(out: io.StringIO) -> tuple[LiveClient, FakeAudio]:
    client = LiveClient(
        LiveConfig(url="ws://stub", plain=True, backoff_min_s=0.01, backoff_max_s=0.01), ui=PlainUi(out)
    )
    audio = FakeAudio()
    client.audio, client.pipeline = audio, MicPipeline(RATE)
    return client, audio


def test_after_a_reconnect_the_state_follows_the_reply_whose_turn_id_comes_again(monkeypatch) -> None:
    out = io.StringIO()
    client, audio = make_client(out)
    sessions = [FakeSession(one_turn(2), resumed=False, drop=True), FakeSession(one_turn(2), resumed=True, drop=False)]
    opened = list(sessions)

    async def fake_open(cls, url: str, **kwargs) -> FakeSession:
        return opened.pop(0)

    monkeypatch.setattr(ClientSession, "open", classmethod(fake_open))

    async def scenario() -> None:
        loop = asyncio.create_task(client._connection_loop())
        for session in sessions:
            await asyncio.wait_for(session.delivered.wait(), 5)
            await asyncio.sleep(0)
            audio.play_out()  # the device plays the reply to its end
            client._drain_playback_events()
        await asyncio.sleep(0.05)
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)

    asyncio.run(scenario())
    lines = out.getvalue().splitlines()
    after = lines[lines.index("connected: session s1, reply audio 16000 Hz (conversation resumed)") + 1 :]
    assert after == [
        "state: listening",
        "state: hearing you",
        "state: thinking",
        "you: what time is it",
        "assistant: It is noon.",
        "state: speaking",
        "playing turn 2",
        "state: listening",
        "played turn 2: 200 ms",
    ]
    assert client.ui.view.state == "listening"
    assert [t.turn_id for t in client.ui.view.turns] == [1, 2]


def test_audio_captured_before_the_session_was_ready_is_not_sent() -> None:
    client, _ = make_client(io.StringIO())
    session = FakeSession([], resumed=False, drop=False)
    ready_at = time.monotonic()
    client.state = SessionState(session, RealTimePacer(ready_at=ready_at))  # type: ignore[arg-type]
    frames = client.pipeline.push(np.zeros(2 * RATE, dtype=np.float32), playing=False)  # a 2 s backlog

    async def send(captured_at: float) -> None:
        for frame in frames:
            await client._frame(frame, captured_at)

    asyncio.run(send(ready_at - 0.5))  # captured while connecting
    assert session.audio_sent == 0
    asyncio.run(send(ready_at))  # a burst right after ready: no more than the pacer's 1 s lead
    assert 50 <= session.audio_sent < len(frames) == 100


def test_the_pacer_never_lets_the_stream_run_ahead_of_real_time() -> None:
    pacer = RealTimePacer(ready_at=10.0, lead_ms=1000.0)
    assert not pacer.admit(captured_at=9.99, now=10.5)  # captured while connecting
    sent = sum(pacer.admit(captured_at=10.0, now=10.0) for _ in range(200))  # a 4 s burst at once
    assert sent == 50 and pacer.dropped == 151  # 1 s of lead, never the 3 s the node cuts off at
    assert pacer.admit(captured_at=10.1, now=10.1)  # real time moves on: frames flow again
    # The mic loop stalled for 3 s right after ready and catches up: the node's clock starts at
    # the first frame it gets, so the backlog is sent only up to the lead, not all at once.
    stalled = RealTimePacer(ready_at=10.0, lead_ms=1000.0)
    sent = sum(stalled.admit(captured_at=10.0 + 0.02 * k, now=13.0) for k in range(150))
    assert sent == 50


def test_a_jitter_reset_lets_a_reused_turn_id_start_and_finish_again() -> None:
    jb = JitterBuffer(RATE, prebuffer_ms=20)
    for _ in range(2):
        jb.push(2, np.full(1600, 0.1, dtype=np.float32))
        jb.end_turn(2)
        for _ in range(20):
            jb.pull(160)
        assert [e.kind for e in jb.events] == ["started", "finished"]
        assert jb.played_samples(2) == 1600
        jb.reset()
        assert not jb.events and jb.played_samples(2) == 0


def test_alsa_messages_go_to_the_log_not_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    assert alsa_log.install(), "alsa-lib not found (libasound2 is a dependency of libportaudio2)"
    before = alsa_log.messages
    asound = ctypes.CDLL(ctypes.util.find_library("asound"))
    handle = ctypes.c_void_p()
    assert asound.snd_pcm_open(ctypes.byref(handle), b"no_such_pcm_device", 0, 0) < 0
    assert alsa_log.messages > before
    assert "ALSA lib" not in capfd.readouterr().err


LEAK_SCRIPT = """
import os, threading, time
from client.mic_pipeline import MicPipeline
from client.ptt import watch_enter

class Client:  # holds soxr streams, as the live client does (mic 48 kHz, replies 22.05 kHz)
    def __init__(self):
        self.pipeline = MicPipeline(48000)
        self.tap = self.pipeline.reference_tap(22050)
    def toggle(self):
        pass

keys = watch_enter(Client().toggle, os.fdopen(os.pipe()[0]))  # blocked in readline until exit
keys.stop()
held = Client()  # and one a thread still holds at exit, closed first
held.pipeline.close()
held.tap.close()
threading.Thread(target=lambda c=held: time.sleep(60), daemon=True).start()
"""


def test_nothing_of_soxr_is_alive_at_exit() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LEAK_SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "nanobind" not in done.stderr, done.stderr
