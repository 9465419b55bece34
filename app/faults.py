"""Fault injection for resilience tests: make a stage fail on chosen calls.

``EDGE_VOICE_FAULTS="tts@3,stt@5"`` makes the 3rd TTS call and the 5th STT call raise a
StageError, exactly as a corrupted model output or a library crash would. Off unless the
variable is set; the server logs a warning at start when it is.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Mapping
from typing import Any

from app.stages.base import StageError

log = logging.getLogger(__name__)


def parse(spec: str) -> dict[str, set[int]]:
    """``"tts@3,stt@5"`` -> {"tts": {3}, "stt": {5}}; raises ValueError on a malformed spec."""
    plan: dict[str, set[int]] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        stage, _, nth = item.partition("@")
        if stage not in ("stt", "llm", "tts", "turn") or not nth.isdigit() or int(nth) < 1:
            raise ValueError(f"bad fault {item!r}: use <stt|llm|tts|turn>@<call number>")
        plan.setdefault(stage, set()).add(int(nth))
    return plan


class FaultyStage:
    """Wraps a stage adapter; the listed calls of its main method raise StageError."""

    def __init__(self, stage: str, inner: Any, method: str, failing_calls: set[int]) -> None:
        self._stage, self._inner, self._method, self._failing = stage, inner, method, failing_calls
        self._calls = itertools.count(1)
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if name != self._method:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                n = next(self._calls)
            if n in self._failing:
                raise StageError(self._stage, f"injected fault on call {n}")
            return target(*args, **kwargs)

        return call


_METHODS: Mapping[str, str] = {"stt": "transcribe", "llm": "stream_reply", "tts": "synthesize", "turn": "predict"}


def wrap(stage: str, inner: Any, plan: Mapping[str, set[int]]) -> Any:
    """``inner`` itself, or a FaultyStage when the plan names ``stage``."""
    if stage not in plan or inner is None:
        return inner
    log.warning("fault injection active: %s fails on calls %s", stage, sorted(plan[stage]))
    return FaultyStage(stage, inner, _METHODS[stage], plan[stage])
