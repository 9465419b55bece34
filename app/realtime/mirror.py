"""What a Realtime session passes straight through to the native session it wraps: the reads the
connection makes, and the entry points whose effects need only translating."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.chat import ChatMessage
from app.conversation import Effect, Session, TurnEvent
from app.conversation.handshake import Phase
from app.realtime.outputs import Observe, SendEvent
from app.tools import ToolContext

Output = Effect | SendEvent | Observe
"""What a Realtime session's entry points return."""


class NativeMirror:
    """The part of ``RealtimeSession`` that mirrors ``Session``; ``translate`` is the subclass's."""

    _inner: Session

    def translate(self, effects: Sequence[Output]) -> list[Output]:
        raise NotImplementedError

    @property
    def id(self) -> str:
        return self._inner.id

    @property
    def phase(self) -> Phase:
        return self._inner.phase

    @property
    def pipeline(self) -> str:
        return self._inner.pipeline

    def tool_context(self, now_s: float) -> ToolContext:
        return self._inner.tool_context(now_s)

    @property
    def history(self) -> list[ChatMessage]:
        return self._inner.history

    def turn_event(self, event: TurnEvent, now: float) -> list[Output]:
        """What a running turn produced, at monotonic ``now`` (s); the rest mirror ``Session``'s."""
        return self.translate(self._inner.turn_event(event, now))

    def resumed(
        self,
        history: Sequence[ChatMessage] | None,
        timers: Sequence[Mapping[str, object]] = (),
        *,
        unreadable: bool = False,
        foreign: bool = False,
    ) -> list[Output]:
        return self.translate(self._inner.resumed(history, timers, unreadable=unreadable, foreign=foreign))

    def wake(self, now_s: float, now: float) -> list[Output]:
        return self.translate(self._inner.wake(now_s, now))

    def close(self) -> list[Output]:
        return self.translate(self._inner.close())
