"""The sans-I/O conversation state machine of one websocket session.

It never awaits and never touches a socket or a model. The connection feeds it what the client
sent (``receive_text``/``receive_audio``) and what a running turn produced (``turn_event``),
each with the current monotonic time, and carries out the effects it returns: messages to
send, turns to start or cancel, a close. Wall-clock time is used only to report latency; all
turn-taking decisions count samples.

A turn starts *speculatively* at the first short pause. Everything it produces is held back
until the endpoint is confirmed (commit), and thrown away if the user resumes speaking, so a
stale speculative reply is never played.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app import protocol as p
from app.audio import FRAME_SAMPLES, INPUT_FORMAT, INPUT_SAMPLE_RATE, AudioFormat
from app.config import EndpointSettings, ReplySettings
from app.endpointing import (
    Discard,
    EndOfTurn,
    Pause,
    Resume,
    Segmenter,
    SegmentEvent,
    SpeechStart,
)
from app.session_io import (  # the session's vocabulary, re-exported for its users
    CancelTurn,
    CloseConnection,
    DeleteSession,
    Effect,
    LoadSession,
    ReplySpeech,
    ReplyText,
    SaveSession,
    Send,
    SendAudio,
    StartTurn,
    Transcribed,
    TurnEvent,
    TurnFailed,
    TurnFinished,
    TurnPredicted,
)
from app.stages.base import ChatMessage, VoiceActivityDetector
from app.store.base import InvalidSessionId, new_session_id, validate_session_id
from app.turn_policy import (
    echo_overlap,
    is_backchannel,
    is_noise_transcript,
    looks_complete,
)

log = logging.getLogger(__name__)

__all__ = [
    "CancelTurn", "CloseConnection", "DeleteSession", "Effect", "LoadSession", "Phase", "ReplySpeech", "ReplyText",
    "SaveSession", "Send", "SendAudio", "Session", "StartTurn", "Transcribed", "TurnEvent", "TurnFailed",
    "TurnFinished", "TurnPredicted", "TurnState",
]


# ------------------------------------------------------------------ the state machine


class Phase(enum.Enum):
    AWAITING_HELLO = "awaiting_hello"
    RESUMING = "resuming"
    """Waiting for the store to return the history of the session being resumed."""
    OPEN = "open"
    CLOSED = "closed"


class TurnState(enum.Enum):
    SPECULATIVE = "speculative"
    COMMITTED = "committed"
    CANCELLED = "cancelled"


@dataclass
class _Turn:
    id: int
    state: TurnState
    voiced_end: int = 0
    speech_start: int = 0
    """Stream sample where the utterance began."""
    transcript: str | None = None
    p_complete: float | None = None
    held: list[Effect] = field(default_factory=list)
    reply_text: str = ""
    clauses: list[tuple[str, int]] = field(default_factory=list)
    """(text, samples) of every spoken clause, in order."""
    audio_samples: int = 0
    seq: int = 0
    runner_done: bool = False
    runner_stages: dict[str, float] = field(default_factory=dict)
    failed: bool = False
    committed_at: float | None = None
    endpoint_wait_ms: float | None = None
    first_audio_sent_at: float | None = None
    audio_start_pos: int | None = None
    """Stream sample (input clock) at which the first reply audio went out."""
    assistant_message: ChatMessage | None = None
    """This turn's reply in the history, once added (found by identity, so trimming is safe)."""
    audio: np.ndarray | None = None
    """The user's utterance (int16, 16 kHz), kept so a continuation can be merged into it."""
    user_message: ChatMessage | None = None
    """This turn's user message in the history, once added."""
    continues: "_Turn | None" = None
    """The turn this one continues: the user paused, was answered, and went on talking."""
    suspended: bool = False
    """Its generation was cancelled because the user went on talking; answered again if not."""
    replaces: int | None = None
    """The turn id this one answers again (after a suspension that came to nothing)."""
    reply_done_sent: bool = False
    truncated: bool = False


