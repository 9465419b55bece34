"""Percentiles, latency summaries and word error rate."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

try:
    import jiwer
except ModuleNotFoundError as error:  # the node's own install (scripts/serve.sh) has no benchmark tools
    raise ModuleNotFoundError(
        "jiwer is not installed: the benchmarks need the bench extra, EDGE_VOICE_EXTRAS=bench scripts/setup.sh "
        "(scripts/test.sh installs it too)", name="jiwer") from error


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100), linearly interpolated between closest ranks (numpy's
    default); None for an empty list. Same unit as ``values``."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def summarize(values: Iterable[float | None]) -> dict[str, float | int | None]:
    """``{"n", "p50_ms", "p95_ms", "max_ms"}`` of the non-None values (ms in, ms out)."""
    xs = [float(v) for v in values if v is not None]
    return {
        "n": len(xs),
        "p50_ms": percentile(xs, 50),
        "p95_ms": percentile(xs, 95),
        "max_ms": max(xs) if xs else None,
    }


def normalize_text(text: str) -> str:
    """Lowercase, apostrophes dropped ("what's" -> "whats"), other punctuation to spaces, spaces collapsed."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def wer(reference: str, hypothesis: str) -> float | None:
    """Word error rate of ``hypothesis`` against ``reference`` after normalization (None: empty reference)."""
    return corpus_wer([(reference, hypothesis)])


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> float | None:
    """WER over many (reference, hypothesis) pairs: total edits / total reference words."""
    refs, hyps = [], []
    for ref, hyp in pairs:
        ref_n = normalize_text(ref)
        if ref_n:
            refs.append(ref_n)
            hyps.append(normalize_text(hyp))
    if not refs:
        return None
    return float(jiwer.wer(refs, hyps))  # corpus-level: edits summed over all pairs
