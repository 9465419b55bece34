"""Markdown and list markup is not read aloud; its words are."""

from __future__ import annotations

import pytest

from app.spoken import for_speech, strip_markup


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        ("**bold** text", "bold text"),
        ("*em* text", "em text"),
        ("__strong__ and _em_", "strong and em"),
        ("***both*** ways", "both ways"),
        ("**bold with _em_ inside**", "bold with em inside"),
        ("run `pip install` now", "run pip install now"),
        ("~~old~~ new", "old new"),
        ("# Title", "Title"),
        ("### Step one ###", "Step one"),
        ("> quoted", "quoted"),
        ("> > nested quote", "nested quote"),
        ("- item", "item"),
        ("* item", "item"),
        ("• item", "item"),
        ("  + indented item", "indented item"),
        ("1. first item", "first item"),
        ("2) second item", "second item"),
        ("(3) third item", "third item"),
        ("a) lettered item", "lettered item"),
        ("- [ ] open task", "open task"),
        ("- [x] done task", "done task"),
        ("- 1. both markers", "both markers"),
        ("[the docs](https://example.com/docs)", "the docs"),
        ("![a cat](cat.png)", "a cat"),
        ("[the docs][2]", "the docs"),
        ("a claim[^1] and a cite [3]", "a claim and a cite "),
        ("<b>bold</b>", " bold "),
        ("snake_case_name", "snake_case_name"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("3*4", "3*4"),
        ("plain words", "plain words"),
        ("if a<b and c>d", "if a<b and c>d"),
        ("<span class='x'>hi</span>", " hi "),
    ],
)
def test_strip_markup(text: str, stripped: str) -> None:
    assert strip_markup(text) == stripped


def test_list_numbers_after_a_newline_go_and_the_items_stay() -> None:
    assert strip_markup("Steps:\n1. Mix\n2. Bake\n10. Serve") == "Steps:\nMix\nBake\nServe"


def test_list_numbers_in_flattened_text_go_after_a_sentence_end() -> None:
    assert strip_markup("Steps: 1. Mix well. 2. Bake it.") == "Steps: Mix well. Bake it."


def test_a_number_ending_a_sentence_is_not_a_list_marker() -> None:
    assert strip_markup("The answer is 2. Then we rest.") == "The answer is 2. Then we rest."
    assert strip_markup("I counted 3 apples.") == "I counted 3 apples."


def test_code_fences_and_rules_go() -> None:
    assert strip_markup("```python\nprint('hi')\n```\n---\nDone") == "\nprint('hi')\n\n\nDone"


def test_tables_become_cells() -> None:
    assert strip_markup("| Name | Age |\n|---|:---:|\n| Bob | 42 |") == "Name, Age\n\nBob, 42"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("# Ingredients\n- flour\n- sugar\n- two eggs", "Ingredients, flour, sugar, two eggs"),
        ("Here is how:\n1. Mix.\n2. Bake.", "Here is how: Mix. Bake."),
        ("**Step 1:** mix the flour", "Step one: mix the flour"),
        ("**1.** Preheat the oven.\n**2.** Mix.", "Preheat the oven. Mix."),
        ("**1. Preheat**: set it to 200°C.", "Preheat: set it to two hundred degrees Celsius."),
        ("The answer is **5.** Then stop.", "The answer is five. Then stop."),
        ("**This long bold sentence is cut.", "This long bold sentence is cut."),
        ("and here it ends.**", "and here it ends."),
        ("The cost (about $5) is fine.", "The cost, about five dollars, is fine."),
        ("Paris (France).", "Paris, France."),
        ("check the file(s)", "check the files"),
        ("| Name | Age |\n|---|---|\n| Bob | 42 |", "Name, Age, Bob, forty-two"),
        ("Great job! 🎉✅", "Great job!"),
        ("Coffee ☕ time™", "Coffee time"),
        ("Tom & Jerry", "Tom and Jerry"),
        ("AT&amp;T", "AT and T"),
        ("See https://www.example.com/a/b?c=1.", "See example dot com."),
        ("It is on github.com/user/repo.", "It is on github dot com."),
        ("Open http://192.168.1.1:8080/admin", "Open a link"),
        ("Mail bob.smith@example.org", "Mail bob dot smith at example dot org"),
        ("[Click here](https://x.io) now", "Click here now"),
        ("<https://example.com>", "example dot com"),
        ("use snake_case names", "use snake case names"),
        ("#hashtag", "hashtag"),
        (">5 ms", "more than five milliseconds"),
        ("> 5 ms", "more than five milliseconds"),
        ("if a<b and c>d", "if a b and c d"),
    ],
)
def test_markup_is_not_spoken(text: str, spoken: str) -> None:
    assert for_speech(text) == spoken
