"""The live mic loop: each mic block through the echo suppressor and barge-in detector to the node,
and the reply's playback held, resumed or stopped when the user talks over it."""

from __future__ import annotations

import asyncio
import contextlib
import time

from websockets.exceptions import ConnectionClosed

from app import protocol as p
from client.bargein import BargeIn, BargeInCancelled, BargeInPending
from client.live_state import LiveState, SessionState
from client.mic_pipeline import MicFrame


class MicLoop(LiveState):
    """The live client's side that listens (see :class:`client.live.LiveClient`)."""

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
            self.ui.info(
                f"paused turn {self.ui.number(turn)}: speech over the reply? ({after_ms:.0f} ms after its onset)"
            )
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
            detail = (
                f"{hit.voiced_ms} ms voiced, detected {hit.reaction_ms:.0f} ms after onset, "
                f"mic path lag {self.mic_lag_ms:.0f} ms, flushed {flushed_ms:.1f} ms later"
            )
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
    async def _send_quietly(st: SessionState, message: p.Message) -> None:
        with contextlib.suppress(ConnectionClosed):
            await st.session.send(message)
