"""The thin websocket handler: feeds one Session and carries out the effects it returns."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from app import protocol as p
from app.audio import AudioFormat
from app.logs import SessionLog
from app.node import Node
from app.persistence import SessionPersistence
from app.session import (
    CancelTurn,
    CloseConnection,
    DeleteSession,
    Effect,
    LoadSession,
    SaveSession,
    Send,
    SendAudio,
    Session,
    StartTurn,
    TurnEvent,
    TurnFailed,
)
from app.stages.vad import WebRtcVad
from app.turn_runner import run_turn

log = logging.getLogger(__name__)

MAX_OUTGOING = 4_000
"""Messages queued for a client that does not read (about 6 minutes of reply audio) before it is dropped."""


class _Close:
    def __init__(self, code: int, reason: str) -> None:
        self.code, self.reason = code, reason


class Connection:
    """One websocket session: a receive loop, a single ordered sender, and the turn tasks."""

    def __init__(self, ws: ServerConnection, node: Node, bound_session_id: str | None = None) -> None:
        self._ws = ws
        self._node = node
        self._settings = settings = node.settings
        self.session = Session(
            vad=WebRtcVad(settings.endpoint.vad_aggressiveness),
            output_format=AudioFormat(node.engine.tts.sample_rate),
            endpoint=settings.endpoint,
            reply=settings.reply,
            bound_session_id=bound_session_id,
        )
        self.log = SessionLog(log, {"session": self.session.id[:8]})
        self._outgoing: asyncio.Queue[str | bytes | _Close] = asyncio.Queue()
        self._turns: dict[int, asyncio.Task[None]] = {}
        self._persistence = SessionPersistence(node.store, self.session.id)
        self._loading: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Serve the connection until either side closes it."""
        sender = asyncio.create_task(self._send_loop(), name=f"send-{self.session.id[:8]}")
        ends_at = time.monotonic() + self._settings.max_session_s
        try:
            while True:
                try:
                    timeout = min(self._settings.idle_timeout_s, ends_at - time.monotonic())
                    message = await asyncio.wait_for(self._ws.recv(), max(0.0, timeout))
                except TimeoutError:
                    self._time_out(too_long=time.monotonic() >= ends_at)
                    break
                now = time.monotonic()
                if isinstance(message, str):
                    self._apply(self.session.receive_text(message, now))
                else:
                    self._apply(self.session.receive_audio(message, now))
                if sender.done():
                    break
        except ConnectionClosed:
            pass
        finally:
            self._apply(self.session.close())
            tasks = list(self._turns.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._loading is not None:
                await asyncio.gather(self._loading, return_exceptions=True)
            await self._persistence.flush()
            if not sender.done():
                self._outgoing.put_nowait(_Close(p.CloseCode.NORMAL, ""))
                try:
                    await asyncio.wait_for(sender, timeout=5)
                except TimeoutError:
                    sender.cancel()
            self.log.info("session closed")

    def _apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Send):
                self._observe(effect.message)
                self._enqueue(effect.message.encode())
            elif isinstance(effect, SendAudio):
                self._enqueue(effect.frame.encode())
            elif isinstance(effect, StartTurn):
                self._start_turn(effect)
            elif isinstance(effect, CancelTurn):
                task = self._turns.pop(effect.turn_id, None)
                if task is not None:
                    task.cancel()
            elif isinstance(effect, CloseConnection):
                self._outgoing.put_nowait(_Close(effect.code, effect.reason))
            elif isinstance(effect, LoadSession):
                self._loading = asyncio.create_task(self._resume(effect.session_id), name="session-load")
            elif isinstance(effect, SaveSession | DeleteSession):
                self._persistence.submit(effect)

    async def _resume(self, session_id: str) -> None:
        history = await self._persistence.load(session_id)
        self.log = SessionLog(log, {"session": session_id[:8]})
        self._apply(self.session.resumed(history))

    def _time_out(self, *, too_long: bool) -> None:
        if too_long:
            code, text = p.ErrorCode.SESSION_TOO_LONG, f"sessions last at most {self._settings.max_session_s:.0f} s"
        else:
            code, text = p.ErrorCode.IDLE_TIMEOUT, f"nothing received for {self._settings.idle_timeout_s:.0f} s"
        self.log.info("closing: %s", code)
        self._apply([Send(p.Error(code=code, message=text + "; reconnect to go on", fatal=True)),
                     CloseConnection(p.CloseCode.NORMAL, code)])

    async def shutdown(self) -> None:
        """The node is going away: tell the client to reconnect elsewhere and close."""
        self._apply(self.session.close())
        self._outgoing.put_nowait(_Close(p.CloseCode.GOING_AWAY, "node draining"))

    def _observe(self, message: p.Message) -> None:
        if isinstance(message, p.Error):
            self._node.metrics.errors.labels(message.code).inc()
        elif isinstance(message, p.TurnTiming):
            self._node.metrics.observe_turn(self.session.pipeline, message.stages)

    @property
    def busy(self) -> bool:
        """True while a turn of this session is still being produced."""
        return any(not task.done() for task in self._turns.values())

    def _enqueue(self, data: str | bytes) -> None:
        if self._outgoing.qsize() >= MAX_OUTGOING:
            # Backpressure gave up: the client is not reading. Drop it rather than buffer forever.
            self.log.warning("client not reading; closing")
            self._outgoing.put_nowait(_Close(p.CloseCode.POLICY_VIOLATION, "slow_consumer"))
            return
        self._outgoing.put_nowait(data)

    async def _send_loop(self) -> None:
        while True:
            item = await self._outgoing.get()
            if isinstance(item, _Close):
                await self._ws.close(item.code, item.reason)
                return
            try:
                await self._ws.send(item)
            except ConnectionClosed:
                return

    def _start_turn(self, start: StartTurn) -> None:
        async def emit(event: TurnEvent) -> None:
            self._apply(self.session.turn_event(event, time.monotonic()))

        # The engine is read per turn: after a model rollout new turns use the new models while
        # turns in flight finish on the old ones.
        task = asyncio.create_task(
            run_turn(start, self._node.engine, self._settings.reply, emit, affinity=self.session.id),
            name=f"turn-{self.session.id[:8]}-{start.turn_id}",
        )
        self._turns[start.turn_id] = task
        task.add_done_callback(lambda t: self._turn_ended(start.turn_id, t))

    def _turn_ended(self, turn_id: int, task: asyncio.Task[Any]) -> None:
        if self._turns.get(turn_id) is task:
            del self._turns[turn_id]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.log.error("turn %d crashed", turn_id, exc_info=exc)
            failed = TurnFailed(turn_id, p.ErrorCode.INTERNAL, "internal error while answering; try again")
            self._apply(self.session.turn_event(failed, time.monotonic()))
