"""The thin websocket handler: feeds one Session and carries out the effects it returns.

Three kinds of task per connection: this receive loop, one ordered sender, and one task per
running turn. The turn tasks reach the session only through :meth:`Connection.deliver` (the
``TurnEventSink`` interface); nothing else of the connection is shared with them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

from websockets.exceptions import ConnectionClosed

from app import protocol as p
from app.audio import AudioFormat
from app.auth import Grant
from app.conversation import (
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
    WakeAt,
)
from app.conversation.errors import describe
from app.conversation.handshake import Phase
from app.logs import SessionLog
from app.node import Node
from app.persistence import NotYours, SessionPersistence
from app.send_queue import CloseFrame, SendQueue
from app.stages.vad import WebRtcVad
from app.store import CorruptRecord
from app.turn_runner import run_turn

log = logging.getLogger(__name__)

MAX_OUTGOING = 4_000
"""Frames queued for a client that does not read (about 6 minutes of reply audio) before it is dropped."""
SEND_STALL_S = 5.0
"""A frame the socket has not taken for this long (its buffers full): the client is not reading."""
ABANDON_CLOSE_S = 1.0
"""How long a client that stopped reading gets to take the close frame before the TCP is aborted."""


class WebSocket(Protocol):
    """The part of websockets' ``ServerConnection`` a connection uses (tests pass a fake)."""

    async def recv(self) -> str | bytes: ...
    async def send(self, message: str | bytes) -> None: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...

    @property
    def transport(self) -> asyncio.BaseTransport: ...


