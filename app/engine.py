"""Loads every model once, warms them up, and runs their blocking calls off the event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from app import faults
from app.config import ServerSettings
from app.stages.base import ChatModel, SpeechSynthesizer, SpeechToText, TurnDetector

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Engine:
    """The shared, thread-safe model stages of one server process."""

    stt: SpeechToText
    llm: ChatModel
    tts: SpeechSynthesizer
    turn: TurnDetector | None = None
    """End-of-turn model; None when the manifest has none (endpointing then uses words only)."""
    info: dict[str, Any] = field(default_factory=dict)
    """Loaded model names, versions and file hashes (reported on /info)."""
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(8, thread_name_prefix="stage"))
    """Runs first-audio work: STT, the turn model, the first clause's TTS."""
    bulk_nice: int = 10
    bulk_executor: ThreadPoolExecutor | None = None
    """Runs the rest of each reply at lower OS priority (see ``ModelSettings.bulk_nice``)."""

    def __post_init__(self) -> None:
        if self.bulk_executor is None:
            self.bulk_executor = ThreadPoolExecutor(
                4, thread_name_prefix="bulk", initializer=lower_priority, initargs=(self.bulk_nice,)
            )

    @classmethod
    def load(cls, settings: ServerSettings, *, rehash: bool = False) -> Engine:
        """Resolve the manifest's default models, load and warm them up (blocking, seconds).

        ``rehash`` re-verifies every file's sha256 instead of trusting the placement stamps
        (a rollout does this: a node must never start serving bytes it has not checked).
        """
        from app.models import ModelError, load_manifest, resolve_defaults, verify
        from app.stages.llm import LlamaChat
        from app.stages.stt import WhisperStt
        from app.stages.tts import PiperTts
        from app.stages.turn_detector import SmartTurn

        ms = settings.models
        manifest = load_manifest(ms.manifest).with_profile(ms.profile)
        if rehash:
            problems = verify(manifest, ms.models_dir)
            if problems:
                raise ModelError("verification failed: " + "; ".join(problems))
        resolved = resolve_defaults(manifest, ms.models_dir)
        started = time.monotonic()
        stt = WhisperStt(resolved.stt_dir, threads=ms.stt_threads)
        llm = LlamaChat(
            resolved.llm_path,
            instances=ms.llm_instances,
            threads=ms.llm_threads,
            threads_alone=ms.llm_threads_alone,
            n_ctx=ms.llm_context_tokens,
            max_tokens=settings.reply.max_reply_tokens + settings.reply.sentence_overrun_tokens,
            temperature=settings.reply.temperature,
        )
        tts = PiperTts(resolved.tts_model_path, resolved.tts_config_path, threads=ms.tts_threads)
        turn = SmartTurn(resolved.turn_model_path) if resolved.turn_model_path else None
        loaded = time.monotonic()
        # Warm-up: the first call of each library pays one-off costs (allocations, kernel
        # selection, prompt evaluation) that no user should see.
        stt.transcribe(np.zeros(16_000, dtype=np.int16), window_s=2)
        llm.warm_up(settings.reply.system_prompt)
        tts.synthesize("Hello there.")
        if turn is not None:
            turn.predict(np.zeros(16_000, dtype=np.int16))
        log.info(
            "models loaded in %.1f s, warmed up in %.1f s (manifest %s)",
            loaded - started,
            time.monotonic() - loaded,
            resolved.manifest_version,
        )
        plan = faults.parse(os.environ.get("EDGE_VOICE_FAULTS", ""))
        return cls(stt=faults.wrap("stt", stt, plan), llm=faults.wrap("llm", llm, plan),
                   tts=faults.wrap("tts", tts, plan), turn=faults.wrap("turn", turn, plan), info=resolved.as_dict(),
                   bulk_nice=ms.bulk_nice)

    async def run(self, fn: Callable[..., T], *args: Any, bulk: bool = False, **kwargs: Any) -> T:
        """Run a blocking stage call in a worker thread (``bulk``: at lower priority)."""
        loop = asyncio.get_running_loop()
        executor = self.bulk_executor if bulk else self.executor
        return await loop.run_in_executor(executor, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        """Stop the worker threads (waits for calls in flight)."""
        for executor in (self.executor, self.bulk_executor):
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

    def close_in_background(self) -> None:
        """Release a retired engine without blocking the event loop."""
        for executor in (self.executor, self.bulk_executor):
            if executor is not None:
                executor.shutdown(wait=False)


def lower_priority(nice: int) -> None:
    """Lower the calling thread's OS priority by ``nice`` (Linux: per thread). Raising niceness
    needs no privilege; a platform without per-thread priorities just keeps the default."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError as exc:
        log.debug("cannot lower thread priority: %s", exc)
