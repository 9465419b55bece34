"""The narrow protocols each pipeline stage satisfies, and the one error type they raise.

Adapters wrap blocking libraries; their methods are *blocking* and are called from worker
threads by the turn runner, never on the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.chat import ChatMessage


class StageError(Exception):
    """A model stage failed; ``stage`` is "vad", "stt", "turn", "llm" or "tts".

    Adapters raise it through ``app.stages.errors.stage_errors``, which maps library errors."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage = stage


class VoiceActivityDetector(Protocol):
    def is_speech(self, frame: np.ndarray) -> bool:
        """Whether a 20 ms frame of 16 kHz int16 samples holds speech."""
        ...


@dataclass(frozen=True, slots=True)
class TranscriptResult:
    text: str
    """Transcript, stripped; empty when nothing intelligible was said."""
    audio_ms: float
    """Duration of the transcribed audio, in ms."""


class SpeechToText(Protocol):
    def transcribe(self, audio: np.ndarray, *, window_s: float | None) -> TranscriptResult:
        """Transcribe 16 kHz int16 audio. ``window_s`` sizes the encoder window (None: Whisper's 30 s)."""
        ...


class TurnDetector(Protocol):
    def predict(self, audio: np.ndarray) -> float:
        """P(the speaker has finished) for 16 kHz int16 audio that ends now, in [0, 1]."""
        ...


class ChatModel(Protocol):
    @property
    def estimates_end_of_turn(self) -> bool:
        """Whether ``stream_reply`` calls its ``end_of_turn`` callback."""
        ...

    def stream_reply(
        self, messages: Sequence[ChatMessage], *, cancel: threading.Event, affinity: str,
        end_of_turn: Callable[[float], None] | None = None, avoid: Sequence[str] = (),
    ) -> Iterator[str]:
        """Yield reply text deltas; stop early once ``cancel`` is set.

        ``affinity`` names the conversation, so an implementation with several contexts can keep
        each conversation's prefix evaluated in the same one. ``end_of_turn``, if given, is called
        once before the first delta with P(the user's last message is complete) as the model reads
        it: its probability of ending the message right after the words (final punctuation, which
        the transcriber only guesses, removed). An implementation that cannot tell never calls it.
        ``avoid``: texts whose words the reply must not open with, all of them (a copy, generated again
        differently where the implementation can; see app/stages/openings.py).
        """
        ...

    def function_arguments(
        self, messages: Sequence[ChatMessage], schema: Mapping[str, Any], *, cancel: threading.Event,
        affinity: str, end_of_turn: Callable[[float], None] | None = None,
    ) -> str:
        """The arguments of a function call that answers ``messages``: one JSON object, as text,
        its decoding constrained by the function's JSON ``schema`` (a StageError if the model
        wrote no complete object). ``cancel``, ``affinity`` and ``end_of_turn`` as for
        ``stream_reply`` (the estimate reads the last user message)."""
        ...

    def prefill(self, messages: Sequence[ChatMessage], *, affinity: str) -> None:
        """Evaluate ``messages`` into the conversation's context ahead of its next turn, if that
        context is free (else do nothing): a reply the model did not generate itself, such as
        a tool's, is then no longer evaluated in the user's wait."""
        ...


class SpeechSynthesizer(Protocol):
    @property
    def sample_rate(self) -> int:
        """Output sample rate in Hz."""
        ...

    def synthesize(self, text: str) -> np.ndarray:
        """Speak ``text``; return int16 mono samples at ``sample_rate``."""
        ...
