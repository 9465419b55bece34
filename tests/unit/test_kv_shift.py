"""KV-shift planning on token lists shaped like chat prompts."""

from __future__ import annotations

from app.stages.kv_shift import Shift, common_prefix, plan_shift

SYS = [1, 9, 9, 9, 2]


def msg(role: int, *words: int) -> list[int]:
    return [1, role, *words, 2]


def test_dropping_the_oldest_exchange_keeps_the_rest_evaluated() -> None:
    a, b, c, d = msg(7, *range(100, 140)), msg(8, *range(200, 260)), msg(7, *range(300, 340)), msg(8, *range(400, 450))
    cached = SYS + a + b + c + d + [1, 7, 500, 501]
    prompt = SYS + c + d + [1, 7, 600, 601, 2, 1, 8]
    plan = plan_shift(cached, prompt)
    assert plan is not None and plan.start == len(SYS) + 2  # the head also shares "<start> user"
    shifted = cached[: plan.start] + cached[plan.start + plan.count :]
    assert common_prefix(shifted, prompt) == len(SYS + c + d) + 2
    assert plan.matched == common_prefix(shifted, prompt) - plan.start


def test_a_plain_extension_needs_no_shift() -> None:
    cached = SYS + msg(7, 1, 2, 3)
    assert plan_shift(cached, cached + msg(8, 4, 5)) is None


def test_a_short_match_is_not_worth_a_shift() -> None:
    cached = SYS + msg(7, *range(100, 140)) + msg(8, 5, 6)
    prompt = SYS + msg(8, 5, 6, 7, 8)
    assert plan_shift(cached, prompt) is None
    assert plan_shift(cached, prompt, min_gain=3) == Shift(start=len(SYS) + 1, count=43, matched=3)
