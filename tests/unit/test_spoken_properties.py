"""Properties of ``for_speech`` on generated replies: it never fails, is idempotent, leaves no digits, keeps words."""

from __future__ import annotations

import re
import timeit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.spoken import for_speech, strip_markup

WORDS = "apple river quiet Paris green hello because garden window seven Lisbon yellow".split()
"""Ordinary words no pass rewrites: every one of them must be spoken, in order."""
TOKENS = [
    *WORDS,
    "1", "56", "1,440", "1440", "1000000", "-5", "5-10", "3.14", "0.5", "2.5.1", "1st", "23rd", "1990s", "'80s",
    "in 1969", "since 2001", "December 1", "3:05 PM", "12:00", "14:30", "7am", "$5", "$1.50", "€20", "£3", "15%",
    "25°C", "°", "5 km", "100 km/h", "2 lbs", "1/2", "3/4", "7/25", "2 + 2 = 4", "3 x 4", "10 / 2", "e.g.", "i.e.",
    "etc.", "vs.", "Dr. Smith", "555-123-4567", "+44 20 7946 0958", "2024-03-15", "12345678901234567890",
    "**", "*", "_", "`", "#", "# ", "> ", "- ", "1. ", "2) ", "[link](http://x.com)", "https://example.com/a",
    "(", ")", "[", "]", "&", "@", "|", "~", "^", "/", "\\", "😀", "•", "→", "½",
    ".", ",", "?", "!", ":", ";", "...", "\n", "\n\n", "  ", "'", '"',
]
REPLIES = st.lists(st.sampled_from(TOKENS), max_size=24).map(lambda tokens: " ".join(tokens))
DENSE = st.lists(st.sampled_from(TOKENS), max_size=16).map(lambda tokens: "".join(tokens))
QUICK = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(st.text(max_size=200))
@example("\x00\u200d\ufe0f\U0001f1fa\U0001f1f8")
@example("٣ and ² and ¹")
def test_never_fails_on_any_text(text: str) -> None:
    assert isinstance(for_speech(text), str)
    assert isinstance(strip_markup(text), str)


@QUICK
@given(st.one_of(REPLIES, DENSE))
@example("- - x")
@example("1. 2. Mix")
@example("\\- x")
def test_is_idempotent(text: str) -> None:
    once = for_speech(text)
    assert for_speech(once) == once


@QUICK
@given(st.one_of(REPLIES, DENSE))
def test_leaves_no_digits_and_no_markup(text: str) -> None:
    spoken = for_speech(text)
    assert not re.search(r"[0-9*_`#|~^\\<>\[\]{}()@&%$€£°]", spoken), spoken
    assert "\n" not in spoken and "  " not in spoken and spoken == spoken.strip()


@QUICK
@given(REPLIES)
def test_keeps_every_word_in_order(text: str) -> None:
    words = [w for w in re.findall(r"[A-Za-z]+", text) if w in WORDS]
    spoken = re.findall(r"[A-Za-z]+", for_speech(text))
    position = 0
    for word in words:
        assert word in spoken[position:], (word, text, spoken)
        position = spoken.index(word, position) + 1


def test_a_clause_takes_well_under_a_millisecond() -> None:
    clauses = [
        "**Step 3:** preheat the oven to 180°C (350°F) for 15-20 minutes, e.g. while you mix 1 1/2 cups of flour.",
        "It costs $1,234.56, about 15% more than in 2023.",
        "Sure, the capital of France is Paris.",
        "Call 555-123-4567 at 3:05 PM on December 1, 2024.",
    ]
    for_speech(clauses[0])
    seconds = min(timeit.repeat(lambda: [for_speech(c) for c in clauses], number=50, repeat=3)) / (50 * len(clauses))
    assert seconds < 0.001, f"{seconds * 1e6:.0f} µs per clause"
