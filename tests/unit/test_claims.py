"""The model may not state the time now or what day it is: it has no clock."""

from __future__ import annotations

import pytest

from app.claims import invents_clock


@pytest.mark.parametrize("clause", [
    "The time in sending it right out is typically 2:00 PM.",  # answer-quality holdout, 0.5B model
    "It is currently 10:30 AM in Sidney.", "The current time in Bali is 10:35 AM.", "The time is 10:29 PM.",
    "It's 3 p.m. now.", "Today is a Monday.", "Today is Monday.", "It\u2019s Tuesday, December 1.",
    "Tomorrow will be Friday.", "The date is 12 March.",
])
def test_times_and_days_it_cannot_know(clause: str) -> None:
    assert invents_clock(clause)


@pytest.mark.parametrize("clause", [
    "The first moon landing was in 1969.", "There are 24 hours in a day.", "Take it 3 times a day.",
    "The store opens at 9 am.", "I was born in May 2020.", "The ratio is 3:2.", "Mondays are hard.",
    "It is noon somewhere, as they say.", "Sure, it is a good time to start.",
])
def test_facts_with_numbers_are_left_alone(clause: str) -> None:
    assert not invents_clock(clause)


def test_a_claim_split_over_clauses_is_caught_in_its_sentence() -> None:
    assert invents_clock("sending it right out is 10:30 AM.", " The time in")  # holdout, fresh session
    assert invents_clock("a Monday.", " Today is")
    assert not invents_clock("The store opens at 9 AM.", " The time has come. It is late.")
    assert not invents_clock("opens at 9 AM.", " Sure, it is nice. The store")
