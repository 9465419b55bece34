"""The OpenAI Realtime protocol over the node's conversation, sans-I/O.

:class:`RealtimeSession` wraps one native :class:`~app.conversation.Session` and translates both
ways: Realtime client events become the session's inputs (16 kHz audio, ``commit``, ``interrupt``
with ``played_ms``, a typed user turn), and the effects it returns have their native messages
turned into Realtime server events (:class:`SendEvent`). The native messages are kept as
:class:`Observe` effects for the connection's bookkeeping (metrics, the session's registration),
never sent. Turn-taking is the node's: with turn detection on, its predictive endpointing ends
the user's turn; with it off, the audio is held until the client commits it. The client's
functions ride on each user turn's ``StartTurn``; a turn that calls one comes back as a
``CallFunction`` effect (its response, ``calls.py``), and the function's output is answered by a
native turn with ``results``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from app import protocol as p
from app.chat import ChatMessage
from app.conversation import CallFunction, CloseConnection, Effect, Send, SendAudio, Session, StartTurn
from app.conversation.rate_limit import TokenBucket
from app.realtime import events as rt
from app.realtime import server_events as ev
from app.realtime.calls import Calls
from app.realtime.codecs import PCM24, InputAudio
from app.realtime.config import DEFAULT_TURN_DETECTION, TurnDetection, describe
from app.realtime.deletion import deletable, history_entry
from app.realtime.errors import RealtimeError
from app.realtime.held_audio import MAX_HELD_MS, HeldAudio
from app.realtime.items import Items
from app.realtime.mirror import NativeMirror
from app.realtime.outputs import Observe, SendEvent
from app.realtime.responses import Replies
from app.realtime.tools import check_choice
from app.realtime.turn_detection import endpointing_for
from app.tools.functions import ClientFunctions, Function

log = logging.getLogger(__name__)

FEED_SAMPLES = p.MAX_AUDIO_FRAME_BYTES // 2
"""Largest piece of 16 kHz audio handed to the session at once (its frame limit)."""
__all__ = ["MAX_HELD_MS", "Observe", "RealtimeSession", "SendEvent"]


class RealtimeSession(NativeMirror):
    """One Realtime session over one native session; the same entry points as ``Session``."""

    def __init__(self, session: Session, *, voice_rate: int, model: str = "", max_texts_per_s: int = 20) -> None:
        """``voice_rate``: the reply audio's rate (Hz); ``model``: the name the client asked for."""
        self._inner = session
        self._model = model or "edge-node"
        self._count = 0
        self.instructions = ""
        self.input = InputAudio(PCM24)
        self.turn_detection: TurnDetection | None = DEFAULT_TURN_DETECTION
        self.replies = Replies(self._new_id, voice_rate)
        self.replies.output_format = PCM24
        self.items = Items()
        self.tools: tuple[Function, ...] = ()
        self.tool_choice = "auto"
        self.calls = Calls(self._new_id)
        self._held = HeldAudio()
        self._max_texts = max_texts_per_s
        self._texts = TokenBucket(max_texts_per_s, 2 * max_texts_per_s)
        self._prompted_up_to = 0
        """The newest turn whose ``StartTurn`` has its prompt (the connection translates what it is given again)."""

    # -------------------------------------------------------------- entry points

    def start(self, now: float) -> list[Effect | SendEvent | Observe]:
        """Open the native session (its ``hello``); answered by ``session.created``."""
        hello = p.Hello(client="openai-realtime").encode()
        return self.translate(self._inner.receive_text(hello, now))

    def receive_text(self, text: str | bytes, now: float) -> list[Effect | SendEvent | Observe]:
        """Handle one Realtime client event received at monotonic time ``now`` (s)."""
        try:
            event = rt.parse(text)
            if isinstance(event, rt.Append):
                return self.receive_audio(event.audio, now)
            if not self._texts.take(now):
                limited = RealtimeError("rate_limited", f"more than {self._max_texts} control events a second")
                return [self._emit(ev.error(limited)), CloseConnection(p.CloseCode.POLICY_VIOLATION, "rate_limited")]
            return self._handle(event, now)
        except RealtimeError as exc:
            log.info("realtime event refused: %s", exc.code)
            return [self._emit(ev.error(exc))]
        except Exception as exc:  # a bug: reported, and the session goes on (as the native ladder does)
            log.error("internal error", exc_info=exc)
            internal = RealtimeError("internal", "internal error; the session goes on", kind="server_error")
            return [self._emit(ev.error(internal))]

    def receive_audio(self, data: bytes, now: float) -> list[Effect | SendEvent | Observe]:
        """The audio of one ``input_audio_buffer.append`` (wire bytes of the input format)."""
        try:
            samples = self.input.convert(data)
            if self.turn_detection is None:
                self._held.add(samples)
                return []
        except ValueError as exc:
            return [self._emit(ev.error(RealtimeError("invalid_value", str(exc), param="audio")))]
        except RealtimeError as exc:
            return [self._emit(ev.error(exc))]
        return self._feed(samples, now)

    # -------------------------------------------------------------- translating the session's effects

    def translate(self, effects: Sequence[Effect | SendEvent | Observe], asked: rt.ResponseCreate | None = None
                  ) -> list[Effect | SendEvent | Observe]:
        """Native messages and audio as Realtime events; a turn's prompt gets the instructions (of the
        response ``asked`` for it, if any, else the session's), the client's functions and its modality;
        a function call becomes its response. Translated effects pass unchanged."""
        out: list[Effect | SendEvent | Observe] = []
        for effect in effects:
            if isinstance(effect, Send):
                out.append(Observe(effect.message))
                if isinstance(effect.message, p.Ready):
                    out.append(self._emit({"type": "session.created", "session": self._description()}))
                else:
                    out += [self._emit(e) for e in self.replies.native(effect.message)]
            elif isinstance(effect, SendAudio):
                out += [self._emit(e) for e in self.replies.audio(effect.frame)]
            elif isinstance(effect, StartTurn) and effect.say is None and effect.turn_id > self._prompted_up_to:
                self._prompted_up_to = effect.turn_id  # turn ids only grow: translated effects pass unchanged
                out.append(self._prompted(effect, asked))
            elif isinstance(effect, CallFunction):
                call = self.calls.made(effect.name, effect.arguments)
                out += [self._emit(e) for e in self.replies.function_call(effect.turn_id, call)]
            else:
                out.append(effect)
        return out

    # -------------------------------------------------------------- the client's events

    def _handle(self, event: rt.ClientEvent, now: float) -> list[Effect | SendEvent | Observe]:
        if isinstance(event, rt.SessionUpdate):
            return self._update(event, now)
        if isinstance(event, rt.Commit):
            return self._commit(event, now)
        if isinstance(event, rt.Clear):
            self._inner.skip_audio(self._held.take().shape[0])  # it was the user's time all the same
            return [self._emit({"type": "input_audio_buffer.cleared"})]
        if isinstance(event, rt.ItemCreate):
            return self._user_text(event, now)
        if isinstance(event, rt.FunctionOutput):
            return self._function_output(event)
        if isinstance(event, rt.Delete):
            return self._delete(event)
        if isinstance(event, rt.Retrieve):
            return [self._emit(self.items.retrieve(event.event_id, event.item_id))]
        if isinstance(event, rt.Truncate):
            return self._native(self.replies.truncate(event.event_id, event.item_id, event.audio_end_ms), now)
        if isinstance(event, rt.ResponseCreate):
            return self._respond(event, now)
        assert isinstance(event, rt.ResponseCancel)
        return self._native(self.replies.cancel(event.event_id, event.response_id), now)

    def _update(self, update: rt.SessionUpdate, now: float) -> list[Effect | SendEvent | Observe]:
        out: list[Effect | SendEvent | Observe] = []
        tools = update.tools if update.changes("tools") else self.tools
        choice = update.tool_choice if update.changes("tool_choice") else self.tool_choice
        check_choice(choice, tools, update.event_id)  # before anything changes
        self.tools, self.tool_choice = tools, choice
        if update.changes("instructions"):
            self.instructions = update.instructions
        if update.changes("input_format") and update.input_format != self.input.format:
            self.input = InputAudio(update.input_format)
        if update.changes("text_only"):
            self.replies.text_only = update.text_only  # from the next response on
        if update.changes("output_format"):
            self.replies.output_format = update.output_format  # from the next response on
        if update.changes("turn_detection"):
            if update.turn_detection is not None and self.turn_detection is None:
                out += self._feed(self._held.take(), now)  # held audio goes to the endpointing now
            self.turn_detection = update.turn_detection
            interrupt = update.turn_detection is None or update.turn_detection.interrupt_response
            endpoint = endpointing_for(self.turn_detection, self._inner.node_endpoint)
            self._inner.use_endpointing(endpoint, barge_in=interrupt)
            self.replies.interrupt = interrupt
        detection = self.turn_detection
        self.replies.vad = detection is not None
        self.replies.auto = detection is not None and detection.create_response
        return [*out, self._emit({"type": "session.updated", "session": self._description()})]

    def _commit(self, commit: rt.Commit, now: float) -> list[Effect | SendEvent | Observe]:
        out: list[Effect | SendEvent | Observe] = []
        if self.turn_detection is None:
            out += self._feed(self._held.take_for_commit(commit.event_id), now)
        out += self.translate(self._inner.receive_text(p.Commit().encode(), now))
        if not any(isinstance(e, SendEvent) and e.event["type"] == "input_audio_buffer.committed" for e in out):
            empty = "no speech to commit: the buffer holds no speech the node has not committed yet"
            out.append(self._emit(ev.error(RealtimeError("input_audio_buffer_commit_empty", empty,
                                                         event_id=commit.event_id))))
        return out

    def _user_text(self, item: rt.ItemCreate, now: float) -> list[Effect | SendEvent | Observe]:
        effects = self._inner.receive_user_text(item.text, now)
        start = next((e for e in effects if isinstance(e, StartTurn)), None)
        if start is None:  # refused (an error effect says why)
            return self.translate(effects)
        item_id = item.item_id or self._new_id("item")
        previous = self.replies.last_item
        self.replies.typed(start.turn_id, item_id)
        user = ev.user_text_item(item_id, item.text)
        return [
            self._emit({"type": "conversation.item.added", "previous_item_id": previous, "item": user}),
            self._emit({"type": "conversation.item.done", "previous_item_id": previous, "item": user}),
            *self.translate(effects),
        ]

    def _function_output(self, event: rt.FunctionOutput) -> list[Effect | SendEvent | Observe]:
        _call, item = self.calls.returned(event)
        previous, self.replies.last_item = self.replies.last_item, item["id"]
        return [self._emit({"type": f"conversation.item.{kind}", "previous_item_id": previous, "item": item})
                for kind in ("added", "done")]

    def _delete(self, event: rt.Delete) -> list[Effect | SendEvent | Observe]:
        """``conversation.item.delete``: the message leaves the native history (and the store)."""
        item = deletable(event.event_id, event.item_id, self.items, self.replies)
        previous, later = self.items.around(event.item_id)
        entry = history_entry(item, later, self.history)
        effects = self.translate(self._inner.delete_message(entry)) if entry is not None else []
        if self.replies.last_item == event.item_id:
            self.replies.last_item = previous
        return [*effects, self._emit({"type": "conversation.item.deleted", "item_id": event.item_id})]

    def _respond(self, event: rt.ResponseCreate, now: float) -> list[Effect | SendEvent | Observe]:
        """``response.create``: a turn that speaks from the functions' outputs, if any came since
        the last response; else the response to the latest input; else, with nothing new to answer,
        a turn that answers from the history alone (a greeting)."""
        calls = self.calls.unanswered()
        if not calls:
            claimed = self.replies.claim(event.event_id, event.text_only, event.metadata)
            if claimed is not None:
                return [self._emit(e) for e in claimed]
        self.replies.check_idle(event.event_id)
        if calls:
            effects = self._inner.receive_function_results([call.result() for call in calls], now)
        else:
            effects = self._inner.respond(now)
        start = next((e for e in effects if isinstance(e, StartTurn)), None)
        if start is not None:
            self.replies.answering(start.turn_id, event, self.replies.last_item if calls else None)
            for call in calls:
                call.answered = True
        return self.translate(effects, event)

    def _prompted(self, start: StartTurn, asked: rt.ResponseCreate | None) -> StartTurn:
        """A turn's prompt gets the instructions (its response's, else the session's) and is spoken
        unless its response is text; a user's turn is offered the client's functions."""
        instructions = self.instructions if asked is None or asked.instructions is None else asked.instructions
        system = (ChatMessage("system", instructions),) if instructions else ()
        unheard = start.results or start.from_history
        offer = ClientFunctions(self.tools, self.tool_choice) if self.tools and not unheard else None
        if offer is not None:
            self.replies.offered(start.turn_id, offer)
        text = self.replies.text_only if asked is None or asked.text_only is None else asked.text_only
        return dataclasses.replace(start, history=(*system, *start.history), functions=offer, speak=not text)

    def _native(self, message: p.Message, now: float) -> list[Effect | SendEvent | Observe]:
        return self.translate(self._inner.receive_text(message.encode(), now))

    def _feed(self, samples: np.ndarray, now: float) -> list[Effect | SendEvent | Observe]:
        out: list[Effect | SendEvent | Observe] = []
        for start in range(0, samples.shape[0], FEED_SAMPLES):
            piece = samples[start : start + FEED_SAMPLES].astype("<i2", copy=False).tobytes()
            out += self.translate(self._inner.receive_audio(piece, now))
        return out

    # -------------------------------------------------------------- events out

    def _new_id(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self.id[:8]}{self._count:06d}"

    def _emit(self, event: dict[str, Any]) -> SendEvent:
        self.items.seen(event)
        return SendEvent({**event, "event_id": self._new_id("event")})

    def _description(self) -> dict[str, Any]:
        output = self.replies.output_format or PCM24
        return describe(self.id, self._model, self.instructions, self.input.format, output, self.turn_detection,
                        self.tools, self.tool_choice, self.replies.text_only)
