"""The one place where a model library's exceptions become :class:`StageError`.

Each adapter wraps its calls into a library (llama.cpp, CTranslate2, onnxruntime, Piper) in
``stage_errors``; those libraries raise many unrelated types, and the turn runner handles only
``StageError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.stages.base import StageError


@contextmanager
def stage_errors(stage: str, what: str) -> Iterator[None]:
    """Re-raise any ``Exception`` from the block as ``StageError(stage, f"{what}: {exc}")``.

    The original stays the ``__cause__``. ``BaseException`` that are not errors
    (``KeyboardInterrupt``, ``SystemExit``, ``asyncio.CancelledError``, ``GeneratorExit``)
    pass through unchanged.
    """
    try:
        yield
    except Exception as exc:
        raise StageError(stage, f"{what}: {exc}") from exc
