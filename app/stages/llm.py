"""llama-cpp-python adapter: a small pool of contexts with conversation affinity."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.stages.base import ChatMessage
from app.stages.errors import stage_errors

log = logging.getLogger(__name__)


class _Context:
    """One llama.cpp context. Not thread-safe: used by one generation at a time."""

    def __init__(self, index: int, model_path: Path, threads: int, n_ctx: int) -> None:
        from llama_cpp import Llama

        self.index = index
        self.lock = threading.Lock()
        self.llama = Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,  # the same count: switching pool sizes per call stalled here
            n_batch=256,
            verbose=False,
        )


class LlamaChat:
    """Streams chat completions from a GGUF model.

    llama-cpp-python reuses the longest common token prefix with whatever its context last
    evaluated, so the system prompt and the conversation so far stay in the KV cache between
    turns as long as the same conversation returns to the same context. With several contexts
    we route each conversation to the one it used last (affinity), and only take another one
    when that is busy.
    """

    def __init__(self, model_path: Path, *, instances: int = 2, threads: int = 2, n_ctx: int = 2048,
                 max_tokens: int = 80, temperature: float = 0.3) -> None:
        with stage_errors("llm", f"cannot load GGUF model {model_path}"):
            self._contexts = [_Context(i, model_path, threads, n_ctx) for i in range(max(1, instances))]
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._pick_lock = threading.Lock()
        self._affinity: OrderedDict[str, int] = OrderedDict()

    def warm_up(self, system_prompt: str) -> None:
        """Evaluate the system prompt in every context, so no user pays the cold first token."""
        messages = [ChatMessage("system", system_prompt), ChatMessage("user", "Hi")]
        for ctx in self._contexts:
            with ctx.lock:
                for _ in self._generate(ctx, messages, threading.Event(), max_tokens=1):
                    pass

    def stream_reply(
        self, messages: Sequence[ChatMessage], *, cancel: threading.Event, affinity: str
    ) -> Iterator[str]:
        ctx = self._acquire(affinity)
        try:
            yield from self._generate(ctx, messages, cancel, max_tokens=self._max_tokens)
        finally:
            ctx.lock.release()

    def _acquire(self, affinity: str) -> _Context:
        with self._pick_lock:
            preferred = self._affinity.get(affinity)
            order = sorted(self._contexts, key=lambda c: c.index != preferred)
            chosen = next((c for c in order if c.lock.acquire(blocking=False)), None)
        if chosen is None:
            # All busy: queue on the conversation's own context, keeping its prefix cache.
            chosen = order[0]
            log.debug("all %d llama.cpp contexts busy; waiting for context %d", len(order), chosen.index)
            chosen.lock.acquire()
        with self._pick_lock:
            self._affinity[affinity] = chosen.index
            self._affinity.move_to_end(affinity)
            while len(self._affinity) > 1024:
                self._affinity.popitem(last=False)
        return chosen

    def _generate(self, ctx: _Context, messages: Sequence[ChatMessage], cancel: threading.Event,
                  *, max_tokens: int) -> Iterator[str]:
        with stage_errors("llm", f"generation failed in context {ctx.index}"):
            stream = ctx.llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=max_tokens,
                temperature=self._temperature,
                repeat_penalty=1.1,  # SmolLM-class models loop ("They're amazing. They're amazing.")
                stream=True,
            )
            try:
                for chunk in stream:
                    if cancel.is_set():
                        break
                    delta = chunk["choices"][0]["delta"].get("content")
                    if delta:
                        yield delta
            finally:
                stream.close()
