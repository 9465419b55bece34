"""The sans-I/O conversation of one websocket session, composed of small parts.

It never awaits and never touches a socket or a model. The connection feeds it what the client
sent (``receive_text``/``receive_audio``), what the store answered (``resumed``) and what a
running turn produced (``turn_event``), each with the current monotonic time. Each entry point
runs inside one error ladder (``errors.describe``) and returns, once, the effects collected in
the outbox while it ran: messages to send, turns to start or cancel, store writes, a close.

The data path of a frame: ``AudioIntake`` (pace, 20 ms framing) -> VAD -> ``Segmenter`` (speech,
pause, end, counted in samples) -> ``Turns`` (speculate, commit, hold and release) -> a
``StartTurn`` effect; the runner's events come back through ``turn_event`` -> ``Turns`` ->
``ReplyAudio`` frames -> ``SendAudio`` effects. Wall-clock time is used only to report latency
and to hold the client to real-time pace; every turn-taking decision counts samples.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from app import protocol as p
from app.audio import AudioFormat
from app.chat import ChatMessage
from app.config import EndpointSettings, ReplySettings
from app.conversation.alerts import Alerts
from app.conversation.early import EarlyInput
from app.conversation.effects import (
    CloseConnection,
    DeleteSession,
    Effect,
    LoadSession,
    Outbox,
    SaveSession,
    StartTurn,
    TurnEvent,
)
from app.conversation.errors import describe
from app.conversation.handshake import Handshake, Phase
from app.conversation.history import History
from app.conversation.intake import AudioIntake
from app.conversation.rate_limit import TokenBucket
from app.conversation.retune import retune, use_naive
from app.conversation.timers import SessionTimers
from app.conversation.turn import TurnState
from app.conversation.turns import Turns
from app.endpointing import Segmenter
from app.speech_gate import SpeechGate
from app.stages.base import VoiceActivityDetector
from app.tools import Timer, ToolContext
from app.tools.functions import FunctionResult

log = logging.getLogger(__name__)


class Session:
    """One conversation: handshake, audio intake, endpointing, turns and history."""

    def __init__(self, *, vad: VoiceActivityDetector, output_format: AudioFormat, endpoint: EndpointSettings,
                 reply: ReplySettings, session_id: str | None = None, bound_session_id: str | None = None,
                 node_timezone: str = "") -> None:
        """``bound_session_id``: the connection's token allows only this session; ``node_timezone``:
        the clock's zone for a user whose ``hello`` names none."""
        self._out = Outbox()
        self._handshake = Handshake(output_format, session_id, bound_session_id)
        self._history = History(reply.history_tokens)
        self._intake = AudioIntake(endpoint)
        self._texts = TokenBucket(endpoint.max_texts_per_s, 2 * endpoint.max_texts_per_s)
        self._vad = vad
        self._gate = SpeechGate(endpoint)
        self._endpoint = self.node_endpoint = endpoint
        self._next_endpoint: EndpointSettings | None = None
        self._timers = SessionTimers(self._out)
        self._turns = Turns(self._out, self._history, Segmenter(endpoint), self._timers, endpoint=endpoint,
                            reply=reply, output=output_format)
        self._alerts = Alerts(self._turns, self._timers, self._out)
        self._timezone = ""
        """The user's IANA time zone from ``hello`` ("" = the node's)."""
        self._early = EarlyInput()
        """What the client sent after ``hello`` while the store was still loading its history."""
        self._node_timezone = node_timezone

    @property
    def id(self) -> str:
        """The session id (the one being resumed, once ``hello`` named it)."""
        return self._handshake.id

    @property
    def phase(self) -> Phase:
        return self._handshake.phase

    @property
    def pipeline(self) -> str:
        """"fast" or "naive", as the client's ``hello`` chose."""
        return self._handshake.pipeline

    def tool_context(self, now_s: float) -> ToolContext:
        """What the local tools of a turn may read, at Unix time ``now_s``."""
        return self._timers.context(now_s, self._timezone, self._node_timezone)

    @property
    def mid_utterance(self) -> bool:
        """The user is speaking or pausing inside an utterance (which may continue the last turn)."""
        return not self._turns.segmenter.idle

    @property
    def timers(self) -> tuple[Timer, ...]:
        """The pending timers and reminders, soonest first."""
        return self._timers.pending

    @property
    def history(self) -> list[ChatMessage]:
        """A copy of the conversation the next turn is answered from, oldest first."""
        return list(self._history.snapshot())

    # -------------------------------------------------------------- entry points

    def receive_text(self, text: str | bytes, now: float) -> list[Effect]:
        """Handle one client text frame received at monotonic time ``now`` (s)."""
        return self._guarded(self._on_text, text, now)

    def receive_audio(self, data: bytes, now: float) -> list[Effect]:
        """Handle one client binary frame of 16 kHz PCM16 mono received at ``now`` (s)."""
        return self._guarded(self._on_audio, data, now)

    def receive_user_text(self, text: str, now: float) -> list[Effect]:
        """A typed user turn (Realtime's text message) at ``now`` (s): committed at once, no speech-to-text."""
        return self._guarded(self._unheard, now, text)

    def receive_function_results(self, results: Sequence[FunctionResult], now: float) -> list[Effect]:
        """The client's ``function_call_output`` results at ``now`` (s): a turn answering from them, no user message."""
        return self._guarded(self._unheard, now, None, tuple(results))

    def respond(self, now: float) -> list[Effect]:
        """A turn at ``now`` (s) that answers from the history alone, no new user words (a greeting)."""
        return self._guarded(self._unheard, now, None, (), True)

    def skip_audio(self, samples: int) -> None:
        """Move the stream clock on by ``samples`` (16 kHz) the client dropped unsent (Realtime's clear, no VAD)."""
        self._turns.segmenter.skip(samples)

    def resumed(self, history: Sequence[ChatMessage] | None, timers: Sequence[Mapping[str, object]] = (), *,
                unreadable: bool = False, foreign: bool = False) -> list[Effect]:
        """The store's answer to ``LoadSession``: the stored history (None if unknown or expired)
        and pending timers; ``unreadable``: the record was corrupt (and is deleted): the session
        opens empty under its id, and the client is told; ``foreign``: it is another user's."""
        return self._guarded(self._on_resumed, history, timers, unreadable, foreign)

    def delete_message(self, entry: ChatMessage) -> list[Effect]:
        """Drop ``entry`` (by identity, as ``history`` gave it) from the conversation; saved as any change is."""
        return self._guarded(self._history.remove, [entry])

    def use_endpointing(self, endpoint: EndpointSettings, *, barge_in: bool = True) -> None:
        """This session's turn-taking (``node_endpoint``: the node's) from the next frame heard between utterances;
        ``barge_in`` False: a new turn waits for the reply being made instead of stopping it (from now)."""
        self._next_endpoint = endpoint
        self._turns.waiting.barge_in = barge_in

    def wake(self, now_s: float, now: float) -> list[Effect]:
        """The time a ``WakeAt`` asked for has come (Unix ``now_s``, monotonic ``now``): ring what is due."""
        return self._guarded(self._alerts.wake, now_s, now)

    def turn_event(self, event: TurnEvent, now: float) -> list[Effect]:
        """Feed something a running turn produced, at ``now`` (s)."""
        return self._guarded(self._turns.on_event, event, now)

    def close(self) -> list[Effect]:
        """The connection is going away: cancel whatever still runs."""
        self._handshake.phase = Phase.CLOSED
        self._turns.cancel_all()
        return self._out.drain()

    def _guarded(self, handler: Callable[..., None], *args: object) -> list[Effect]:
        """The one error ladder: any exception becomes an ``error`` (and a close if fatal);
        a bug is reported as ``internal`` and the session goes on."""
        if self.phase is Phase.CLOSED:
            return []
        try:
            handler(*args)
        except Exception as exc:
            failure = describe(exc)
            fatal = failure.close_code is not None
            log.info("error %s%s", failure.code, " (closing)" if fatal else "")
            self._out.send(p.Error(code=failure.code, message=failure.message, fatal=fatal))
            if failure.close_code is not None:
                self._handshake.phase = Phase.CLOSED
                self._turns.cancel_all()
                self._out.put(CloseConnection(failure.close_code, failure.code))
        if self.phase is Phase.OPEN:
            history, timers = self._history.take_unsaved(), self._timers.take_unsaved()
            if history is not None or timers is not None:
                self._out.put(SaveSession(self.id, self._history.snapshot(), self._timers.stored()))
        return self._out.drain()

    # -------------------------------------------------------------- handlers

    def _on_audio(self, data: bytes, now: float) -> None:
        if self.phase is Phase.AWAITING_HELLO:
            raise p.ProtocolError(p.ErrorCode.AUDIO_BEFORE_HELLO, "send 'hello' before audio",
                                  p.CloseCode.POLICY_VIOLATION)
        if self.phase is Phase.RESUMING:
            self._early.hold(data, now)
            return
        for frame in self._intake.frames(data, now):
            if self._next_endpoint is not None and (gate := retune(self._next_endpoint, self._turns, self._gate)):
                self._gate, self._endpoint = gate, self._next_endpoint
                self._next_endpoint = None
            voiced = self._gate.passes(frame, self._vad.is_speech(frame))
            for event in self._turns.segmenter.push(frame, voiced):
                self._turns.on_segment(event, now)
        self._alerts.speak_when_quiet(now)

    def _on_text(self, text: str | bytes, now: float) -> None:
        if not self._texts.take(now):
            raise p.ProtocolError(p.ErrorCode.RATE_LIMITED, f"more than {self._endpoint.max_texts_per_s} text "
                                  "messages a second", p.CloseCode.POLICY_VIOLATION)
        message = p.decode_client_message(text)
        if isinstance(message, p.Hello):
            self._hello(message)
        elif self.phase is Phase.RESUMING:
            self._early.hold(message, now)
        else:
            self._on_message(message, now)

    def _unheard(self, now: float, text: str | None, results: tuple[FunctionResult, ...] = (),
                 from_history: bool = False) -> None:
        """A committed turn with no audio: typed words, the functions' outputs, or the history alone."""
        if self.phase is not Phase.OPEN:
            raise p.ProtocolError(p.ErrorCode.HELLO_REQUIRED, "a typed turn needs an open session")
        turn = self._turns.new(TurnState.COMMITTED, np.zeros(0, dtype=np.int16), self._turns.segmenter.position)
        turn.committed_at, turn.endpoint_wait_ms = now, 0.0
        self._out.put(StartTurn(turn.id, turn.audio, self._history.snapshot(), naive=False, transcript=text,
                                results=results, from_history=from_history))

    def _on_message(self, message: p.Message, now: float) -> None:
        if self.phase is not Phase.OPEN:
            raise p.ProtocolError(p.ErrorCode.HELLO_REQUIRED, f"send 'hello' before {message.type!r}",
                                  p.CloseCode.POLICY_VIOLATION)
        if isinstance(message, p.Commit):
            for event in self._turns.segmenter.force_end():
                self._turns.on_segment(event, now)
        elif isinstance(message, p.Interrupt):
            self._turns.interrupt(message)
        elif isinstance(message, p.Reset):
            self._turns.cancel_all()
            self._history.clear()
        elif isinstance(message, p.Forget):
            self._turns.cancel_all()
            self._history.forget()  # deleted, not saved empty
            self._timers.clear(save=False)
            self._alerts.clear()
            self._out.put(DeleteSession(self.id, confirm=True))  # ``forgotten`` comes once it is deleted
        elif isinstance(message, p.CancelTimer):
            self._timers.cancel(message.id)
        elif isinstance(message, p.GetHistory):
            self._out.send(p.History(messages=[{"role": m.role, "content": m.content} for m in self.history]))
        else:
            raise p.ProtocolError(p.ErrorCode.UNKNOWN_TYPE, f"{message.type!r} is not handled by the server")

    def _hello(self, hello: p.Hello) -> None:
        load = self._handshake.hello(hello)
        self._timezone = hello.timezone
        if hello.pipeline == "naive":
            use_naive(self._turns, self._endpoint)
        if load:
            self._out.put(LoadSession(self.id))
        else:
            self._open(resumed=False)

    def _on_resumed(self, history: Sequence[ChatMessage] | None, timers: Sequence[Mapping[str, object]],
                    unreadable: bool = False, foreign: bool = False) -> None:
        if foreign:
            raise p.ProtocolError(p.ErrorCode.FORBIDDEN, "this session belongs to another user",
                                  p.CloseCode.POLICY_VIOLATION)
        if self.phase is not Phase.RESUMING:
            return
        if unreadable:
            self._open(resumed=False)
            self._out.send(p.Error(code=p.ErrorCode.SESSION_UNREADABLE, message="the stored conversation could "
                                   "not be read and was deleted; this session starts empty"))
            return
        resumed = self._handshake.resumed(history is not None)
        if resumed and history is not None:
            self._history.load(history)
            self._timers.load(timers)
            log.info("session resumed with %d messages, %d timers", len(self._history), len(self._timers))
        self._open(resumed=resumed)

    def _open(self, *, resumed: bool) -> None:
        if not resumed:
            self._history.touch()  # store the new session now, so its id can be resumed at once
        self._out.send(self._handshake.open(resumed=resumed))
        if self._timers.pending:
            self._timers.announce()  # after 'ready'; ones that came due while away ring at once
        for item, at in self._early.take():  # in the order they came, as if they had come now
            if isinstance(item, bytes):
                self._on_audio(item, at)
            else:
                self._on_message(item, at)
