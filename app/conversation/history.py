"""The conversation history a session answers from, and what of it still has to be saved.

Entries are tracked by identity (``is``), not by value or index: a turn keeps a reference to
its own user and assistant messages, so trimming or merging never touches another turn's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from app.chat import ChatMessage
from app.turn_policy import adds_nothing

log = logging.getLogger(__name__)


class History:
    """An ordered list of user/assistant messages with a change counter."""

    def __init__(self, budget_tokens: int) -> None:
        """``budget_tokens``: estimated tokens of history kept (see ``ReplySettings.history_tokens``)."""
        self._messages: list[ChatMessage] = []
        self._budget = budget_tokens
        self._version = 0
        self._saved_version = 0

    # ------------------------------------------------------------------ reading

    def snapshot(self) -> tuple[ChatMessage, ...]:
        """The messages, oldest first, as an immutable value."""
        return tuple(self._messages)

    def without(self, dropped: Iterable[ChatMessage | None]) -> tuple[ChatMessage, ...]:
        """The messages except the given entries (by identity)."""
        gone = [d for d in dropped if d is not None]
        return tuple(m for m in self._messages if not any(m is d for d in gone))

    def __len__(self) -> int:
        return len(self._messages)

    # ------------------------------------------------------------------ changing

    def load(self, messages: Sequence[ChatMessage]) -> None:
        """Replace everything with what the store holds (already saved). Messages of one role in
        a row (a question whose answer a crash cut off, or one whose refusal was kept out) are
        joined into one, so the history alternates again; nothing said is dropped."""
        joined: list[ChatMessage] = []
        for message in messages:
            if joined and joined[-1].role == message.role:
                joined[-1] = ChatMessage(message.role, f"{joined[-1].content}\n{message.content}")
            else:
                joined.append(message)
        self._messages = joined
        self._version = self._saved_version = self._version + 1

    def append(self, message: ChatMessage) -> ChatMessage:
        """Add ``message`` at the end; returns it (the entry's identity)."""
        self._messages.append(message)
        self._version += 1
        return message

    def add_reply(self, message: ChatMessage, asked: ChatMessage | None = None) -> ChatMessage | None:
        """Add an assistant reply at the end; past the budget, drop the oldest exchanges down to
        half of it, in one step (a planned shrink, rare, instead of a sliding window).

        A reply that adds nothing to the question it answers (``asked``: a refusal, the question's
        words again) is kept out and None returned: see ``turn_policy.adds_nothing``."""
        if asked is not None and adds_nothing(message.content, asked.content):
            log.info("reply kept out of the history: it adds nothing (a refusal or an echo)")
            return None  # the question stays: a later "what did I ask?" still finds it
        self.append(message)
        messages = self._messages
        if sum(estimate_tokens(m) for m in messages) <= self._budget:
            return message
        start, total = len(messages), 0
        while start > 0 and total + estimate_tokens(messages[start - 1]) <= self._budget // 2:
            start -= 1
            total += estimate_tokens(messages[start])
        users = [i for i, m in enumerate(messages) if m.role == "user"]
        start = min([i for i in users if i >= start] or [len(messages)])  # begin with a question
        del messages[: min(start, users[-1] if users else start)]  # always keep the last exchange
        return message

    def replace(self, entry: ChatMessage | None, text: str) -> ChatMessage | None:
        """Rewrite ``entry``'s text (or delete it if ``text`` is empty); returns the new entry,
        or None when it was deleted. An entry that is no longer in the history stays absent."""
        index = self._index(entry)
        if index is None:
            return None
        self._version += 1
        if not text:
            del self._messages[index]
            return None
        updated = self._messages[index] = ChatMessage(self._messages[index].role, text)
        return updated

    def contains(self, entry: ChatMessage | None) -> bool:
        """Whether ``entry`` (by identity) is still in the history."""
        return self._index(entry) is not None

    def remove(self, entries: Iterable[ChatMessage | None]) -> None:
        """Drop the given entries (by identity)."""
        self._messages = list(self.without(entries))
        self._version += 1

    def clear(self) -> None:
        """Forget everything (saved as an empty conversation)."""
        self._messages.clear()
        self._version += 1

    def forget(self) -> None:
        """Forget everything without saving: the stored record is being deleted instead."""
        self._messages.clear()
        self._version += 1
        self._saved_version = self._version

    def touch(self) -> None:
        """Mark as changed, so that even an empty new conversation is stored at once."""
        self._version += 1

    # ------------------------------------------------------------------ saving

    def take_unsaved(self) -> tuple[ChatMessage, ...] | None:
        """The messages if they changed since the last call (then marked saved), else None."""
        if self._version == self._saved_version:
            return None
        self._saved_version = self._version
        return self.snapshot()

    def _index(self, entry: ChatMessage | None) -> int | None:
        if entry is None:
            return None
        return next((i for i, m in enumerate(self._messages) if m is entry), None)


def estimate_tokens(message: ChatMessage) -> int:
    """Tokens ``message`` takes in a prompt, overestimated (3 characters a token, plus the chat
    template's markers), so a budget never overflows the model's context window."""
    return 6 + len(message.content) // 3
