"""Shared parts of the end-to-end tests that drive Realtime clients (the openai SDK, Pipecat,
LiveKit) against a real node: the node itself (real models, a static token), spoken questions,
the stored history once it is saved, and (from ``realtime_audio``) how a reply's audio is heard back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from client.benchmark.make_example import write_example
from client.benchmark.prompts import PromptSynth
from tests.conftest import ServerProcess, start_server
from tests.e2e.realtime_audio import JFK_PHRASE, RATE, TOKEN, heard, intelligible, normalize, recording, stored_history

__all__ = [
    "JFK_PHRASE",
    "RATE",
    "TOKEN",
    "heard",
    "intelligible",
    "normalize",
    "realtime_node",
    "recording",
    "saved_history",
    "spoken_question",
    "stored_history",
    "with_silence",
]


def realtime_node(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[ServerProcess]:
    """A real node that accepts :data:`TOKEN` and keeps its sessions in SQLite (for the history
    checks); yields it, then stops it. ``name`` names its temporary folder."""
    directory = tmp_path_factory.mktemp(name)
    tokens = directory / "tokens.txt"
    tokens.write_text(f"{TOKEN}\n")
    srv = start_server(
        directory / "node.log", "--api-token-file", str(tokens), "--store", f"sqlite:///{directory / 'sessions.db'}"
    )
    yield srv
    srv.stop()


def spoken_question(tmp_path_factory: pytest.TempPathFactory, text: str | None = None) -> Path:
    """``text`` spoken in the node's voice, 16 kHz WAV. By default "What time is it in Tokyo right
    now?": the clock tool answers it, so the reply is checkable whatever the language model says."""
    directory = tmp_path_factory.mktemp("question")
    path, _ = write_example(directory / "question.wav", PromptSynth(directory / "cache"), text)
    return path


def with_silence(pcm: np.ndarray, seconds: float, rate: int = RATE) -> np.ndarray:
    """``pcm`` (int16) followed by ``seconds`` of digital silence: the pause that ends a turn."""
    return np.concatenate([pcm, np.zeros(int(seconds * rate), dtype=np.int16)])


async def saved_history(
    node: ServerProcess, session_id: str, ready: Callable[[list[dict[str, str]]], bool], timeout_s: float = 5.0
) -> list[dict[str, str]]:
    """The node's stored conversation for ``session_id`` (``sess_`` or not) once ``ready`` says
    so: the node saves off its event loop, so the last change may land just after the client
    closed. Returns what is stored at ``timeout_s`` if it never is."""
    deadline = time.monotonic() + timeout_s
    while True:
        history = await stored_history(node, session_id.removeprefix("sess_"))
        if ready(history) or time.monotonic() > deadline:
            return history
        await asyncio.sleep(0.2)
