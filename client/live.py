"""Live mode: hands-free conversation on the microphone and speakers.

Orchestration only: the audio streams (:mod:`client.audio_io`), the mic path with echo suppression
and barge-in detection (:mod:`client.mic_pipeline`), the playback jitter buffer
(:mod:`client.jitter`) and the display (:mod:`client.ui`) do the work. The connection is re-opened
with exponential backoff when it drops; Ctrl-C (or SIGTERM) closes everything and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from app import protocol as p
from client.alsa_messages import alsa_log
from client.audio_files import write_wav
from client.audio_io import AudioIO
from client.bargein import BargeIn, BargeInCancelled, BargeInPending, BargeInSettings
from client.connection import AudioIn, ClientSession, NoNode, RealTimePacer, SendClock, SessionRefused
from client.mic_pipeline import MicFrame, MicPipeline, ReferenceTap
from client.ptt import KeyWatch, PushToTalk, watch_enter
from client.ui import Ui, make_ui

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveConfig:
    """Settings of a live session, built once from the command line."""

    url: str
    """Server websocket URL."""
    input_device: int | str | None = None
    """Microphone (PortAudio index or name); None: the default."""
    output_device: int | str | None = None
    """Speaker (PortAudio index or name); None: the default."""
    push_to_talk: bool = False
    """Enter toggles talking instead of the open mic."""
    plain: bool = False
    """Print plain lines instead of the live dashboard."""
    barge_in_min_ms: int = 200
    """Voiced speech (not echo) over the reply that interrupts it, in ms."""
    barge_in_pause_ms: int | None = None
    """Voiced speech after which the reply is held until confirmed (None: half the minimum)."""
    prebuffer_ms: float = 100.0
    """Reply audio queued before playback starts (and after an underrun), in ms."""
    echo_cancel: bool = True
    """Suppress the speaker's echo in the mic signal (off only for headphones/debugging)."""
    output_wav: Path | None = None
    """Also write all reply audio received to this WAV file."""
    pipeline: str = "fast"
    token: str | None = None
    """API token for the node (sent as ``Authorization: Bearer``)."""
    backoff_min_s: float = 0.5
    """First reconnect delay; doubles up to ``backoff_max_s``."""
    backoff_max_s: float = 8.0
    dump_audio: Path | None = None
    """Debugging: write mic, reference and echo decisions to this .npz at exit."""
    verbose: bool = False
    """Print the developer statistics line (echo path, underruns, mic lag) at exit."""


@dataclass
class _Turn:
    stop_sent_at: float | None = None
    """When the frame at ``speech_stopped.at_ms`` was sent (monotonic)."""
    first_audio_at: float | None = None
    e2e_ms: float | None = None
    generated: str = ""


@dataclass
class _SessionState:
    """One connection's view of the conversation (the server numbers turns per connection)."""

    session: ClientSession
    pacer: RealTimePacer
    clock: SendClock = field(default_factory=SendClock)
    """Send time of every 20 ms frame of this connection's stream."""
    turns: dict[int, _Turn] = field(default_factory=dict)
    dropped: set[int] = field(default_factory=set)
    """Turns whose audio must not play (interrupted or superseded)."""
    queued: set[int] = field(default_factory=set)

    def turn(self, turn_id: int) -> _Turn:
        return self.turns.setdefault(turn_id, _Turn())