class Session:
    """One conversation: handshake, endpointing, turn lifecycle and history."""

    def __init__(
        self,
        *,
        vad: VoiceActivityDetector,
        output_format: AudioFormat,
        endpoint: EndpointSettings,
        reply: ReplySettings,
        session_id: str | None = None,
        bound_session_id: str | None = None,
    ) -> None:
        """``bound_session_id``: the connection's token allows only this session."""
        self.id = session_id or new_session_id()
        self._bound = bound_session_id
        self.phase = Phase.AWAITING_HELLO
        self.pipeline = "fast"
        self.history: list[ChatMessage] = []
        self._history_version = 0
        """Bumped on every change of ``history``, so the connection saves only what changed."""
        self._saved_version = 0
        self._vad = vad
        self._out = output_format
        self._endpoint = endpoint
        self._reply = reply
        self._segmenter = Segmenter(endpoint)
        self._pending = np.zeros(0, dtype=np.int16)
        self._turns: dict[int, _Turn] = {}
        self._current: _Turn | None = None
        """The speculative turn of the utterance in progress, if any."""
        self._next_turn_id = 1
        self._utterance_start = 0
        self._last_reply: _Turn | None = None
        self._last_user_turn: _Turn | None = None
        """The most recent turn the user completed (for merging a continuation into it)."""
        self._continuation: _Turn | None = None
        """Set at speech start when the new utterance follows the last turn closely."""
        """The most recent committed turn that sent audio (for echo and backchannel checks)."""
        self._frame_samples = output_format.ms_to_samples(reply.audio_frame_ms)
        self._stream_start: float | None = None
        """Wall-clock time of the first audio frame, to hold the client to real-time pace."""
        self._received_samples = 0
        self._frame_budget = float(endpoint.max_frames_per_s)
        self._frame_budget_at = 0.0

    # -------------------------------------------------------------- client input

    def receive_text(self, text: str | bytes, now: float) -> list[Effect]:
        """Handle one client text frame."""
        if self.phase is Phase.CLOSED:
            return []
        try:
            message = p.decode_client_message(text)
            return self._with_save(self._dispatch(message, now))
        except p.ProtocolError as exc:
            return self._protocol_error(exc)

    def resumed(self, history: Sequence[ChatMessage] | None) -> list[Effect]:
        """The store's answer to ``LoadSession``: the stored history, or None if unknown/expired."""
        if self.phase is not Phase.RESUMING:
            return []
        if history is None and self._bound is not None:
            return self._open(resumed=False)
        if history is None:
            return self._protocol_error(p.ProtocolError(
                p.ErrorCode.SESSION_NOT_FOUND,
                "no such session (unknown or expired); connect without session_id to start a new one",
                p.CloseCode.POLICY_VIOLATION,
            ))
        self.history = list(history)
        self._history_version = self._saved_version = 1
        log.info("session resumed with %d messages", len(self.history))
        return self._open(resumed=True)

    def _with_save(self, effects: list[Effect]) -> list[Effect]:
        if self._history_version != self._saved_version and self.phase is Phase.OPEN:
            self._saved_version = self._history_version
            effects.append(SaveSession(self.id, tuple(self.history), {"pipeline": self.pipeline}))
        return effects

    def _history_changed(self) -> None:
        self._history_version += 1

    def receive_audio(self, data: bytes, now: float) -> list[Effect]:
        """Handle one client binary frame of 16 kHz PCM16 mono."""
        if self.phase is Phase.CLOSED:
            return []
        if self.phase is Phase.AWAITING_HELLO:
            return self._protocol_error(
                p.ProtocolError(p.ErrorCode.NOT_READY, "send 'hello' before audio", p.CloseCode.POLICY_VIOLATION)
            )
        if self.phase is Phase.RESUMING:
            log.debug("audio before 'ready' of a resumed session dropped")
            return []
        try:
            samples = p.decode_client_audio(data)
            self._check_rate(samples.shape[0], now)
        except p.ProtocolError as exc:
            return self._protocol_error(exc)
        buffered = np.concatenate([self._pending, samples]) if self._pending.size else samples
        effects: list[Effect] = []
        whole = buffered.shape[0] - buffered.shape[0] % FRAME_SAMPLES
        for start in range(0, whole, FRAME_SAMPLES):
            frame = buffered[start : start + FRAME_SAMPLES]
            for event in self._segmenter.push(frame, self._vad.is_speech(frame)):
                effects += self._on_segment(event, now)
        self._pending = buffered[whole:].copy()
        return self._with_save(effects)

    def _check_rate(self, samples: int, now: float) -> None:
        """A microphone delivers audio in real time. A client far ahead of real time, or sending
        floods of tiny frames, is misbehaving: it would make the node do unbounded work."""
        ep = self._endpoint
        if self._stream_start is None:
            self._stream_start = self._frame_budget_at = now
        self._received_samples += samples
        lead_ms = INPUT_FORMAT.samples_to_ms(self._received_samples) - 1000.0 * (now - self._stream_start)
        # Token bucket for frame count: refills at max_frames_per_s, holds one second's worth.
        self._frame_budget = min(ep.max_frames_per_s,
                                 self._frame_budget + (now - self._frame_budget_at) * ep.max_frames_per_s) - 1
        self._frame_budget_at = now
        if lead_ms > ep.max_audio_lead_ms or self._frame_budget < 0:
            raise p.ProtocolError(
                p.ErrorCode.RATE_LIMITED,
                "audio must be streamed in real time (20 ms frames, 16 kHz)",
                p.CloseCode.POLICY_VIOLATION,
            )

    def close(self) -> list[Effect]:
        """The connection is going away: cancel whatever still runs."""
        self.phase = Phase.CLOSED
        return [CancelTurn(t.id) for t in list(self._turns.values()) if not t.runner_done]

    def _dispatch(self, message: p.Message, now: float) -> list[Effect]:
        if isinstance(message, p.Hello):
            return self._hello(message)
        if self.phase is not Phase.OPEN:
            raise p.ProtocolError(
                p.ErrorCode.NOT_READY, f"send 'hello' before {message.type!r}", p.CloseCode.POLICY_VIOLATION
            )
        if isinstance(message, p.Commit):
            return [e for ev in self._segmenter.force_end() for e in self._on_segment(ev, now)]
        if isinstance(message, p.Interrupt):
            return self._interrupt(message)
        if isinstance(message, p.Reset):
            effects = self._cancel_all()
            self.history.clear()
            self._history_changed()
            return effects
        if isinstance(message, p.Forget):
            effects = self._cancel_all()
            self.history.clear()
            self._history_version = self._saved_version  # deleted, not saved empty
            return [*effects, DeleteSession(self.id), Send(p.Forgotten(session_id=self.id))]
        if isinstance(message, p.GetHistory):
            return [Send(p.History(messages=[{"role": m.role, "content": m.content} for m in self.history]))]
        raise p.ProtocolError(p.ErrorCode.UNKNOWN_TYPE, f"{message.type!r} is not handled by the server")

    def _hello(self, hello: p.Hello) -> list[Effect]:
        if self.phase is not Phase.AWAITING_HELLO:
            raise p.ProtocolError(p.ErrorCode.ALREADY_READY, "the session is already open")
        if hello.protocol != p.PROTOCOL_VERSION:
            raise p.ProtocolError(
                p.ErrorCode.UNSUPPORTED_PROTOCOL,
                f"protocol {hello.protocol} is not supported; this server speaks {p.PROTOCOL_VERSION}",
                p.CloseCode.PROTOCOL_ERROR,
            )
        if hello.sample_rate != INPUT_SAMPLE_RATE:
            raise p.ProtocolError(
                p.ErrorCode.UNSUPPORTED_SAMPLE_RATE,
                f"sample_rate {hello.sample_rate} is not supported; send 16000 Hz mono PCM16",
                p.CloseCode.UNSUPPORTED_DATA,
            )
        self.pipeline = hello.pipeline
        if hello.pipeline == "naive":
            self._segmenter = Segmenter(self._endpoint, fixed_silence_ms=self._endpoint.naive_silence_ms)
        if self._bound is not None:
            if hello.session_id not in (None, self._bound):
                raise p.ProtocolError(p.ErrorCode.FORBIDDEN, "this token is for another session",
                                      p.CloseCode.POLICY_VIOLATION)
            self.id = self._bound
            self.phase = Phase.RESUMING
            return [LoadSession(self.id)]  # resumed if it exists, otherwise created with that id
        if hello.session_id is not None:
            try:
                validate_session_id(hello.session_id)
            except InvalidSessionId as exc:
                raise p.ProtocolError(p.ErrorCode.INVALID_SESSION_ID, str(exc), p.CloseCode.POLICY_VIOLATION) from None
            self.id = hello.session_id
            self.phase = Phase.RESUMING
            return [LoadSession(self.id)]
        return self._open(resumed=False)

    def _open(self, *, resumed: bool) -> list[Effect]:
        self.phase = Phase.OPEN
        if not resumed:
            self._history_changed()  # store the new session now, so its id can be resumed at once
        log.info("session %s (pipeline=%s)", "resumed" if resumed else "opened", self.pipeline)
        ready = p.Ready(
            session_id=self.id,
            input={**INPUT_FORMAT.as_wire(), "frame_ms": 20},
            output=self._out.as_wire(),
            pipeline=self.pipeline,
            resumed=resumed,
        )
        return [Send(ready)]

    def _protocol_error(self, exc: p.ProtocolError) -> list[Effect]:
        fatal = exc.close_code is not None
        log.info("protocol error %s%s", exc.code, " (closing)" if fatal else "")
        effects: list[Effect] = [Send(p.Error(code=exc.code, message=exc.message, fatal=fatal))]
        if fatal:
            assert exc.close_code is not None
            effects += self.close()
            effects.append(CloseConnection(exc.close_code, exc.code))
        return effects

    # -------------------------------------------------------------- endpointing

    def _on_segment(self, event: SegmentEvent, now: float) -> list[Effect]:
        if isinstance(event, SpeechStart):
            self._utterance_start = event.start
            last = self._last_user_turn
            gap = INPUT_FORMAT.samples_to_ms(event.start - last.voiced_end) if last is not None else None
            self._continuation = last if gap is not None and gap <= self._endpoint.continuation_ms else None
            effects: list[Effect] = [Send(p.SpeechStarted(at_ms=INPUT_FORMAT.samples_to_ms(event.start)))]
            previous = self._continuation
            if previous is not None and previous.id in self._turns and not previous.runner_done:
                # Stop answering the first part now: its llama.cpp context (which holds this
                # conversation's prefix) and its cores go to the whole utterance instead.
                previous.suspended = previous.runner_done = True
                effects.append(CancelTurn(previous.id))
            return effects
        if isinstance(event, Pause):
            if self.pipeline == "naive":
                return []  # the naive cascade waits out its fixed silence; EndOfTurn follows.
            turn = self._new_turn(TurnState.SPECULATIVE, event.voiced_end)
            turn.audio = event.audio
            self._current = turn
            return [self._start(turn, naive=False)]
        if isinstance(event, Resume):
            return self._abandon_current()
        if isinstance(event, Discard):
            return self._abandon_current() + self._drop_continuation()
        return self._end_of_turn(event, now)

    def _end_of_turn(self, event: EndOfTurn, now: float) -> list[Effect]:
        effects: list[Effect] = []
        turn = self._current
        self._current = None
        if turn is None or turn.state is not TurnState.SPECULATIVE:
            if INPUT_FORMAT.samples_to_ms(event.audio.shape[0]) < self._endpoint.min_utterance_ms:
                return []
            turn = self._new_turn(TurnState.COMMITTED, event.voiced_end)
            turn.audio = event.audio
            effects.append(self._start(turn, naive=self.pipeline == "naive"))
        if event.too_long:
            effects.append(Send(p.Error(
                code=p.ErrorCode.UTTERANCE_TOO_LONG, turn_id=turn.id,
                message=f"utterances are cut at {self._endpoint.max_utterance_ms / 1000:.0f} s; answering what was said",
            )))
        turn.state = TurnState.COMMITTED
        turn.committed_at = now
        turn.endpoint_wait_ms = INPUT_FORMAT.samples_to_ms(event.at - event.voiced_end)
        effects.append(Send(p.SpeechStopped(at_ms=INPUT_FORMAT.samples_to_ms(event.voiced_end), turn_id=turn.id)))
        if turn.transcript is not None:
            effects += self._accept_transcript(turn)
            if turn.state is TurnState.CANCELLED:
                return effects
        effects += self._release(turn, now)
        effects += self._maybe_finish(turn)
        return effects

    def _abandon_current(self) -> list[Effect]:
        turn, self._current = self._current, None
        if turn is None:
            return []
        turn.state = TurnState.CANCELLED
        self._turns.pop(turn.id, None)
        return [] if turn.runner_done else [CancelTurn(turn.id)]

    # -------------------------------------------------------------- turn events

    def turn_event(self, event: TurnEvent, now: float) -> list[Effect]:
        """Feed something a running turn produced."""
        return self._with_save(self._turn_event(event, now))

    def _turn_event(self, event: TurnEvent, now: float) -> list[Effect]:
        turn = self._turns.get(event.turn_id)
        if turn is None or turn.state is TurnState.CANCELLED or self.phase is Phase.CLOSED:
            return []  # a stale event of a turn we already dropped
        if isinstance(event, Transcribed):
            return self._transcribed(turn, event.text, now)
        if isinstance(event, TurnPredicted):
            turn.p_complete = event.p_complete
            return self._update_end_silence(turn, now) if turn.state is TurnState.SPECULATIVE else []
        if isinstance(event, ReplyText):
            turn.reply_text += event.text
            return self._emit(turn, Send(p.ReplyDelta(turn_id=turn.id, text=event.text)), now)
        if isinstance(event, ReplySpeech):
            return self._speech(turn, event, now)
        if isinstance(event, TurnFailed):
            turn.failed = True
            turn.runner_done = True
            log.warning("turn %d failed: %s", turn.id, event.code)
            error = Send(p.Error(code=event.code, message=event.message, turn_id=turn.id))
            return self._emit(turn, error, now) + self._maybe_finish(turn)
        turn.runner_done = True
        turn.runner_stages = dict(event.stages)
        turn.truncated = event.truncated
        return self._maybe_finish(turn)

    def _transcribed(self, turn: _Turn, text: str, now: float) -> list[Effect]:
        turn.transcript = text
        if turn.state is TurnState.COMMITTED:
            return self._accept_transcript(turn)
        return self._update_end_silence(turn, now)

    def _update_end_silence(self, turn: _Turn, now: float) -> list[Effect]:
        """Predictive endpointing: how the words read and how the voice sounds set the pause."""
        silence_ms = self.end_silence_ms(turn.transcript, turn.p_complete)
        effects: list[Effect] = []
        for event in self._segmenter.set_end_silence(silence_ms):
            effects += self._on_segment(event, now)
        return effects

    def end_silence_ms(self, transcript: str | None, p_complete: float | None) -> int:
        """Silence that ends the turn, given what is known so far (None: not known yet)."""
        ep = self._endpoint
        if transcript is None:
            return ep.incomplete_ms
        if is_noise_transcript(transcript):
            return ep.complete_ms  # nothing was said: close the non-turn quickly
        text_done = looks_complete(transcript)
        if p_complete is None:
            # Waiting for the turn model (it answers in tens of ms), or there is none.
            return ep.uncertain_ms if text_done else ep.incomplete_ms
        voice_done = p_complete >= ep.turn_threshold
        if text_done and voice_done:
            return ep.complete_ms
        if text_done or voice_done:
            return ep.uncertain_ms
        return ep.incomplete_ms

    def _accept_transcript(self, turn: _Turn) -> list[Effect]:
        text = turn.transcript or ""
        reason = self._ignore_reason(turn, text)
        if reason is not None:
            log.info("turn %d ignored: %s", turn.id, reason)
            effects: list[Effect] = [Send(p.Transcript(turn_id=turn.id, text=""))]
            return effects + self._stop(turn, interrupted=False, silent=True) + self._drop_continuation()
        replaced = turn.continues.id if turn.continues is not None else turn.replaces
        effects = [Send(p.Transcript(turn_id=turn.id, text=text, replaces_turn=replaced))]
        if turn.continues is not None:
            effects += self._merge_away(turn.continues)
        # One reply at a time: a real new turn supersedes any older one still generating.
        # Finished ones are forgotten too (they were kept only so a barge-in could truncate them).
        for older in list(self._turns.values()):
            if older.id != turn.id and older.state is TurnState.COMMITTED:
                if older.runner_done:
                    self._turns.pop(older.id)
                else:
                    effects += self._stop(older, interrupted=True)
        turn.user_message = ChatMessage("user", text)
        self.history.append(turn.user_message)
        self._history_changed()
        self._last_user_turn = turn
        return effects

    def _drop_continuation(self) -> list[Effect]:
        """The new speech was not a continuation after all: answer the suspended turn again."""
        previous, self._continuation = self._continuation, None
        if previous is None or not previous.suspended or previous.id not in self._turns:
            return []
        previous.suspended = False
        effects = self._merge_away(previous)  # withdraw what it had said so far
        again = self._new_turn(TurnState.COMMITTED, previous.voiced_end)
        again.audio, again.replaces, again.committed_at = previous.audio, previous.id, previous.committed_at
        again.speech_start = previous.speech_start
        history = tuple(self.history)
        assert previous.audio is not None
        effects.append(StartTurn(again.id, previous.audio, history, naive=False, transcript=previous.transcript))
        return effects

    def _start(self, turn: _Turn, *, naive: bool) -> StartTurn:
        """The StartTurn of ``turn``; a continuation is transcribed and answered as one with the
        turn it continues, as if the pause had never ended the first."""
        assert turn.audio is not None
        previous = self._continuation
        if previous is None or previous.audio is None or previous.user_message is None:
            return StartTurn(turn.id, turn.audio, tuple(self.history), naive=naive)
        turn.continues = previous
        dropped = (previous.user_message, previous.assistant_message)
        history = tuple(m for m in self.history if not any(m is d for d in dropped))
        return StartTurn(turn.id, np.concatenate([previous.audio, turn.audio]), history, naive=naive)

    def _merge_away(self, previous: _Turn) -> list[Effect]:
        """The continuation is committed: the turn it continues never happened."""
        log.info("turn %d continues turn %d: merged", self._next_turn_id - 1, previous.id)
        dropped = (previous.user_message, previous.assistant_message)
        self.history[:] = [m for m in self.history if not any(m is d for d in dropped)]
        previous.assistant_message = None
        self._history_changed()
        if previous.id in self._turns:
            return self._stop(previous, interrupted=True, heard="")
        return []

    def _ignore_reason(self, turn: _Turn, text: str) -> str | None:
        """Why a committed utterance is not a turn: Whisper noise, the assistant's own voice
        coming back through the speakers, or a listener's "mhmm" while the assistant talks."""
        if is_noise_transcript(text):
            return "noise"
        reply = self._last_reply
        if reply is None or reply.audio_start_pos is None or reply.id == turn.id:
            return None
        playing_until = reply.audio_start_pos + round(reply.audio_samples * INPUT_SAMPLE_RATE / self._out.sample_rate)
        # Room echo and the client's jitter buffer trail the reply by a little.
        overlapped = turn.speech_start <= playing_until + INPUT_FORMAT.ms_to_samples(self._endpoint.echo_tail_ms)
        if not overlapped:
            return None
        if echo_overlap(text, reply.reply_text) >= self._endpoint.echo_overlap and len(text.split()) >= 2:
            return "echo of the assistant's own words"
        if is_backchannel(text) and reply.id in self._turns:
            return "backchannel while the assistant talks"
        return None

    def _speech(self, turn: _Turn, event: ReplySpeech, now: float) -> list[Effect]:
        turn.clauses.append((event.text, int(event.pcm.shape[0])))
        effects: list[Effect] = []
        pcm = event.pcm
        for start in range(0, pcm.shape[0], self._frame_samples):
            chunk = pcm[start : start + self._frame_samples]
            frame = p.ReplyAudio(turn.id, turn.seq, chunk.astype("<i2", copy=False).tobytes())
            turn.seq += 1
            effects += self._emit(turn, SendAudio(frame), now)
        turn.audio_samples += int(pcm.shape[0])
        return effects

    def _emit(self, turn: _Turn, effect: Effect, now: float) -> list[Effect]:
        if turn.state is not TurnState.COMMITTED:
            turn.held.append(effect)
            return []
        if isinstance(effect, SendAudio) and turn.first_audio_sent_at is None:
            turn.first_audio_sent_at = now
            turn.audio_start_pos = self._segmenter.position
            self._last_reply = turn
        return [effect]

    def _release(self, turn: _Turn, now: float) -> list[Effect]:
        held, turn.held = turn.held, []
        released: list[Effect] = []
        for effect in held:
            released += self._emit(turn, effect, now)
        return released

    def _maybe_finish(self, turn: _Turn) -> list[Effect]:
        """Close a turn once it is both committed and done generating."""
        if turn.state is not TurnState.COMMITTED or not turn.runner_done or turn.reply_done_sent:
            return []
        turn.reply_done_sent = True
        if not turn.failed and turn.reply_text.strip():
            turn.assistant_message = ChatMessage("assistant", turn.reply_text.strip())
            self.history.append(turn.assistant_message)
            self._trim_history()
            self._history_changed()
        stages = dict(turn.runner_stages)
        stages["endpoint_wait_ms"] = turn.endpoint_wait_ms or 0.0
        if turn.first_audio_sent_at is not None and turn.committed_at is not None:
            stages["server_first_audio_ms"] = 1000.0 * (turn.first_audio_sent_at - turn.committed_at)
        audio_ms = self._out.samples_to_ms(turn.audio_samples)
        return [
            Send(p.ReplyDone(turn_id=turn.id, text=turn.reply_text.strip(), interrupted=False, audio_ms=audio_ms,
                             truncated=turn.truncated)),
            Send(p.TurnTiming(turn_id=turn.id, stages={k: round(v, 1) for k, v in stages.items()})),
        ]

    # -------------------------------------------------------------- barge-in and cancellation

    def _interrupt(self, message: p.Interrupt) -> list[Effect]:
        turn = self._turns.get(message.turn_id)
        if turn is None or turn.state is not TurnState.COMMITTED:
            raise p.ProtocolError(p.ErrorCode.BAD_MESSAGE, f"turn {message.turn_id} is not playing")
        heard = self._heard_text(turn, self._out.ms_to_samples(message.played_ms))
        effects = self._stop(turn, interrupted=True, heard=heard)
        effects.append(Send(p.Interrupted(turn_id=turn.id, heard_text=heard, played_ms=message.played_ms)))
        return effects

    @staticmethod
    def _heard_text(turn: _Turn, played_samples: int) -> str:
        """The reply's words that were played within ``played_samples`` (partial clauses by word share)."""
        words: list[str] = []
        remaining = played_samples
        for text, samples in turn.clauses:
            clause_words = text.split()
            if remaining >= samples:
                words += clause_words
                remaining -= samples
                continue
            words += clause_words[: int(len(clause_words) * remaining / samples)] if samples else []
            break
        return " ".join(words)

    def _stop(self, turn: _Turn, *, interrupted: bool, heard: str | None = None, silent: bool = False) -> list[Effect]:
        """End ``turn`` early; history keeps ``heard`` (or what was generated) as the reply."""
        effects: list[Effect] = [] if turn.runner_done else [CancelTurn(turn.id)]
        text = (heard if heard is not None else turn.reply_text).strip()
        stored = turn.assistant_message
        index = next((i for i, m in enumerate(self.history) if m is stored), None)
        if index is not None:
            if text:
                turn.assistant_message = self.history[index] = ChatMessage("assistant", text)
            else:
                del self.history[index]
                turn.assistant_message = None
            self._history_changed()
        elif text and not silent and stored is None:
            self.history.append(ChatMessage("assistant", text))
            self._history_changed()
        if not turn.reply_done_sent and not silent:
            audio_ms = self._out.samples_to_ms(turn.audio_samples)
            effects.append(Send(p.ReplyDone(turn_id=turn.id, text=text, interrupted=interrupted, audio_ms=audio_ms)))
        turn.state = TurnState.CANCELLED
        self._turns.pop(turn.id, None)
        return effects

    def _cancel_all(self) -> list[Effect]:
        effects: list[Effect] = []
        self._current = None
        for turn in list(self._turns.values()):
            effects += [] if turn.runner_done else [CancelTurn(turn.id)]
            turn.state = TurnState.CANCELLED
        self._turns.clear()
        return effects

    # -------------------------------------------------------------- helpers

    def _new_turn(self, state: TurnState, voiced_end: int) -> _Turn:
        turn = _Turn(id=self._next_turn_id, state=state, voiced_end=voiced_end, speech_start=self._utterance_start)
        self._next_turn_id += 1
        self._turns[turn.id] = turn
        return turn

    def _trim_history(self) -> None:
        limit = 2 * self._reply.max_history_turns
        if len(self.history) > limit:
            del self.history[: len(self.history) - limit]

    def chat_history(self) -> Sequence[ChatMessage]:
        """The conversation the next turn will be answered from."""
        return tuple(self.history)
