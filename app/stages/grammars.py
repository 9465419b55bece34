"""Grammars that constrain llama.cpp's decoding to a function's JSON schema, built once per schema.

Measured on this build (llama-cpp-python 0.3.36): ``LlamaGrammar.from_json_schema`` converts a
small schema in under a millisecond and ``create_completion(grammar=...)`` honours it, as
``create_chat_completion(response_format={"type": "json_object", "schema": ...})`` does (which
builds the same grammar per call). The grammar path is the one that takes our own rendered
prompt, so the conversation's evaluated prefix is reused.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

from app.stages.base import StageError

log = logging.getLogger(__name__)

MAX_GRAMMARS = 64
"""Schemas whose grammar is kept (a session declares a few; the cache is emptied when full)."""


class Grammars:
    """The grammar of each JSON schema seen, by the schema's canonical JSON; thread-safe."""

    def __init__(self) -> None:
        self._grammars: dict[str, Any] = {}
        self._lock = threading.Lock()

    def for_schema(self, schema: Mapping[str, Any]) -> Any:
        """A ``LlamaGrammar`` for ``schema``; one for any JSON object where the converter cannot
        follow the schema (a feature it lacks), so the call still gets a well-formed object."""
        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        with self._lock:
            found = self._grammars.get(key)
        if found is not None:
            return found
        try:
            grammar = LlamaGrammar.from_json_schema(key, verbose=False)
        except Exception as exc:
            log.warning("function schema not convertible to a grammar (%s): any JSON object", type(exc).__name__)
            grammar = LlamaGrammar.from_json_schema('{"type": "object"}', verbose=False)
        with self._lock:
            if len(self._grammars) >= MAX_GRAMMARS:
                self._grammars.clear()
            self._grammars[key] = grammar
        return grammar


def json_object(text: str) -> str:
    """``text`` stripped if it is one JSON object, else a StageError (the model stopped early)."""
    try:
        if isinstance(json.loads(text), dict):
            return text.strip()
    except ValueError:
        pass
    raise StageError("llm", f"the function's arguments are not one JSON object ({len(text)} characters)")
