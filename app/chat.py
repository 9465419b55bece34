"""The conversation's unit of text, shared by the session, the store and the language model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str
    """"system", "user" or "assistant"."""
    content: str
