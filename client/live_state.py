"""What a live run's loops share: each connection's view of the conversation, and the client's
devices, playback and statistics that the session loop and the mic loop both read and update."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np

from client.audio_io import AudioIO
from client.bargein import BargeIn
from client.connection import ClientSession, RealTimePacer, SendClock
from client.live_config import LiveConfig
from client.mic_pipeline import MicPipeline, ReferenceTap
from client.ptt import KeyWatch, PushToTalk
from client.reconnect import Reconnect
from client.ui import Ui, make_ui


@dataclass
class Turn:
    """One turn's timing and text, as this connection saw it."""

    stop_sent_at: float | None = None
    """When the frame at ``speech_stopped.at_ms`` was sent (monotonic)."""
    first_audio_at: float | None = None
    e2e_ms: float | None = None
    generated: str = ""


@dataclass
class SessionState:
    """One connection's view of the conversation (the server numbers turns per connection)."""

    session: ClientSession
    pacer: RealTimePacer
    clock: SendClock = field(default_factory=SendClock)
    """Send time of every 20 ms frame of this connection's stream."""
    turns: dict[int, Turn] = field(default_factory=dict)
    dropped: set[int] = field(default_factory=set)
    """Turns whose audio must not play (interrupted or superseded)."""
    queued: set[int] = field(default_factory=set)

    def turn(self, turn_id: int) -> Turn:
        """The record of ``turn_id``, created on first use."""
        return self.turns.setdefault(turn_id, Turn())


class LiveState:
    """The state of one run of the live client, shared by its loops (one asyncio thread)."""

    def __init__(self, config: LiveConfig, ui: Ui | None = None) -> None:
        self.config = config
        self.ui = ui or make_ui(config.plain)
        self.ptt = PushToTalk() if config.push_to_talk else None
        self.reconnect = Reconnect(config, self.ui)
        self.state: SessionState | None = None
        self.speaking_turn: int | None = None
        self.recorded: list[np.ndarray] = []
        self.barge_ins: list[BargeIn] = []
        self._stop = asyncio.Event()
        self._mic_queue: asyncio.Queue[tuple[np.ndarray, float]] = asyncio.Queue()
        """Mic blocks with the monotonic time the device delivered them."""
        self._keys: KeyWatch | None = None
        self.mic_lag_ms = 0.0
        """How far the mic processing lags behind the device, for the last block (ms)."""
        self.mic_lag_max_ms = 0.0
        self.proc_max_ms = 0.0
        self._tap: ReferenceTap | None = None
        self.audio: AudioIO | None = None
        self.pipeline: MicPipeline | None = None
        self._fatal: str | None = None
