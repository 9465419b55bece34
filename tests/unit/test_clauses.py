"""The clause splitter cuts a token stream into speakable pieces as tokens arrive."""

from __future__ import annotations

from app.clauses import ClauseSplitter, speakable


def feed(splitter: ClauseSplitter, text: str, step: int = 3) -> list[str]:
    pieces: list[str] = []
    for i in range(0, len(text), step):
        pieces += list(splitter.push(text[i : i + step]))
    return pieces + list(splitter.flush())


def test_first_piece_cut_at_first_comma() -> None:
    pieces = feed(ClauseSplitter(), "Sure, the capital of France is Paris. It is lovely in spring.")
    assert pieces == ["Sure,", "the capital of France is Paris.", "It is lovely in spring."]


def test_first_piece_cut_after_max_words_without_punctuation() -> None:
    pieces = feed(ClauseSplitter(first_max_words=4), "one two three four five six seven.")
    assert pieces[0] == "one two three four"
    assert " ".join(pieces) == "one two three four five six seven."


def test_later_comma_needs_min_words() -> None:
    pieces = feed(ClauseSplitter(min_words=3), "Well. Yes, it is, and it is very good indeed.")
    assert pieces == ["Well.", "Yes, it is,", "and it is very good indeed."]


def test_piece_is_only_cut_once_the_boundary_is_certain() -> None:
    splitter = ClauseSplitter()
    assert list(splitter.push("It costs 3.")) == []  # might be "3.5": wait for the next character
    assert list(splitter.push("5 dollars. Ok")) == ["It costs 3.5 dollars."]
    assert list(splitter.flush()) == ["Ok"]


def test_abbreviations_do_not_end_sentences() -> None:
    pieces = feed(ClauseSplitter(first_max_words=20), "Ask Dr. Smith about it. Then rest.")
    assert pieces == ["Ask Dr. Smith about it.", "Then rest."]


def test_markdown_is_not_spoken() -> None:
    assert speakable("**Bold** and `code`  here") == "Bold and code here"
    assert feed(ClauseSplitter(), "***") == []


def test_nothing_is_lost() -> None:
    text = "Hello there, my friend! How are you today? I hope; well, that all is fine, really fine."
    pieces = feed(ClauseSplitter(), text, step=1)
    assert " ".join(pieces).split() == text.split()
