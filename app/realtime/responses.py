"""The node's turns seen as Realtime items and responses.

A native turn becomes an *exchange*: the user's item (committed audio or a typed message) and
the response that answers it. The node starts answering the moment a turn is committed (that
is its latency), but a Realtime client asks for a response itself when ``create_response`` is
off or it commits by hand: until the client's ``response.create`` *claims* it, what the turn
produces is held, and a turn the user talked over before that is never shown. Audio is
converted to the client's format as it goes, and counted in samples.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app import protocol as p
from app.realtime import server_events as ev
from app.realtime.calls import Call, call_finished, call_started
from app.realtime.codecs import OutputAudio, WireFormat
from app.realtime.events import RealtimeError, ResponseCreate
from app.realtime.exchange import Exchange
from app.tools.functions import ClientFunctions, route

log = logging.getLogger(__name__)


class Replies:
    """Every exchange that may still change, and the one response in progress."""

    def __init__(self, new_id: Callable[[str], str], voice_rate: int) -> None:
        self._new_id = new_id
        self._voice_rate = voice_rate
        self._exchanges: dict[int, Exchange] = {}
        self._last: Exchange | None = None
        self._pending_item: str | None = None
        self._speech_ms = 0.0
        self.last_item: str | None = None
        """The newest item of the conversation (``previous_item_id`` of the next one)."""
        self.output_format: WireFormat | None = None
        self.auto = True
        """Responses start without ``response.create`` (turn detection with ``create_response``)."""
        self.vad = True
        """Turn detection is on: the speech_started/stopped events are sent."""
        self.interrupt = True
        """A new turn's response supersedes the one in progress (``interrupt_response``; else it starts after it)."""
        self.text_only = False
        """Responses are text (the session's ``output_modalities``), unless their ``response.create`` says."""
        self._offers: dict[int, ClientFunctions] = {}
        """The client's functions each turn was offered: its words say whether it calls one."""

    # -------------------------------------------------------------- native messages in

    def native(self, message: p.Message) -> list[dict[str, Any]]:
        """The Realtime events for one message the node would send a native client."""
        if isinstance(message, p.SpeechStarted):
            self._pending_item, self._speech_ms = self._new_id("item"), message.at_ms
            return [ev.speech_started(message.at_ms, self._pending_item)] if self.vad else []
        if isinstance(message, p.SpeechStopped | p.Error):
            return self._committed(message) if isinstance(message, p.SpeechStopped) else self._error(message)
        turn_id = getattr(message, "turn_id", None)
        if not isinstance(message, p.Transcript | p.ReplyDelta | p.ReplyDone | p.Interrupted) or turn_id is None:
            return []  # timers, timings, history: nothing in this protocol
        exchange = self._exchanges.get(turn_id)
        if exchange is None and not isinstance(message, p.ReplyDelta):
            return []
        if exchange is None:
            exchange = self._track(Exchange(turn_id, None, claimed=True))  # the node's own turn (an alert)
        if exchange.done and not isinstance(message, p.Interrupted):
            return []  # its response was closed early (superseded): the rest is not shown
        if not exchange.claimed and not isinstance(message, p.Transcript):
            exchange.held.append(message)
            if isinstance(message, p.ReplyDone):
                self._abandon(exchange, message)
            return []
        return self._on(exchange, message)

    def audio(self, frame: p.ReplyAudio) -> list[dict[str, Any]]:
        """A frame of reply audio (PCM16 at the voice's rate)."""
        exchange = self._exchanges.get(frame.turn_id)
        if exchange is None or exchange.done:
            return []
        if not exchange.claimed:
            exchange.held.append(frame)  # type: ignore[arg-type]
            return []
        events = self._start(exchange)
        reply = exchange.reply
        assert reply is not None
        reply.voice_samples += len(frame.pcm) // 2
        if reply.text:
            return events  # the words went as text; the samples still say how far the reply got
        data = reply.audio.convert(frame.pcm)
        return events + ev.audio_delta(reply, data)

    def typed(self, turn_id: int, item_id: str) -> None:
        """The client's text message ``item_id`` is answered by turn ``turn_id``."""
        self._track(Exchange(turn_id, item_id, typed=True))
        self.last_item = item_id

    def function_call(self, turn_id: int, call: Call) -> list[dict[str, Any]]:
        """Turn ``turn_id`` is answered by ``call``: its response shows it (once claimed)."""
        exchange = self._exchanges.get(turn_id)
        if exchange is None or exchange.done or exchange.reply is not None:
            if exchange is not None and not exchange.done:  # tools changed between its start and its words
                log.warning("turn %d: a function call came after its audio response started; not shown", turn_id)
            return []
        exchange.call = call
        return self._start(exchange) if exchange.claimed else []

    def offered(self, turn_id: int, offer: ClientFunctions) -> None:
        """Turn ``turn_id`` is offered the client's functions ``offer``."""
        self._offers[turn_id] = offer
        for old in list(self._offers)[:-8]:  # a turn that never got its words (talked over)
            del self._offers[old]

    def answering(self, turn_id: int, asked: ResponseCreate, user_item: str | None) -> None:
        """Turn ``turn_id`` is the response ``asked`` for: from the latest function outputs (after
        ``user_item``), or from the history alone (``user_item`` None)."""
        self.check_idle(asked.event_id)
        self._track(Exchange(turn_id, user_item, typed=True, claimed=True, asked=True, text=asked.text_only,
                             metadata=asked.metadata))

    def check_idle(self, event_id: str | None) -> None:
        """RealtimeError if a response is in progress (one at a time)."""
        last = self._last
        if last is not None and last.claimed and not last.done:
            raise RealtimeError(
                "conversation_already_has_active_response",
                "Conversation already has an active response in progress",
                event_id=event_id,
            )

    def exchange_of(self, item_id: str) -> Exchange | None:
        """The tracked exchange whose user or response item is ``item_id``, if any."""
        return next((x for x in self._exchanges.values() if item_id in (x.user_item, x.reply and x.reply.item_id)),
                    None)

    # -------------------------------------------------------------- the client's requests

    def claim(self, event_id: str | None, text: bool | None = None, metadata: dict[str, str] | None = None
              ) -> list[dict[str, Any]] | None:
        """``response.create``: show the response to the latest input (``text``: in text; None: the
        session's); None when there is none waiting (the latest input has its response)."""
        self.check_idle(event_id)
        last = self._last
        if last is None or last.claimed or last.user_item is None:
            return None
        last.claimed = last.asked = True
        last.text, last.metadata = text, metadata
        if last.transcript == "":  # heard as noise: an empty response, as asked
            last.done = True
            events = self._start(last)
            return events + ev.response_closed(last.reply, "completed")
        held, last.held = last.held, []
        events = self._start(last) if (last.transcript and not last.calls) or last.ended or last.call else []
        for message in held:
            events += self.audio(message) if isinstance(message, p.ReplyAudio) else self._on(last, message)
        return events

    def cancel(self, event_id: str | None, response_id: str | None) -> p.Interrupt:
        """``response.cancel``: the native interrupt that stops the active response where it is (the
        one started, when the next waits for it: ``interrupt_response`` false)."""
        last = next((x for x in self._exchanges.values() if x.reply and not x.done and x.claimed), self._last)
        active = last is not None and last.claimed and not last.done and last.stopping is None
        if not active or (response_id and (last.reply is None or last.reply.id != response_id)):
            raise RealtimeError("response_cancel_not_active", "Cancellation failed: no active response found",
                                event_id=event_id)
        assert last is not None
        last.stopping = "cancel"
        samples = last.reply.voice_samples if last.reply is not None else 0
        return p.Interrupt(turn_id=last.turn_id, played_ms=1000.0 * samples / self._voice_rate)

    def truncate(self, event_id: str | None, item_id: str, audio_end_ms: int) -> p.Interrupt:
        """``conversation.item.truncate``: the native interrupt keeping only what was heard."""
        exchange = next(
            (x for x in self._exchanges.values() if x.reply and not x.call and x.reply.item_id == item_id), None
        )
        if exchange is None or exchange.reply is None:
            raise RealtimeError("item_not_found", f"no assistant audio item {item_id[:64]!r} to truncate",
                                param="item_id", event_id=event_id)
        sent_ms = 1000.0 * exchange.reply.voice_samples / self._voice_rate
        if audio_end_ms > sent_ms + 1:
            raise RealtimeError("invalid_value", f"audio_end_ms {audio_end_ms} is beyond the item's audio "
                                f"({sent_ms:.0f} ms)", param="audio_end_ms", event_id=event_id)
        exchange.stopping = "truncate"
        return p.Interrupt(turn_id=exchange.turn_id, played_ms=float(audio_end_ms))

    # -------------------------------------------------------------- inside

    def _track(self, exchange: Exchange) -> Exchange:
        self._exchanges[exchange.turn_id] = self._last = exchange
        for turn_id in [t for t, x in self._exchanges.items() if x.done and x is not exchange][:-4]:
            del self._exchanges[turn_id]  # a few answered ones stay, for a late truncate
        return exchange

    def _committed(self, message: p.SpeechStopped) -> list[dict[str, Any]]:
        item = self._pending_item or self._new_id("item")
        self._pending_item = None
        self._track(Exchange(message.turn_id, item, claimed=self.auto, started_ms=message.at_ms - self._speech_ms))
        previous, self.last_item = self.last_item, item
        return ev.user_committed(item, previous, message.at_ms if self.vad else None)

    def _on(self, exchange: Exchange, message: p.Message) -> list[dict[str, Any]]:
        if isinstance(message, p.Transcript):
            return self._transcript(exchange, message)
        if isinstance(message, p.ReplyDelta):
            events = self._start(exchange)
            assert exchange.reply is not None
            exchange.reply.transcript += message.text
            reply = exchange.reply
            delta = ev.part_event(reply.delta_type, reply.id, reply.item_id, delta=message.text)
            return [*events, delta]
        if isinstance(message, p.Interrupted):
            if exchange.stopping != "truncate" or exchange.reply is None:
                return []
            return [
                {
                    "type": "conversation.item.truncated",
                    "item_id": exchange.reply.item_id,
                    "content_index": 0,
                    "audio_end_ms": int(message.played_ms),
                }
            ]
        assert isinstance(message, p.ReplyDone)
        return self._finish(exchange, message)

    def _transcript(self, exchange: Exchange, message: p.Transcript) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        replaced = self._exchanges.get(message.replaces_turn) if message.replaces_turn is not None else None
        if replaced is not None and replaced.user_item is not None:  # the user had only paused
            events.append({"type": "conversation.item.deleted", "item_id": replaced.user_item})
            if replaced.reply is not None:  # its reply, shown, leaves the history with it
                events.append({"type": "conversation.item.deleted", "item_id": replaced.reply.item_id})
        exchange.transcript = message.text
        # The runner routes the same words the same way: a call's response starts at the call.
        exchange.calls = route(message.text, self._offers.pop(message.turn_id, None)) is not None
        if not exchange.typed and exchange.user_item is not None:
            events += ev.user_transcribed(exchange.user_item, message.text, exchange.started_ms)
        if not message.text:  # noise, an echo, a "mhmm": the node does not answer it
            exchange.done = exchange.claimed
            if exchange.asked:
                events += self._start(exchange) + ev.response_closed(exchange.reply, "completed")
        elif exchange.claimed and (self.interrupt or not any(x.reply and not x.done for x in self._exchanges.values())):
            events += self._supersede(exchange) + ([] if exchange.calls else self._start(exchange))
        return events

    def _supersede(self, new: Exchange) -> list[dict[str, Any]]:
        """One response at a time: the node stops the reply before a new turn's (its ``reply_done``
        follows), and the client hears of it before the new ``response.created``."""
        events: list[dict[str, Any]] = []
        for old in self._exchanges.values():
            if old is not new and old.reply is not None and not old.done:
                old.done = True
                events += self._close(old, "cancelled", "turn_detected")
        return events

    def _start(self, exchange: Exchange) -> list[dict[str, Any]]:
        if exchange.reply is not None:
            return []
        assert self.output_format is not None
        audio = OutputAudio(self._voice_rate, self.output_format)
        call = exchange.call
        text = self.text_only if exchange.text is None else exchange.text
        reply = exchange.reply = ev.Reply(self._new_id("resp"), call.item_id if call else self._new_id("item"), audio,
                                          text=text, metadata=exchange.metadata)
        previous, self.last_item = self.last_item, reply.item_id
        return call_started(reply, call, previous) if call else ev.response_started(reply, previous)

    def _close(self, exchange: Exchange, status: str, reason: str | None) -> list[dict[str, Any]]:
        assert exchange.reply is not None
        if exchange.call is not None:
            return call_finished(exchange.reply, exchange.call, status, reason)
        return ev.response_finished(exchange.reply, status, reason)

    def _finish(self, exchange: Exchange, message: p.ReplyDone) -> list[dict[str, Any]]:
        events = self._start(exchange)
        if exchange.failed:
            status, reason = "failed", None
        elif message.interrupted:
            status, reason = "cancelled", "client_cancelled" if exchange.stopping else "turn_detected"
        elif message.truncated:
            status, reason = "incomplete", "max_output_tokens"
        else:
            status, reason = "completed", None
        exchange.done = True
        return events + self._close(exchange, status, reason)

    def _abandon(self, exchange: Exchange, message: p.ReplyDone) -> None:
        """An unclaimed turn ended: kept for a late ``response.create`` unless it was talked over."""
        exchange.ended = True
        if message.interrupted:
            exchange.held.clear()
            exchange.claimed = exchange.done = True  # nothing left to claim

    def _error(self, message: p.Error) -> list[dict[str, Any]]:
        if message.turn_id in self._exchanges:
            self._exchanges[message.turn_id].failed = True
        server = message.code in (p.ErrorCode.STAGE_FAILED, p.ErrorCode.INTERNAL)
        kind = "server_error" if server else "invalid_request_error"
        return [ev.error(RealtimeError(str(message.code), message.message, kind=kind))]
