"""The model may not state the time now, what day it is, or a live value: it has no clock and no live data."""

from __future__ import annotations

import pytest

from app.claims import NO_CLOCK, NO_LIVE_DATA, invented_claim, invents_clock, invents_live_value


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


@pytest.mark.parametrize("clause", [
    "The share on my build stock today is $1.",  # answer-quality tune, misheard stock question, 0.5B model
    "Bitcoin is currently trading at 43,000 dollars.", "Right now gold costs \u00a31,900 an ounce.",
    "Tomorrow will be sunny with a high of 75\u00b0F.", "It is currently 20 degrees in Paris.",
    "The current price is 3.50 euros.",
])
def test_live_values_it_cannot_know(clause: str) -> None:
    assert invents_live_value(clause)


@pytest.mark.parametrize("clause", [
    "The first iPhone cost $499 in 2007.", "Water boils at 100 degrees Celsius.", "A right angle is 90\u00b0.",
    "A newborn today weighs about 7 pounds.", "I can't check stock prices from here.", "Today is a good day to learn.",
    "There are 100 cents in a dollar.",
])
def test_prices_and_temperatures_in_facts_are_left_alone(clause: str) -> None:
    assert not invents_live_value(clause)


def test_each_claim_gets_its_own_sentence() -> None:
    assert invented_claim("is 10:30 AM.", "The time in Bali") == NO_CLOCK
    assert invented_claim("today is $1.", "The share on my build stock") == NO_LIVE_DATA
    assert invented_claim("The Mona Lisa was painted by Leonardo da Vinci.") is None
