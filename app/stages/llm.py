"""llama-cpp-python adapter: a small pool of contexts with conversation affinity.

Each context keeps what it evaluated last in its KV cache, and a conversation returns to the
same context, so a new turn evaluates only its new tokens. The prompt is rendered here with the
model's own chat template, which lets a context *shift* its cache when the history drops its
oldest exchanges (see kv_shift.py) instead of evaluating the whole history again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from app.stages.base import ChatMessage
from app.stages.errors import stage_errors
from app.stages.grammars import Grammars, json_object
from app.stages.kv_shift import common_prefix, plan_shift
from app.stages.openings import ban_first_token, guarded

log = logging.getLogger(__name__)

_GUESSED_PUNCTUATION = " .?!"
ARGUMENT_TOKENS = 160
"""Most tokens of a function call's arguments (a small JSON object)."""
AFFINITY_WAIT_S = 0.3
"""How long a conversation waits for its own context (which holds its prefix) before it takes
another one: evaluating a whole history again elsewhere costs seconds."""


class _Context:
    """One llama.cpp context. Not thread-safe: used by one generation at a time."""

    def __init__(self, index: int, model_path: Path, threads: int, n_ctx: int) -> None:
        from llama_cpp import Llama, llama_chat_format

        self.index = index
        self.lock = threading.Lock()
        self.llama = Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            n_batch=256,
            verbose=False,
        )
        self.threads = threads
        self.end_tokens = self._end_tokens()
        template = self.llama.metadata.get("tokenizer.chat_template")
        token_text = self.llama._model.token_get_text
        self.formatter = None if template is None else llama_chat_format.Jinja2ChatFormatter(
            template=template, eos_token=token_text(self.llama.token_eos()),
            bos_token=token_text(self.llama.token_bos()))

    def _end_tokens(self) -> list[int]:
        """End of message, and the sentence-final marks that end a spoken request (one token each)."""
        ends = {self.llama.token_eos()}
        for mark in (".", "?", "!", " .", " ?", " !"):
            ids = self.llama.tokenize(mark.encode(), add_bos=False, special=False)
            if len(ids) == 1:
                ends.add(ids[0])
        return sorted(ends)

    def use_threads(self, threads: int) -> None:
        """Set the threads of the next decode calls (prompt and generation alike)."""
        if threads != self.threads:
            self.llama._ctx.set_n_threads(threads, threads)
            self.threads = threads

    def prompt(self, messages: Sequence[ChatMessage]) -> tuple[list[int], list[str]]:
        """The prompt's tokens, with the generation prompt, and the template's stop strings.

        Users' final punctuation is left out, always: the transcriber only guesses it, and the
        end-of-turn estimate must read the words alone; doing it for every user message keeps
        the prompt of the next turn a prefix match of this one."""
        assert self.formatter is not None
        rendered = self.formatter(messages=[
            {"role": m.role, "content": m.content.rstrip(_GUESSED_PUNCTUATION) if m.role == "user" else m.content}
            for m in messages])
        tokens = self.llama.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special,
                                     special=True)
        stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop] if rendered.stop else []
        return tokens, stop

    def end_of_turn(self, tokens: Sequence[int]) -> float | None:
        """Evaluate ``tokens`` up to the end of the last user message; P(the message ends there),
        or None when the prompt has no such end. The evaluated prefix stays in the cache, so the
        completion that follows evaluates only the rest.

        "Ends" means the next token closes the message or its sentence (., ?, !): the user's
        final punctuation is stripped from the prompt, and instruction-tuned models give the
        end-of-message token itself almost no weight right after words (Qwen2.5: 1e-7 whether
        the words are finished or not), while the sentence marks separate the two by two orders
        of magnitude for every model measured (README, "Endpointing")."""
        llama = self.llama
        eos = llama.token_eos()
        ends = [i for i, t in enumerate(tokens) if t == eos]
        if not ends:
            return None
        end = ends[-1]
        cached = llama._input_ids[: llama.n_tokens].tolist()
        llama.n_tokens = min(common_prefix(cached, tokens[:end]), end - 1)  # re-evaluate at least one token
        llama.eval(tokens[llama.n_tokens : end])
        logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)).astype(np.float64)
        weights = np.exp(logits - logits.max())
        return float(weights[self.end_tokens].sum() / weights.sum())

    def extend(self, tokens: Sequence[int]) -> int:
        """Evaluate ``tokens`` past the part already in the cache; how many were evaluated."""
        llama = self.llama
        cached = llama._input_ids[: llama.n_tokens].tolist()
        llama.n_tokens = min(common_prefix(cached, tokens), len(tokens) - 1)
        todo = tokens[llama.n_tokens :]
        llama.eval(todo)
        return len(todo)

    def shift_for(self, tokens: Sequence[int]) -> int:
        """Shift the KV cache so it starts like ``tokens`` if that saves evaluation; tokens saved."""
        llama = self.llama
        cached = llama._input_ids[: llama.n_tokens].tolist()
        plan = plan_shift(cached, tokens)
        if plan is None:
            return 0
        end = llama.n_tokens
        ctx = llama._ctx
        if not ctx.kv_cache_seq_rm(0, plan.start, plan.start + plan.count):
            return 0
        ctx.kv_cache_seq_shift(0, plan.start + plan.count, end, -plan.count)
        llama._input_ids[plan.start : end - plan.count] = llama._input_ids[plan.start + plan.count : end]
        llama.n_tokens = end - plan.count
        return plan.matched