class Connection:
    """One websocket session: a receive loop, a single ordered sender, and the turn tasks."""

    def __init__(self, ws: WebSocket, node: Node, grant: Grant | None = None) -> None:
        """``grant``: what the connection's token allows (one session only; until when; whose)."""
        grant = grant or Grant()
        self._token_expires_at = grant.expires_at
        self._ws = ws
        self._node = node
        self._settings = settings = node.settings
        self.session = Session(vad=WebRtcVad(settings.endpoint.vad_aggressiveness),
                               output_format=AudioFormat(node.engine.tts.sample_rate), endpoint=settings.endpoint,
                               reply=settings.reply, bound_session_id=grant.session_id,
                               node_timezone=settings.timezone)
        self.log = SessionLog(log, {"session": self.session.id[:8]})
        self._outgoing = SendQueue(MAX_OUTGOING)
        self._sender: asyncio.Task[None] | None = None
        self._abandoning: asyncio.Task[None] | None = None
        self._turns: dict[int, asyncio.Task[None]] = {}
        self._persistence = SessionPersistence(node.store, self.session.id, grant.subject, self._taken)
        self._loading: asyncio.Task[None] | None = None
        self._wake: asyncio.TimerHandle | None = None
        """The one pending wake-up of the session (its next timer)."""

    async def run(self) -> None:
        """Serve the connection until either side closes it."""
        self._sender = sender = asyncio.create_task(self._send_loop(), name=f"send-{self.session.id[:8]}")
        opened, opened_wall = time.monotonic(), time.time()
        ends_at = opened + self._settings.max_session_s
        idle_at = opened + self._settings.idle_timeout_s
        hello_by = opened + self._settings.hello_timeout_s
        try:
            while not sender.done():
                limits = [(ends_at, p.ErrorCode.SESSION_TOO_LONG), (idle_at, p.ErrorCode.IDLE_TIMEOUT)]
                if self._token_expires_at is not None:
                    limits.append((opened + self._token_expires_at - opened_wall, p.ErrorCode.TOKEN_EXPIRED))
                if self.session.phase is Phase.AWAITING_HELLO:
                    limits.append((hello_by, p.ErrorCode.HELLO_REQUIRED))
                deadline, reason = min(limits)
                try:
                    message = await asyncio.wait_for(self._ws.recv(), max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    self._time_out(reason)
                    break
                now = time.monotonic()
                if isinstance(message, bytes) and message:
                    idle_at = now + self._settings.idle_timeout_s  # only audio keeps a session alive
                if isinstance(message, str):
                    self._apply(self.session.receive_text(message, now))
                else:
                    self._apply(self.session.receive_audio(message, now))
        except ConnectionClosed:
            pass
        finally:
            await self._finish(sender)

    async def _finish(self, sender: asyncio.Task[None]) -> None:
        self._set_wake(None)
        # Taken before the session closes: its CancelTurn effects untrack the tasks they cancel.
        tasks = list(self._turns.values())
        self._apply(self.session.close())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._loading is not None:
            await asyncio.gather(self._loading, return_exceptions=True)
        await self._persistence.close()
        self._node.leave(self.session.id, self)
        if self._abandoning is not None:
            await self._abandoning
        elif not sender.done():
            self._outgoing.close(p.CloseCode.NORMAL, "")
            try:
                await asyncio.wait_for(sender, timeout=5)
            except TimeoutError:
                sender.cancel()
        self.log.info("session closed")

    # -------------------------------------------------------------- the session's effects

    def deliver(self, event: TurnEvent) -> None:
        """``TurnEventSink``: a running turn produced ``event``; hand it to the session."""
        self._apply(self.session.turn_event(event, time.monotonic()))

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
                self._outgoing.close(p.CloseCode(effect.code), effect.reason)
            elif isinstance(effect, LoadSession):
                self._loading = asyncio.create_task(self._resume(effect.session_id), name="session-load")
            elif isinstance(effect, DeleteSession) and effect.confirm:
                self._persistence.submit(effect, done=self._forgotten)
            elif isinstance(effect, SaveSession | DeleteSession):
                self._persistence.submit(effect)
            elif isinstance(effect, WakeAt):
                self._set_wake(effect.at_s)

    def _set_wake(self, at_s: float | None) -> None:
        """Wake the session at Unix time ``at_s`` (replacing any earlier wake-up), or never."""
        if self._wake is not None:
            self._wake.cancel()
        self._wake = None
        if at_s is not None:
            self._wake = asyncio.get_running_loop().call_later(max(0.0, at_s - time.time()), self._on_wake)

    def _on_wake(self) -> None:
        self._wake = None
        self._apply(self.session.wake(time.time(), time.monotonic()))

    async def _resume(self, session_id: str) -> None:
        self.log = SessionLog(log, {"session": session_id[:8]})
        try:
            record = await self._node.take(session_id, self, self._persistence)  # refuses another user's first
        except CorruptRecord:
            self._apply(self.session.resumed(None, unreadable=True))
            return
        except NotYours:
            self._apply(self.session.resumed(None, foreign=True))
            return
        history, timers = (record.history, record.timers) if record is not None else (None, ())
        self._apply(self.session.resumed(history, timers))

    def _time_out(self, code: p.ErrorCode) -> None:
        settings = self._settings
        text = {p.ErrorCode.HELLO_REQUIRED: f"no 'hello' within {settings.hello_timeout_s:.0f} s",
                p.ErrorCode.SESSION_TOO_LONG: f"sessions last at most {settings.max_session_s:.0f} s",
                p.ErrorCode.IDLE_TIMEOUT: f"no audio received for {settings.idle_timeout_s:.0f} s",
                p.ErrorCode.TOKEN_EXPIRED: "the access token expired: get a new one"}[code]
        self.log.info("closing: %s", code)
        self._apply([Send(p.Error(code=code, message=text + "; reconnect to go on", fatal=True)),
                     CloseConnection(p.CloseCode.NORMAL, code)])

    def _forgotten(self, deleted: bool) -> None:
        """The store answered the client's ``forget``."""
        self._apply([Send(p.Forgotten(session_id=self.session.id) if deleted else p.Error(
            code=p.ErrorCode.FORGET_FAILED, message="the conversation could not be deleted; send 'forget' again"))])

    async def taken_over(self) -> None:
        """Another connection on this node opens this session: write what is queued, let go, close."""
        await self._persistence.hand_over()

    def _taken(self) -> None:
        """Another connection (on any node) serves this session now: tell the client and close."""
        self.log.info("session taken over by a new connection")
        code = p.ErrorCode.SESSION_TAKEN_OVER
        self._apply([Send(p.Error(code=code, fatal=True, message="this session was opened on another connection")),
                     CloseConnection(p.CloseCode.NORMAL, code)])

    async def shutdown(self) -> None:
        """The node is going away: tell the client to reconnect elsewhere and close."""
        self._apply(self.session.close())
        self._outgoing.close(p.CloseCode.GOING_AWAY, "node draining")

    def _observe(self, message: p.Message) -> None:
        if isinstance(message, p.Ready):
            self._node.live.setdefault(message.session_id, self)  # a resumed one is registered already
            self._persistence.hold(message.session_id)  # a new one's lease (a resumed one has it)
        elif isinstance(message, p.Error):
            self._node.metrics.errors.labels(message.code).inc()
        elif isinstance(message, p.TurnTiming):
            self._node.metrics.observe_turn(self.session.pipeline, message.stages)

    @property
    def busy(self) -> bool:
        """True while a turn is being produced or the user is mid-utterance (which may continue a
        turn whose reply it suspended): what a draining node waits for, up to its deadline."""
        return self.session.mid_utterance or any(not task.done() for task in self._turns.values())

    # -------------------------------------------------------------- sending

    def _enqueue(self, data: str | bytes) -> None:
        if not self._outgoing.put(data) and self._outgoing.overflowed:
            self._give_up()

    def _give_up(self) -> None:
        if self._abandoning is None:
            self._abandoning = asyncio.create_task(self._abandon(), name=f"abandon-{self.session.id[:8]}")

    async def _abandon(self) -> None:
        """The client is not reading: drop the backlog, stop the stuck sender, close (or abort) now."""
        self.log.warning("client not reading (%d frames queued); closing", len(self._outgoing))
        self._node.metrics.errors.labels("slow_consumer").inc()
        self._outgoing.close(p.CloseCode.POLICY_VIOLATION, "slow_consumer", drop_backlog=True)
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
        try:
            await asyncio.wait_for(self._ws.close(p.CloseCode.POLICY_VIOLATION, "slow_consumer"), ABANDON_CLOSE_S)
        except TimeoutError:
            self._ws.transport.abort()

    async def _send_loop(self) -> None:
        while True:
            item = await self._outgoing.get()
            if isinstance(item, CloseFrame):
                await self._ws.close(item.code, item.reason)
                return
            try:
                await asyncio.wait_for(self._ws.send(item), SEND_STALL_S)
            except ConnectionClosed:
                return
            except TimeoutError:  # the queue would take minutes to fill: the socket tells sooner
                return self._give_up()

    # -------------------------------------------------------------- turns

    def _start_turn(self, start: StartTurn) -> None:
        # The engine is read per turn: after a rollout new turns use the new models, these the old.
        local = start.say is None and self._settings.reply.local_tools
        tools = self.session.tool_context(time.time()) if local else None
        turn = run_turn(start, self._node.engine, self._settings.reply, self, affinity=self.session.id, tools=tools)
        task = asyncio.create_task(turn, name=f"turn-{self.session.id[:8]}-{start.turn_id}")
        self._turns[start.turn_id] = task
        task.add_done_callback(lambda t: self._turn_ended(start.turn_id, t))

    def _turn_ended(self, turn_id: int, task: asyncio.Task[Any]) -> None:
        if self._turns.get(turn_id) is task:
            del self._turns[turn_id]
        exc = None if task.cancelled() else task.exception()
        if not isinstance(exc, Exception):
            return
        failure = describe(exc)  # run_turn reports its own failures: this is a bug in reporting one
        self._apply(self.session.turn_event(TurnFailed(turn_id, failure.code, failure.message), time.monotonic()))
