"""The turn lifecycle: speculative at a pause, committed at the endpoint, answered, or stopped.

A turn starts *speculatively* at the first short pause. Everything it produces is held back
until the endpoint is confirmed (commit), and thrown away if the user resumes speaking, so a
stale speculative reply is never played. Only one reply is live at a time: a new real turn
supersedes the one still playing. Speech soon after a turn continues it (continuation.py).
"""

from __future__ import annotations

import logging

import numpy as np

from app import protocol as p
from app.audio import INPUT_FORMAT, AudioFormat
from app.chat import ChatMessage
from app.config import EndpointSettings, ReplySettings
from app.conversation import effects as fx
from app.conversation.continuation import Continuation
from app.conversation.history import History
from app.conversation.listening import ignore_reason
from app.conversation.reply_audio import ReplyAudio
from app.conversation.stopped import StoppedTurns, shorten_kept
from app.conversation.timers import SessionTimers
from app.conversation.turn import Generation, Turn, TurnState
from app.conversation.waiting import Waiting
from app.endpointing import Discard, EndOfTurn, Pause, Resume, Segmenter, SegmentEvent, SpeechStart
from app.endpointing import Phase as SpeechPhase
from app.turn_policy import end_silence_ms

log = logging.getLogger(__name__)


class Turns:
    """Every turn of one session that may still produce or change something."""

    def __init__(self, outbox: fx.Outbox, history: History, segmenter: Segmenter, timers: SessionTimers, *,
                 endpoint: EndpointSettings, reply: ReplySettings, output: AudioFormat) -> None:
        self._out = outbox
        self._history = history
        self._timers = timers
        self.segmenter = segmenter  # replaced for the naive pipeline or new settings; its position is the clock
        self.endpoint = endpoint  # a Realtime session's turn_detection may replace it between utterances
        self._reply = reply
        self._output = output
        self.naive = False
        """The naive cascade: no speculation, a fixed silence ends the turn."""
        self._turns: dict[int, Turn] = {}
        self._stopped = StoppedTurns()
        self._current: Turn | None = None
        """The speculative turn of the utterance in progress, if any."""
        self._next_id = 1
        self._utterance_start = 0
        self._last_reply: Turn | None = None
        """The most recent committed turn that sent audio (for echo and backchannel checks)."""
        self._continuation = Continuation(self, history, outbox, endpoint)
        self.waiting = Waiting(self, self._turns, history)

    # -------------------------------------------------------------- the user's side

    def on_segment(self, event: SegmentEvent, now: float) -> None:
        """React to what the segmenter found in the audio."""
        if isinstance(event, SpeechStart):
            self._utterance_start = event.start
            self._out.send(p.SpeechStarted(at_ms=INPUT_FORMAT.samples_to_ms(event.start)))
            self._continuation.speech_started(event.start)
        elif isinstance(event, Pause):
            if not self.naive:  # the naive cascade waits out its fixed silence; EndOfTurn follows.
                self._current = self.new(TurnState.SPECULATIVE, event.audio, event.voiced_end)
                self._out.put(self._continuation.start(self._current, naive=False))
        elif isinstance(event, Resume):
            self._abandon_current()
        elif isinstance(event, Discard):
            self._abandon_current()
            self._continuation.dropped()
        else:
            self._end_of_turn(event, now)

    def _end_of_turn(self, event: EndOfTurn, now: float) -> None:
        turn, self._current = self._current, None
        if turn is None or turn.state is not TurnState.SPECULATIVE:
            if INPUT_FORMAT.samples_to_ms(event.audio.shape[0]) < self.endpoint.min_utterance_ms:
                return
            turn = self.new(TurnState.COMMITTED, event.audio, event.voiced_end)
            self._out.put(self._continuation.start(turn, naive=self.naive))
        if event.too_long:
            limit_s = self.endpoint.max_utterance_ms / 1000
            self._out.send(p.Error(code=p.ErrorCode.UTTERANCE_TOO_LONG, turn_id=turn.id,
                                   message=f"utterances are cut at {limit_s:.0f} s; answering what was said"))
        turn.state = TurnState.COMMITTED
        turn.committed_at = now
        self._apply_tool(turn)
        turn.endpoint_wait_ms = INPUT_FORMAT.samples_to_ms(event.at - event.voiced_end)
        self._out.send(p.SpeechStopped(at_ms=INPUT_FORMAT.samples_to_ms(event.voiced_end), turn_id=turn.id))
        if turn.transcript is not None:
            self._accept_transcript(turn)
            if turn.state is TurnState.CANCELLED:
                return
        held, turn.held = turn.held, []
        for effect in held:
            self.emit(turn, effect, now)
        self.maybe_finish(turn, now)

    def _abandon_current(self) -> None:
        turn, self._current = self._current, None
        if turn is not None:
            self._drop(turn)

    # -------------------------------------------------------------- the runner's side

    def on_event(self, event: fx.TurnEvent, now: float) -> None:
        """React to something a running turn produced."""
        turn = self._turns.get(event.turn_id)
        if turn is None or turn.state is TurnState.CANCELLED:
            return  # a stale event of a turn we already dropped
        if isinstance(event, fx.Transcribed):
            turn.transcript = event.text
            turn.words_pending = event.words_pending
            if not self._continuation.transcribed(turn):
                self._stop_generating(turn)  # adds nothing to the turn it follows: no reply to make
            if turn.state is TurnState.COMMITTED:
                self._accept_transcript(turn)
            else:
                self._update_end_silence(turn, now)
        elif isinstance(event, fx.TurnPredicted | fx.WordsPredicted):
            if isinstance(event, fx.TurnPredicted):
                turn.p_complete = event.p_complete
            else:
                turn.p_words, turn.words_pending = event.p_end, False
            if turn.state is TurnState.SPECULATIVE:
                self._update_end_silence(turn, now)
        elif isinstance(event, fx.ToolUsed):
            turn.tool = event
            self._apply_tool(turn)
        elif isinstance(event, fx.ReplyText):
            turn.reply_text += event.text
            self.emit(turn, fx.Send(p.ReplyDelta(turn_id=turn.id, text=event.text)), now)
        elif isinstance(event, fx.FunctionCalled):  # the reply is a call of the client's function
            self.emit(turn, fx.CallFunction(turn.id, event.name, event.arguments), now)
        elif isinstance(event, fx.ReplySpeech):
            for frame in turn.reply.speak(event.text, event.pcm):
                self.emit(turn, fx.SendAudio(frame), now)
        elif isinstance(event, fx.TurnFailed):
            turn.generation = Generation.FAILED
            log.warning("turn %d failed: %s", turn.id, event.code)
            self.emit(turn, fx.Send(p.Error(code=event.code, message=event.message, turn_id=turn.id)), now)
            self.maybe_finish(turn, now)
        else:
            turn.generation = Generation.FINISHED
            turn.finished = event
            self.maybe_finish(turn, now)

    def _update_end_silence(self, turn: Turn, now: float) -> None:
        """Predictive endpointing: how the words read and how the voice sounds set the pause."""
        heard = "" if turn.adds_nothing else turn.transcript  # nothing new: end the non-turn quickly
        silence_ms = end_silence_ms(self.endpoint, heard, turn.p_complete, turn.p_words,
                                    words_pending=turn.words_pending)
        log.debug("turn %d: end after %d ms (voice %s, words %s)", turn.id, silence_ms, turn.p_complete, turn.p_words)
        for event in self.segmenter.set_end_silence(silence_ms):
            self.on_segment(event, now)

    def _apply_tool(self, turn: Turn) -> None:
        """A committed turn's timer action takes effect (once): it stands even if the user then
        talks over the confirmation, as it would with a person who heard the request."""
        tool = turn.tool
        if turn.state is TurnState.COMMITTED and tool is not None and tool.action is not None:
            turn.tool = fx.ToolUsed(tool.turn_id, tool.tool)
            self._timers.apply(tool.action)

    def _accept_transcript(self, turn: Turn) -> None:
        text = turn.transcript or ""
        reason = ignore_reason(turn, text, self._last_reply, self.endpoint)
        if reason is None and turn.adds_nothing:
            reason = "no words beyond the turn it follows"
        if reason is not None:
            log.info("turn %d ignored: %s", turn.id, reason)
            self._out.send(p.Transcript(turn_id=turn.id, text=""))
            self.stop(turn, interrupted=False, silent=True)
            self._continuation.dropped()
            return
        replaced = turn.continues.id if turn.continues is not None else turn.replaces
        self._out.send(p.Transcript(turn_id=turn.id, text=text, replaces_turn=replaced))
        if turn.continues is not None:
            self._continuation.merge_away(turn.continues)
        self.waiting.supersede(turn, text)  # one reply at a time: it stops the one before, or waits for it
        self._continuation.answered(turn)

    def emit(self, turn: Turn, effect: fx.Effect, now: float) -> None:
        """Send ``turn``'s ``effect`` at monotonic ``now`` (s), or hold it (speculative, or waiting: waiting.py)."""
        if turn.state is TurnState.SPECULATIVE or self.waiting.holds(turn):
            turn.held.append(effect)
            return
        if isinstance(effect, fx.SendAudio) and turn.first_audio_at is None:
            turn.first_audio_at = now
            turn.audio_start_pos = self.segmenter.position
            self._last_reply = turn
        self._out.put(effect)

    def maybe_finish(self, turn: Turn, now: float | None = None) -> None:
        """Close a turn once it is both committed and done generating (and no longer waiting), at ``now`` (s)."""
        if turn.state is not TurnState.COMMITTED or turn.generating or self.waiting.holds(turn):
            return
        turn.state = TurnState.ANSWERED
        reply_text = turn.reply_text.strip()
        if turn.generation is not Generation.FAILED and reply_text and not turn.alert:
            asked = turn.user_message if turn.tool is None else None  # a tool's answer is exact
            turn.assistant_message = self._history.add_reply(ChatMessage("assistant", reply_text), asked)
            turn.kept_out = turn.assistant_message is None
        finished = turn.finished
        stages = dict(finished.stages) if finished is not None else {}
        stages["endpoint_wait_ms"] = turn.endpoint_wait_ms or 0.0
        if turn.first_audio_at is not None and turn.committed_at is not None:
            stages["server_first_audio_ms"] = 1000.0 * (turn.first_audio_at - turn.committed_at)
        self._out.send(p.ReplyDone(turn_id=turn.id, text=reply_text, interrupted=False, audio_ms=turn.reply.duration_ms,
                                   truncated=finished is not None and finished.truncated))
        self._out.send(p.TurnTiming(turn_id=turn.id, stages={k: round(v, 1) for k, v in stages.items()},
                                    tool=turn.tool.tool if turn.tool is not None else ""))
        self.waiting.release(turn, now)

    # -------------------------------------------------------------- barge-in and cancellation

    def interrupt(self, message: p.Interrupt) -> None:
        """The client stopped playing ``turn_id``: history keeps only what was heard (of a turn
        stopped a moment ago too: a Realtime client's truncate follows its cancel)."""
        turn = self._turns.get(message.turn_id)
        if turn is not None and turn.live:
            heard = turn.reply.heard_text(message.played_ms)
            self.stop(turn, interrupted=True, heard=heard)
        elif turn is None and (turn := self._stopped.get(message.turn_id)) is not None:
            heard = shorten_kept(self._history, turn, turn.reply.heard_text(message.played_ms))
        else:
            raise p.ProtocolError(p.ErrorCode.BAD_MESSAGE, f"turn {message.turn_id} is not playing")
        self._out.send(p.Interrupted(turn_id=turn.id, heard_text=heard, played_ms=message.played_ms))

    def stop(self, turn: Turn, *, interrupted: bool, heard: str | None = None, silent: bool = False) -> None:
        """End ``turn`` early; history keeps ``heard`` (or what was generated) as the reply."""
        if turn.generating:
            self._out.put(fx.CancelTurn(turn.id))
        text = (heard if heard is not None else turn.reply_text).strip()
        if self._history.contains(turn.assistant_message):
            turn.assistant_message = self._history.replace(turn.assistant_message, text)
        elif text and not silent and turn.assistant_message is None and not turn.kept_out:
            turn.assistant_message = self._history.append(ChatMessage("assistant", text))
        if turn.state is not TurnState.ANSWERED and not silent:
            self._out.send(p.ReplyDone(turn_id=turn.id, text=text, interrupted=interrupted,
                                       audio_ms=turn.reply.duration_ms))
        turn.state = TurnState.CANCELLED
        self._turns.pop(turn.id, None)
        if interrupted:
            self._stopped.add(turn)
        self.waiting.release(turn, None)

    def cancel_all(self) -> None:
        """Stop every turn without a word to the client (reset, forget, close)."""
        self._current = None
        for turn in list(self._turns.values()):
            self._drop(turn)

    @property
    def quiet(self) -> bool:
        """Nobody is talking: the user is silent, and no reply is being made or still playing (alerts.py)."""
        if self._current is not None or self.segmenter.phase is not SpeechPhase.IDLE:
            return False
        position, rate = self.segmenter.position, INPUT_FORMAT.sample_rate
        return not any(t.generating or (t.playing_until(rate) or 0) > position for t in self._turns.values())

    def new(self, state: TurnState, audio: np.ndarray, voiced_end: int, speech_start: int | None = None) -> Turn:
        """Create and track a turn of ``audio`` (int16, 16 kHz); also continuation.py's."""
        turn = Turn(id=self._next_id, state=state, audio=audio,
                    reply=ReplyAudio(self._next_id, self._output, self._reply.audio_frame_ms),
                    speech_start=self._utterance_start if speech_start is None else speech_start,
                    voiced_end=voiced_end)
        self._next_id += 1
        self._turns[turn.id] = turn
        return turn

    def tracked(self, turn: Turn) -> bool:
        """Whether ``turn`` may still change (not stopped, retired or dropped)."""
        return self._turns.get(turn.id) is turn

    def suspend(self, turn: Turn) -> None:
        """Stop generating ``turn``'s reply for now (the user goes on talking)."""
        turn.generation = Generation.SUSPENDED
        self._out.put(fx.CancelTurn(turn.id))

    def _stop_generating(self, turn: Turn) -> None:
        if turn.generating:
            turn.generation = Generation.FINISHED
            self._out.put(fx.CancelTurn(turn.id))

    def _drop(self, turn: Turn) -> None:
        turn.state = TurnState.CANCELLED
        self._turns.pop(turn.id, None)
        if turn.generating:
            self._out.put(fx.CancelTurn(turn.id))
