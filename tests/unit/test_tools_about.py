"""The assistant's own canned answers: what it can do, who it is, how it is."""

from __future__ import annotations

import pytest

from app.tools import ToolContext, answer
from app.tools.about import CAPABILITIES, IDENTITY, WELL

CONTEXT = ToolContext(now_s=1_796_126_400.0, timezone="UTC")


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("Hello, how are you?", WELL), ("How are you doing today?", WELL), ("Hi there! How's it going?", WELL),
        ("Good morning, how are you this morning?", WELL), ("How have you been?", WELL), ("Are you okay?", WELL),
        ("What can you do?", CAPABILITIES), ("Who are you?", IDENTITY),
    ],
)
def test_the_assistant_answers_about_itself_the_same_way_every_time(question: str, reply: str) -> None:
    found = answer(question, CONTEXT)
    assert found is not None and (found.tool, found.text) == ("about", reply)


@pytest.mark.parametrize("question", ["How are your kids?", "How are you able to hear me?",
                                      "How is it going to rain?", "Are you good at chess?"])
def test_other_questions_that_start_alike_are_the_models(question: str) -> None:
    found = answer(question, CONTEXT)
    assert found is None or found.tool != "about"
