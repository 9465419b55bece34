"""Numbers as words: cardinals, ordinals, years, decades, decimals, digit strings, fractions."""

from __future__ import annotations

import pytest

from app.spoken import number_words, ordinal_words, year_words
from app.spoken.numbers import (
    cardinal_text,
    decade_words,
    decimal_words,
    digit_words,
    fraction_words,
    mixed_fraction_words,
)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (56, "fifty-six"),
        (99, "ninety-nine"),
        (100, "one hundred"),
        (101, "one hundred one"),
        (110, "one hundred ten"),
        (999, "nine hundred ninety-nine"),
        (1000, "one thousand"),
        (1440, "one thousand four hundred forty"),
        (2024, "two thousand twenty-four"),
        (10_001, "ten thousand one"),
        (100_000, "one hundred thousand"),
        (1_000_000, "one million"),
        (1_000_001, "one million one"),
        (2_500_000_000, "two billion five hundred million"),
        (7_000_000_000_000, "seven trillion"),
        (-5, "minus five"),
        (-1_200, "minus one thousand two hundred"),
    ],
)
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


def test_sixteen_digits_and_more_are_read_digit_by_digit() -> None:
    assert number_words(10**15) == "one " + " ".join(["zero"] * 15)
    assert number_words(10**15 - 1).startswith("nine hundred ninety-nine trillion")


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "first"),
        (2, "second"),
        (3, "third"),
        (4, "fourth"),
        (5, "fifth"),
        (8, "eighth"),
        (9, "ninth"),
        (11, "eleventh"),
        (12, "twelfth"),
        (20, "twentieth"),
        (21, "twenty-first"),
        (23, "twenty-third"),
        (40, "fortieth"),
        (100, "one hundredth"),
        (101, "one hundred first"),
        (1000, "one thousandth"),
    ],
)
def test_ordinal_words(n: int, words: str) -> None:
    assert ordinal_words(n) == words


@pytest.mark.parametrize(
    ("year", "words"),
    [
        (1066, "ten sixty-six"),
        (1100, "eleven hundred"),
        (1492, "fourteen ninety-two"),
        (1900, "nineteen hundred"),
        (1905, "nineteen oh five"),
        (1969, "nineteen sixty-nine"),
        (2000, "two thousand"),
        (2001, "two thousand one"),
        (2009, "two thousand nine"),
        (2010, "twenty ten"),
        (2026, "twenty twenty-six"),
        (2099, "twenty ninety-nine"),
        (2100, "twenty-one hundred"),
    ],
)
def test_year_words(year: int, words: str) -> None:
    assert year_words(year) == words


@pytest.mark.parametrize(
    ("digits", "words"),
    [("1990", "nineteen nineties"), ("1800", "eighteen hundreds"), ("2000", "two thousands"),
     ("2010", "twenty tens"), ("80", "eighties"), ("20", "twenties"), ("60", "sixties")],
)
def test_decade_words(digits: str, words: str) -> None:
    assert decade_words(digits) == words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("3.14", "three point one four"),
        ("0.5", "zero point five"),
        (".5", "point five"),
        ("1.05", "one point zero five"),
        ("1,234.5", "one thousand two hundred thirty-four point five"),
        ("2.5.1", "two point five point one"),
        ("3.11.2", "three point eleven point two"),
    ],
)
def test_decimal_words(text: str, words: str) -> None:
    assert decimal_words(text) == words


@pytest.mark.parametrize(
    ("text", "words"),
    [("1,440", "one thousand four hundred forty"), ("007", "zero zero seven"), ("0", "zero"),
     ("1234567890123456", "one two three four five six seven eight nine zero one two three four five six")],
)
def test_cardinal_text(text: str, words: str) -> None:
    assert cardinal_text(text) == words


def test_digit_words() -> None:
    assert digit_words("555-0123") == "five five five zero one two three"


@pytest.mark.parametrize(
    ("top", "bottom", "words"),
    [
        (1, 2, "one half"),
        (3, 2, "three halves"),
        (1, 3, "one third"),
        (2, 3, "two thirds"),
        (1, 4, "one quarter"),
        (3, 4, "three quarters"),
        (5, 8, "five eighths"),
        (1, 10, "one tenth"),
        (8, 10, "eight out of ten"),
        (95, 100, "ninety-five out of one hundred"),
        (7, 25, "seven over twenty-five"),
        (1, 16, "one sixteenth"),
    ],
)
def test_fraction_words(top: int, bottom: int, words: str) -> None:
    assert fraction_words(top, bottom) == words


@pytest.mark.parametrize(
    ("whole", "top", "bottom", "words"),
    [(1, 1, 2, "one and a half"), (2, 3, 4, "two and three quarters"), (1, 1, 3, "one and a third")],
)
def test_mixed_fraction_words(whole: int, top: int, bottom: int, words: str) -> None:
    assert mixed_fraction_words(whole, top, bottom) == words