class LiveClient:
    """One run of ``python -m client`` in live mode."""

    def __init__(self, config: LiveConfig, ui: Ui | None = None) -> None:
        self.config = config
        self.ui = ui or make_ui(config.plain)
        self.ptt = PushToTalk() if config.push_to_talk else None
        self.state: _SessionState | None = None
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
        self.session_id: str | None = None
        """The conversation to resume after a dropped connection."""

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._stop.set)

        def on_mic(block: np.ndarray) -> None:  # PortAudio thread
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(self._mic_queue.put_nowait, (block, time.monotonic()))

        cfg = self.config
        self.audio = AudioIO(cfg.input_device, cfg.output_device, on_mic=on_mic, prebuffer_ms=cfg.prebuffer_ms)
        self.pipeline = MicPipeline(self.audio.in_rate, barge_in=BargeInSettings(min_voiced_ms=cfg.barge_in_min_ms,
                                                                                   pause_voiced_ms=cfg.barge_in_pause_ms),
                                    echo_enabled=cfg.echo_cancel)
        if cfg.dump_audio is not None:
            self.pipeline.start_recording()
        self.ui.view.mode = "push-to-talk (Enter toggles)" if self.ptt else "open mic"
        self.ui.start()
        tasks: list[asyncio.Task] = []
        try:
            self.audio.start_input()
            if self.ptt is not None:
                self._keys = watch_enter(lambda: loop.call_soon_threadsafe(self._ptt_toggle))
            tasks = [asyncio.create_task(self._mic_loop(), name="mic"),
                     asyncio.create_task(self._connection_loop(), name="connection")]
            stopper = asyncio.create_task(self._stop.wait())
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            for task in done:
                if task is not stopper and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.state is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.state.session.close(), 2.0)
            if self._keys is not None:
                self._keys.stop()  # its thread outlives us, blocked in readline: let go of the client
            if cfg.verbose:
                self._summary()
            self.audio.close()
            if cfg.dump_audio is not None:
                self.pipeline.dump(str(cfg.dump_audio))
            self.pipeline.close()
            if self._tap is not None:
                self._tap.close()
            self.ui.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
            if cfg.output_wav is not None and self.recorded and self.audio.reply_rate:
                write_wav(cfg.output_wav, np.concatenate(self.recorded), self.audio.reply_rate)
        if self._fatal:
            return 2
        return 0

    def _summary(self) -> None:
        assert self.pipeline is not None and self.audio is not None
        echo = self.pipeline.echo
        delay = f"{echo.delay / 16:.0f}" if echo.delay is not None else "unknown"
        underruns = self.audio.jitter.underruns if self.audio.jitter else 0
        self.ui.info(f"stats: barge_ins={len(self.barge_ins)} underruns={underruns} "
                     f"device_underflows={self.audio.output_underflows} echo_delay_ms={delay} "
                     f"echo_erle_db={echo.erle_db:.1f} echo_gated_frames={echo.frames_gated} "
                     f"mic_lag_max_ms={self.mic_lag_max_ms:.0f} proc_max_ms={self.proc_max_ms:.0f} "
                     f"output_latency_ms={self.audio.output_latency_ms:.0f} "
                     f"reference_lead_ms={echo.reference_lead_ms:.0f} input_overflows={self.audio.input_overflows} "
                     f"timeline_relocks={self._tap.relocks if self._tap else 0} alsa_xruns={alsa_log.xruns}")

    # ------------------------------------------------------------------ connection

    async def _connection_loop(self) -> None:
        cfg = self.config
        backoff = cfg.backoff_min_s
        while True:
            self.ui.connecting(cfg.url)
            try:
                session = await ClientSession.open(cfg.url, pipeline=cfg.pipeline, client="edge-voice-desktop",
                                                   token=cfg.token, session_id=self.session_id)
            except InvalidURI as exc:
                self._fatal = str(exc)
                self.ui.error("bad_url", str(exc))
                self._stop.set()
                return
            except SessionRefused as exc:
                if self.session_id is not None and exc.code in ("session_not_found", "invalid_session_id", "forbidden"):
                    self.session_id = None  # that conversation is gone: start a new one at once
                    self.ui.info(f"the server no longer has the conversation ({exc.code}); starting a new one")
                    continue
                wait = max(backoff, (exc.retry_after_ms or 0) / 1000.0)
                self.ui.disconnected(f"refused ({exc.code})", wait)
                await asyncio.sleep(wait)
                backoff = min(cfg.backoff_max_s, backoff * 2)
                continue
            except NoNode as exc:
                self.ui.no_node(cfg.url, exc.reason, backoff)
                await asyncio.sleep(backoff)
                backoff = min(cfg.backoff_max_s, backoff * 2)
                continue
            except (OSError, ConnectionError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                self.ui.disconnected(f"cannot connect ({exc.__class__.__name__}: {exc})", backoff)
                await asyncio.sleep(backoff)
                backoff = min(cfg.backoff_max_s, backoff * 2)
                continue
            backoff = cfg.backoff_min_s
            assert self.audio is not None and self.pipeline is not None
            if self.audio.start_output(session.output_rate) or self._tap is None:
                self._tap = self.pipeline.reference_tap(self.audio.out_rate)
            # Turn ids start again on every connection: nothing of the old turns may linger in
            # playback, or a new turn with an old id would never start or finish there.
            self.audio.reset_turns()
            self.speaking_turn = None
            self.state = _SessionState(session, RealTimePacer(ready_at=time.monotonic()))
            self.session_id = session.ready.session_id
            self.ui.connected(session.ready.session_id, session.output_rate, self.audio.out_rate,
                              resumed=session.ready.resumed)
            reason = "connection closed"
            try:
                await self._receive(self.state)
            except ConnectionClosed as exc:
                reason = f"connection lost ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
            except p.ProtocolError as exc:
                reason = f"protocol error: {exc.code}"
            finally:
                self.state = None
                self.audio.stop_turn(None)
                self.speaking_turn = None
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(session.close(), 2.0)
            if self._stop.is_set():
                return
            self.ui.disconnected(reason, backoff)
            await asyncio.sleep(backoff)
            backoff = min(cfg.backoff_max_s, backoff * 2)

    async def _receive(self, st: _SessionState) -> None:
        assert self.audio is not None
        async for event in st.session.events():
            now = time.monotonic()
            if isinstance(event, AudioIn):
                self._audio_in(st, event, now)
            elif isinstance(event, p.SpeechStarted):
                if self.speaking_turn is None:
                    self.ui.set_state("hearing you")
            elif isinstance(event, p.SpeechStopped):
                st.turn(event.turn_id).stop_sent_at = st.clock.sent_time(event.at_ms)
                if self.speaking_turn is None:
                    self.ui.set_state("thinking")
            elif isinstance(event, p.Transcript):
                self.ui.transcript(event.turn_id, event.text, event.replaces_turn)
                if not event.text and self.speaking_turn is None:
                    self.ui.set_state("listening")
            elif isinstance(event, p.ReplyDelta):
                st.turn(event.turn_id).generated += event.text
                self.ui.reply_delta(event.turn_id, event.text)
            elif isinstance(event, p.ReplyDone):
                self._reply_done(st, event)
            elif isinstance(event, p.Interrupted):
                self.ui.interrupted(event.turn_id, event.heard_text, st.turn(event.turn_id).generated.strip())
            elif isinstance(event, p.TurnTiming):
                self.ui.latency(event.turn_id, st.turn(event.turn_id).e2e_ms, event.stages)
            elif isinstance(event, p.Error):
                self.ui.error(event.code, event.message)
                if event.code == p.ErrorCode.SESSION_TAKEN_OVER:
                    # Another device has this conversation now: reconnecting would take it back.
                    self._fatal = event.message
                    self._stop.set()

    def _audio_in(self, st: _SessionState, event: AudioIn, now: float) -> None:
        assert self.audio is not None
        turn_id = event.turn_id
        if turn_id in st.dropped:
            return
        turn = st.turn(turn_id)
        if turn.first_audio_at is None:
            turn.first_audio_at = now
            if turn.stop_sent_at is not None:
                turn.e2e_ms = 1000.0 * (now - turn.stop_sent_at)
            for older in [t for t in st.queued if t < turn_id]:  # a newer reply supersedes older ones
                self.audio.stop_turn(older)
                st.dropped.add(older)
                st.queued.discard(older)
        st.queued.add(turn_id)
        self.audio.play(turn_id, event.samples)
        if self.config.output_wav is not None:
            self.recorded.append(event.samples)

    def _reply_done(self, st: _SessionState, event: p.ReplyDone) -> None:
        assert self.audio is not None
        if event.turn_id not in st.dropped:
            if event.interrupted:  # the server superseded it
                self.audio.stop_turn(event.turn_id)
                st.dropped.add(event.turn_id)
            else:
                self.audio.end_turn(event.turn_id)
            if event.turn_id not in st.queued and self.speaking_turn is None:
                self.ui.set_state("listening")  # nothing to play
        self.ui.reply_done(event.turn_id, event.text, event.interrupted)

    # ------------------------------------------------------------------ mic path

    async def _mic_loop(self) -> None:
        assert self.pipeline is not None and self.audio is not None
        while True:
            block, arrived = await self._mic_queue.get()
            self.mic_lag_ms = 1000.0 * (time.monotonic() - arrived)
            self.mic_lag_max_ms = max(self.mic_lag_max_ms, self.mic_lag_ms)
            self._drain_played()
            self._drain_playback_events()
            began = time.perf_counter()
            frames = self.pipeline.push(block, playing=self._armed())
            self.proc_max_ms = max(self.proc_max_ms, 1000.0 * (time.perf_counter() - began))
            for frame in frames:
                await self._frame(frame, arrived)
            if frames:
                self.ui.level(max(f.level_db for f in frames))
                echo = self.pipeline.echo
                self.ui.echo(echo.delay / 16 if echo.delay is not None else None, echo.erle_db, echo.echo_free)

    def _armed(self) -> bool:
        """A reply is audible (or about to be): the user can interrupt it."""
        if self.ptt is not None:
            return False  # push-to-talk interrupts with the key, not the voice
        jitter = self.audio.jitter if self.audio else None
        return self.speaking_turn is not None or (jitter is not None and jitter.busy)

    def _drain_played(self) -> None:
        assert self.audio is not None
        played = self.audio.played
        while played:
            block = played.popleft()
            if self._tap is not None:
                self._tap.add(block.samples, block.out_index, block.mic_index)

    def _drain_playback_events(self) -> None:
        assert self.audio is not None
        jitter = self.audio.jitter
        if jitter is None:
            return
        while jitter.events:
            ev = jitter.events.popleft()
            ms = 1000.0 * ev.played_samples / jitter.sample_rate
            st = self.state
            if st is None or ev.turn_id in st.dropped:
                continue  # disconnected: the turn is gone (the next connection resets playback)
            if ev.kind == "started":
                self.speaking_turn = ev.turn_id
            elif ev.kind == "finished":
                if self.speaking_turn == ev.turn_id:
                    self.speaking_turn = None
                if st is not None:
                    st.queued.discard(ev.turn_id)
            self.ui.playback(ev.kind, ev.turn_id, ms)

    async def _frame(self, frame: MicFrame, captured_at: float) -> None:
        event = frame.barge_in
        if isinstance(event, BargeIn):
            await self._barge_in(event)
        elif isinstance(event, BargeInPending):
            self._hold(True, frame_pos=frame.position, onset=event.onset)
        elif isinstance(event, BargeInCancelled):
            self._hold(False, event.voiced_ms)
        st = self.state
        if st is None or not st.pacer.admit(captured_at, time.monotonic()):
            return  # captured before this connection was ready, or ahead of real time
        pcm = frame.pcm if self.ptt is None else self.ptt.gate(frame.pcm)
        try:
            await st.session.send_audio(pcm)
        except ConnectionClosed:
            return  # the receiver notices and reconnects
        st.clock.record(time.monotonic())

    def _hold(self, hold: bool, voiced_ms: int = 0, frame_pos: int = 0, onset: int = 0) -> None:
        """Pause the reply while possible speech over it is confirmed; resume if it was too short."""
        jitter = self.audio.jitter if self.audio else None
        if jitter is None:
            return
        turn = self.speaking_turn if self.speaking_turn is not None else jitter.active_turn
        if hold:
            jitter.pause()
            after_ms = (frame_pos - onset) / 16
            self.ui.info(f"paused turn {self.ui.number(turn)}: speech over the reply? "
                         f"({after_ms:.0f} ms after its onset)")
        elif jitter.paused:
            jitter.resume()
            self.ui.info(f"resumed turn {self.ui.number(turn)}: only {voiced_ms} ms of speech")

    async def _barge_in(self, hit: BargeIn | None) -> None:
        """Stop the reply now and tell the server how much of it was heard."""
        assert self.audio is not None and self.audio.jitter is not None
        st = self.state
        turn_id = self.speaking_turn if self.speaking_turn is not None else self.audio.jitter.active_turn
        if st is None or turn_id is None or turn_id in st.dropped:
            return
        started = time.monotonic()
        played_ms = self.audio.jitter.played_ms(turn_id)
        self.audio.stop_turn(turn_id)
        st.dropped.add(turn_id)
        st.queued.discard(turn_id)
        self.speaking_turn = None
        if hit is not None:
            self.barge_ins.append(hit)
            flushed_ms = 1000 * (time.monotonic() - started)
            detail = (f"{hit.voiced_ms} ms voiced, detected {hit.reaction_ms:.0f} ms after onset, "
                      f"mic path lag {self.mic_lag_ms:.0f} ms, flushed {flushed_ms:.1f} ms later")
        else:
            detail = "push-to-talk"
        self.ui.barge_in(turn_id, played_ms, detail)
        with contextlib.suppress(ConnectionClosed):
            await st.session.send(p.Interrupt(turn_id=turn_id, played_ms=round(played_ms, 1)))

    def _ptt_toggle(self) -> None:
        assert self.ptt is not None
        talking = self.ptt.toggle()
        self.ui.view.ptt_talking = talking
        if talking:
            self.ui.info("talking... press Enter when done")
            if self.speaking_turn is not None or (self.audio and self.audio.jitter and self.audio.jitter.busy):
                asyncio.get_running_loop().create_task(self._barge_in(None))
            return
        self.ui.info("sent")
        st = self.state
        if st is not None:
            asyncio.get_running_loop().create_task(self._send_quietly(st, p.Commit()))

    @staticmethod
    async def _send_quietly(st: _SessionState, message: p.Message) -> None:
        with contextlib.suppress(ConnectionClosed):
            await st.session.send(message)


async def run_live(url: str, *, output_wav: Path | None = None, config: LiveConfig | None = None) -> int:
    """Hands-free conversation on the chosen devices until Ctrl-C; returns the exit status."""
    cfg = config or LiveConfig(url=url, output_wav=output_wav)
    return await LiveClient(cfg).run()
