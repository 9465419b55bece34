"""What the user said about themselves, read back from the history; arithmetic on the last result."""

from __future__ import annotations

import pytest

from app.chat import ChatMessage
from app.tools import ToolContext, answer
from app.turn_policy import adds_nothing

NOW_S = 1_796_126_400.0


def conversation(*turns: str) -> tuple[ToolContext, list[str]]:
    """Ask ``turns`` in order, each answer joining the history as a session's would; the replies."""
    history: list[ChatMessage] = []
    replies = []
    for said in turns:
        found = answer(said, ToolContext(NOW_S, history=tuple(history)))
        reply = found.text if found else "(the model)"
        replies.append(reply)
        history += [ChatMessage("user", said), ChatMessage("assistant", reply)]
    return ToolContext(NOW_S, history=tuple(history)), replies


@pytest.mark.parametrize(
    ("statement", "question", "expected"),
    [
        ("My name is Alice.", "What is my name?", "Your name is Alice."),
        ("Hi, I'm Bob, nice to meet you.", "Do you remember my name?", "Your name is Bob."),
        ("Call me Mary Jane.", "Who am I?", "Your name is Mary Jane."),
        ("I live in Chicago.", "Which city do I live in?", "You live in Chicago."),
        ("I'm from Texas.", "Where am I from?", "You are from Texas."),
        ("My favorite color is green.", "What's my favourite colour?", "Your favorite color is green."),
        ("I have a dog called Max.", "What's my dog's name?", "Your dog's name is Max."),
        ("My cat is named Tom.", "What is my cat called?", "Your cat's name is Tom."),
        ("My sister's birthday is on June fifth.", "When is my sister's birthday?",
         "Your sister's birthday is on June fifth."),
        ("I need to buy milk, eggs and bread.", "What do I need to buy?", "You need to buy milk eggs and bread."),
    ],
)
def test_a_fact_is_said_back_exactly(statement: str, question: str, expected: str) -> None:
    context, (acknowledged,) = conversation(statement)
    found = answer(question, context)
    assert found is not None and found.tool == "memory" and found.text == expected
    # The acknowledgement must stay in the history, or the fact goes with it.
    assert acknowledged.startswith(("Nice to meet you", "I'll remember")) and not adds_nothing(acknowledged, statement)


def test_facts_survive_other_turns_and_the_newest_wins() -> None:
    context, _ = conversation("My name is Alice.", "What is the capital of France?", "Set a timer for 2 minutes.",
                              "Actually, my name is Carol.", "Tell me a joke.")
    assert answer("What's my name?", context).text == "Your name is Carol."  # type: ignore[union-attr]


def test_unknown_facts_are_said_to_be_unknown_not_guessed() -> None:
    context, _ = conversation("I live in Chicago.")
    assert answer("What is my name?", context).text == "You haven't told me your name yet."  # type: ignore[union-attr]
    assert answer("What is my cat called?", context).text == "You haven't told me your cat's name yet."  # type: ignore[union-attr]
    assert answer("What do I need to pack?", context).text == "You haven't told me what you need to pack."  # type: ignore[union-attr]
    assert answer("What do you know about me?", ToolContext(NOW_S)).text.startswith("You haven't told me")  # type: ignore[union-attr]


def test_what_it_knows_about_the_user() -> None:
    context, _ = conversation("My name is Alice.", "I live in Chicago.")
    found = answer("What do you know about me?", context)
    assert found is not None and found.text == "You told me you live in Chicago and your name is Alice."


@pytest.mark.parametrize("said", ["I am tired.", "I'm cold.", "I am a teacher.", "My name is a secret.",
                                  "My head is hurting.", "What is my IP address?", "It is Monday."])
def test_what_is_not_a_fact_about_the_user(said: str) -> None:
    assert answer(said, ToolContext(NOW_S)) is None


def test_only_the_users_words_are_facts() -> None:
    # The model saying "My name is Qwen" must not become the user's name.
    history = (ChatMessage("user", "Who are you?"), ChatMessage("assistant", "My name is Qwen."))
    assert answer("What is my name?", ToolContext(NOW_S, history=history)).text == (  # type: ignore[union-attr]
        "You haven't told me your name yet.")


@pytest.mark.parametrize(
    ("first", "follow_up", "expected"),
    [
        ("What is twelve times twelve?", "And what is half of that?", "Half of 144 is 72."),
        ("What is fifteen plus twenty seven?", "Now multiply that by two.", "42 times 2 is 84."),
        ("What is 1000 times 3?", "Divide it by 4.", "3,000 divided by 4 is 750."),
    ],
)
def test_arithmetic_continues_from_the_last_result(first: str, follow_up: str, expected: str) -> None:
    context, _ = conversation(first)
    found = answer(follow_up, context)
    assert found is not None and found.tool == "arithmetic" and found.text == expected


def test_that_means_a_result_only_after_a_calculation() -> None:
    history = (ChatMessage("user", "How many people live in Rome?"),
               ChatMessage("assistant", "About 2.8 million people live in Rome."))
    assert answer("What is half of that?", ToolContext(NOW_S, history=history)) is None
    assert answer("What is half of that?", ToolContext(NOW_S)) is None