class LlamaChat:
    """Streams chat completions from a GGUF model.

    With several contexts each conversation goes to the one it used last (affinity), waiting a
    moment for it before taking another. A generation that runs alone uses ``threads_alone``
    threads (both cores), and drops to ``threads`` as soon as another one runs beside it.
    """

    def __init__(self, model_path: Path, *, instances: int = 2, threads: int = 1, threads_alone: int | None = None,
                 n_ctx: int = 2048, max_tokens: int = 80, temperature: float = 0.3) -> None:
        with stage_errors("llm", f"cannot load GGUF model {model_path}"):
            self._contexts = [_Context(i, model_path, threads, n_ctx) for i in range(max(1, instances))]
        self._threads = threads
        self._threads_alone = threads_alone or threads
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._pick_lock = threading.Lock()
        self._affinity: OrderedDict[str, int] = OrderedDict()
        self._active = 0
        """Generations running now, over all contexts."""
        self._grammars = Grammars()

    @property
    def estimates_end_of_turn(self) -> bool:
        """True when the model file has a chat template (the estimate needs the prompt's tokens)."""
        return all(ctx.formatter is not None for ctx in self._contexts)

    def warm_up(self, system_prompt: str) -> None:
        """Evaluate the system prompt in every context, so no user pays the cold first token."""
        messages = [ChatMessage("system", system_prompt), ChatMessage("user", "Hi")]
        for ctx in self._contexts:
            with ctx.lock:
                for _ in self._generate(ctx, messages, threading.Event(), max_tokens=1):
                    pass

    def stream_reply(
        self, messages: Sequence[ChatMessage], *, cancel: threading.Event, affinity: str,
        end_of_turn: Callable[[float], None] | None = None, avoid: Sequence[str] = (),
    ) -> Iterator[str]:
        with self._context(affinity) as ctx:
            yield from self._generate(ctx, messages, cancel, max_tokens=self._max_tokens, end_of_turn=end_of_turn,
                                      avoid=avoid)

    def function_arguments(
        self, messages: Sequence[ChatMessage], schema: Mapping[str, Any], *, cancel: threading.Event,
        affinity: str, end_of_turn: Callable[[float], None] | None = None,
    ) -> str:
        """Greedy decoding under the grammar of ``schema`` (see grammars.py)."""
        with stage_errors("llm", "cannot build a grammar for the function's schema"):
            grammar = self._grammars.for_schema(schema)
        with self._context(affinity) as ctx:
            text = "".join(self._generate(ctx, messages, cancel, max_tokens=ARGUMENT_TOKENS, end_of_turn=end_of_turn,
                                          grammar=grammar))
        return json_object(text)

    @contextmanager
    def _context(self, affinity: str) -> Iterator[_Context]:
        """The conversation's context, held (and counted as generating) for the block."""
        ctx = self._acquire(affinity)
        with self._pick_lock:
            self._active += 1
        try:
            yield ctx
        finally:
            with self._pick_lock:
                self._active -= 1
            ctx.lock.release()

    def prefill(self, messages: Sequence[ChatMessage], *, affinity: str) -> None:
        with self._pick_lock:
            preferred = self._affinity.get(affinity)
        if preferred is None:
            return
        ctx = self._contexts[preferred]
        if ctx.formatter is None or not ctx.lock.acquire(blocking=False):
            return  # busy with a turn: that turn evaluates what it needs itself
        try:
            with stage_errors("llm", f"prefill failed in context {ctx.index}"):
                started = time.monotonic()
                ctx.use_threads(self._threads_now())
                tokens, _ = ctx.prompt(messages)
                ctx.shift_for(tokens)
                evaluated = ctx.extend(tokens)
                log.debug("context %d: prefilled %d tokens in %.0f ms", ctx.index, evaluated,
                          1000 * (time.monotonic() - started))
        finally:
            ctx.lock.release()

    def _acquire(self, affinity: str) -> _Context:
        with self._pick_lock:
            preferred = self._affinity.get(affinity)
        order = sorted(self._contexts, key=lambda c: c.index != preferred)
        chosen = order[0] if order[0].lock.acquire(timeout=AFFINITY_WAIT_S if preferred is not None else 0) else None
        if chosen is None:
            chosen = next((c for c in order[1:] if c.lock.acquire(blocking=False)), None)
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

    def _threads_now(self) -> int:
        with self._pick_lock:
            return self._threads_alone if self._active <= 1 else self._threads

    def _generate(self, ctx: _Context, messages: Sequence[ChatMessage], cancel: threading.Event, *, max_tokens: int,
                  end_of_turn: Callable[[float], None] | None = None, grammar: Any = None,
                  avoid: Sequence[str] = ()) -> Iterator[str]:
        """Reply deltas; with a ``grammar``, greedy (temperature 0) and without the repeat penalty;
        ``avoid``: openings the reply must not start with (see openings.py)."""
        sampling = {"temperature": 0.0, "repeat_penalty": 1.0, "grammar": grammar} if grammar is not None else {
            "temperature": self._temperature, "repeat_penalty": 1.1}  # SmolLM-class models loop otherwise
        with stage_errors("llm", f"generation failed in context {ctx.index}"):
            ctx.use_threads(self._threads_now())
            if ctx.formatter is None:
                # No chat template in the model file: llama-cpp-python's own chat formats.
                stream = ctx.llama.create_chat_completion(messages=[{"role": m.role, "content": m.content} for m in
                                                                    messages], max_tokens=max_tokens, stream=True,
                                                          **sampling)
            else:
                tokens, stop = ctx.prompt(messages)
                started = time.monotonic()
                saved = ctx.shift_for(tokens)
                # The cache comparison is for the log only: not paid on a user's turn unless asked for.
                debug = log.isEnabledFor(logging.DEBUG)
                cached = common_prefix(ctx.llama._input_ids[: ctx.llama.n_tokens].tolist(), tokens) if debug else 0
                if end_of_turn is not None and (p_end := ctx.end_of_turn(tokens)) is not None:
                    end_of_turn(p_end)
                if debug:
                    log.debug("context %d: prompt of %d tokens, %d cached (%d kept by a KV shift), %d threads;"
                              " words read in %.0f ms", ctx.index, len(tokens), cached, saved, ctx.threads,
                              1000 * (time.monotonic() - started))
                yield from guarded(lambda ban: self._deltas(ctx, cancel, ctx.llama.create_completion(
                    prompt=tokens, max_tokens=max_tokens, stop=stop, stream=True, **sampling,
                    logits_processor=ban_first_token(ctx.llama, len(tokens), ban))), avoid)
                return
            yield from self._deltas(ctx, cancel, stream)

    def _deltas(self, ctx: _Context, cancel: threading.Event, stream: Any) -> Iterator[str]:
        """The text deltas of a completion's chunks, until ``cancel``; the stream is closed after."""
        try:
            for chunk in stream:
                if cancel.is_set():
                    break
                choice = chunk["choices"][0]
                delta = choice["text"] if "text" in choice else choice["delta"].get("content")
                if delta:
                    yield delta
                ctx.use_threads(self._threads_now())  # another generation may have started or ended
        finally:
            stream.close()
