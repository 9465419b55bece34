"""Planning a KV-cache shift: keep an evaluated prompt when its history loses its oldest turns.

llama.cpp reuses the longest common token prefix between what a context evaluated last and the
next prompt. When the conversation drops its oldest exchanges (to stay inside the context
window), everything after the system prompt changes position, so that prefix ends right after
the system prompt and the whole history is evaluated again: seconds on these cores. Instead,
the dropped run of tokens is removed from the KV cache and the rest moved down (llama.cpp's
"context shift"); the next prompt then matches almost to its end. Pure: token lists in, a plan out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shift:
    start: int
    """First cached position to drop (the end of the common head, e.g. the system prompt)."""
    count: int
    """Cached tokens dropped; those after them move down by this much."""
    matched: int
    """Prompt tokens past ``start`` that the shifted cache then holds already."""


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token lists."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def plan_shift(cached: Sequence[int], prompt: Sequence[int], *, min_gain: int = 32) -> Shift | None:
    """A shift after which ``cached`` (what the context holds) starts like ``prompt``, if dropping
    one contiguous run of cached tokens right after their common head saves at least
    ``min_gain`` tokens of evaluation; None when plain prefix reuse is as good."""
    head = common_prefix(cached, prompt)
    if head >= len(prompt) or head >= len(cached):
        return None
    rest = prompt[head:]
    best: Shift | None = None
    for j in range(head + 1, len(cached)):
        if cached[j] != rest[0]:
            continue
        matched = common_prefix(cached[j:], rest)
        if matched >= min_gain and (best is None or matched > best.matched):
            best = Shift(head, j - head, matched)
    return best
