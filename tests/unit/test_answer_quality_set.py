"""The answer-quality question set: size, halves, rules, voices and the session plans."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from client.benchmark.voices import BY_NAME, VOICES
from client.quality.questions import (
    ALL_ITEMS,
    CATEGORY_NAMES,
    DIALOGUE_SET,
    HALVES,
    STANDALONE,
    counts,
    halves_of,
    interleave,
    session_plan,
)
from client.quality.rules import FIRE_CHECK_MAX_S, Rule, check_rule

REQUIRED = {"facts", "arithmetic", "conversions", "time_date", "timers", "follow_ups", "cannot_know", "small_talk"}


def test_at_least_eighty_items_with_unique_ids() -> None:
    assert len(ALL_ITEMS) >= 80
    ids = [i.id for i in ALL_ITEMS]
    assert len(set(ids)) == len(ids)
    assert len({i.text for i in STANDALONE}) == len(STANDALONE)


def test_every_category_is_in_both_halves() -> None:
    table = counts()
    assert set(CATEGORY_NAMES) >= REQUIRED
    for category in REQUIRED:
        assert all(table[category][h] >= 2 for h in HALVES), (category, table[category])
    sizes = Counter(i.half for i in ALL_ITEMS)
    assert abs(sizes["tune"] - sizes["holdout"]) <= 2


def test_every_item_has_a_valid_rule() -> None:
    for item in ALL_ITEMS:
        assert isinstance(item.rule, Rule) and item.rule.describe(), item.id
        check_rule(item.rule)


def test_timer_items_state_their_duration_and_short_ones_are_in_both_halves() -> None:
    timers = [i for i in ALL_ITEMS if i.category == "timers"]
    assert all(i.rule.timer_s for i in timers)
    short = Counter(i.half for i in timers if i.rule.timer_s is not None and i.rule.timer_s <= FIRE_CHECK_MAX_S)
    assert short["tune"] >= 2 and short["holdout"] >= 2


def test_time_and_date_items_are_computed() -> None:
    expects = {i.rule.expect for i in ALL_ITEMS if i.category == "time_date"}
    assert {"time", "weekday", "date"} <= expects
    assert sum(e.startswith("time@") for e in expects) >= 4  # other cities


def test_voices_rotate_and_dialogues_keep_one_speaker() -> None:
    used = Counter(i.voice for i in ALL_ITEMS)
    assert set(used) == {v.name for v in VOICES} and all(v in BY_NAME for v in used)
    assert max(used.values()) - min(used.values()) <= 3
    for d in DIALOGUE_SET:
        assert len({t.voice for t in d.turns}) == 1
        assert d.turns[-1].category == "follow_ups" and all(t.half == d.half for t in d.turns)


def test_continuing_session_is_long_and_keeps_dialogue_gaps() -> None:
    for half in HALVES:
        (plan,) = session_plan("continuing", [half])
        assert len(plan) >= 40
        assert sorted(i.id for i in plan) == sorted(i.id for i in ALL_ITEMS if i.half == half)
        where = {i.id: n for n, i in enumerate(plan)}
        for d in (d for d in DIALOGUE_SET if d.half == half):
            positions = [where[t.id] for t in d.turns]
            assert positions == sorted(positions)
            assert all(b - a - 1 >= d.gap for a, b in itertools.pairwise(positions)), d.id
            if d.gap == 0:  # "there", "that": the turn right before
                assert all(b == a + 1 for a, b in itertools.pairwise(positions)), d.id


def test_fresh_plan_gives_each_question_and_each_dialogue_its_own_session() -> None:
    sessions = session_plan("fresh", HALVES)
    assert sum(map(len, sessions)) == len(ALL_ITEMS)
    for s in sessions:
        assert len(s) == 1 or (len({i.dialogue for i in s}) == 1 and s[0].dialogue)
    assert any(len(s) > 1 for s in sessions)


def test_limit_categories_and_sets() -> None:
    sessions = session_plan("fresh", ["tune"], limit=6)
    assert sum(map(len, sessions)) == 6 and len(sessions[0]) == 2  # a dialogue comes first
    (cut,) = session_plan("continuing", ["holdout"], limit=5)
    assert len(cut) == 5
    only = [i for s in session_plan("fresh", HALVES, ["follow_ups"]) for i in s]
    assert all(i.dialogue for i in only) and {i.category for i in only if i.turn > 0} == {"follow_ups"}
    assert halves_of("all") == HALVES and halves_of("holdout") == ("holdout",)
    with pytest.raises(ValueError):
        halves_of("train")
    with pytest.raises(ValueError):
        session_plan("sometimes", HALVES)


def test_interleave_without_dialogues_keeps_the_order() -> None:
    assert interleave(list(STANDALONE[:5]), []) == list(STANDALONE[:5])
    assert interleave([], list(DIALOGUE_SET[:1])) == list(DIALOGUE_SET[0].turns)
