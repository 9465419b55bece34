"""The live session loop: one connection at a time, its server events turned into playback and
display, and the next connection (:mod:`client.reconnect`) when it drops."""

from __future__ import annotations

import asyncio
import contextlib
import time

from websockets.exceptions import ConnectionClosed, InvalidURI

from app import protocol as p
from client.connection import AudioIn, RealTimePacer
from client.live_state import LiveState, SessionState


class SessionLoop(LiveState):
    """The live client's side that talks to the node (see :class:`client.live.LiveClient`)."""

    async def _connection_loop(self) -> None:
        """Serve one connection until it drops, then open the next, until stopped or refused for good."""
        while True:
            try:
                session = await self.reconnect.open()
            except InvalidURI as exc:
                self._fatal = str(exc)
                self.ui.error("bad_url", str(exc))
                self._stop.set()
                return
            assert self.audio is not None and self.pipeline is not None
            if self.audio.start_output(session.output_rate) or self._tap is None:
                self._tap = self.pipeline.reference_tap(self.audio.out_rate)
            # Turn ids start again on every connection: nothing of the old turns may linger in
            # playback, or a new turn with an old id would never start or finish there.
            self.audio.reset_turns()
            self.speaking_turn = None
            self.state = SessionState(session, RealTimePacer(ready_at=time.monotonic()))
            self.ui.connected(
                session.ready.session_id, session.output_rate, self.audio.out_rate, resumed=session.ready.resumed
            )
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
            await self.reconnect.wait_after_drop(reason)

    async def _receive(self, st: SessionState) -> None:
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

    def _audio_in(self, st: SessionState, event: AudioIn, now: float) -> None:
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

    def _reply_done(self, st: SessionState, event: p.ReplyDone) -> None:
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
