"""Spoken arithmetic, evaluated by a small parser: results, read-backs, refusals and non-questions."""

from __future__ import annotations

import pytest

from app.tools import ToolContext, answer

CONTEXT = ToolContext(now_s=1_796_126_400.0, timezone="UTC", timers=(), next_id="t1")


def reply(transcript: str) -> tuple[str, str] | None:
    found = answer(transcript, CONTEXT)
    return None if found is None else (found.tool, found.text)


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("What is seven times eight?", "7 times 8 is 56."),
        ("what's 12 plus 30", "12 plus 30 is 42."),
        ("15 minus 4", "15 minus 4 is 11."),
        ("15-4", "15 minus 4 is 11."),
        ("100 divided by 8", "100 divided by 8 is 12.5."),
        ("What's 100/8?", "100 divided by 8 is 12.5."),
        ("two to the power of ten", "2 to the power of 10 is 1,024."),
        ("2 to the 10th power", "2 to the power of 10 is 1,024."),
        ("two to the tenth power", "2 to the power of 10 is 1,024."),
        ("what is 15 percent of 80", "15 percent of 80 is 12."),
        ("What's 15% of 80?", "15 percent of 80 is 12."),
        ("square root of 144", "The square root of 144 is 12."),
        ("What is the square root of two?", "The square root of 2 is about 1.4142."),
        ("what's 3 squared", "3 squared is 9."),
        ("What's eight cubed?", "8 cubed is 512."),
        ("12 x 12", "12 times 12 is 144."),
        ("7 * 8", "7 times 8 is 56."),
        ("half of 50", "Half of 50 is 25."),
        ("What is a third of 90?", "A third of 90 is 30."),
        ("what is 10 divided by 3", "10 divided by 3 is about 3.3333."),
        ("What is 2 divided by 3?", "2 divided by 3 is about 0.6667."),
        ("add 3 to 4", "3 plus 4 is 7."),
        ("subtract 4 from 15", "15 minus 4 is 11."),
        ("Multiply 6 by 7.", "6 times 7 is 42."),
        ("Divide 81 by 9.", "81 divided by 9 is 9."),
        ("What is the sum of a hundred and five and 3?", "105 plus 3 is 108."),
        ("what is the product of 6 and 7", "6 times 7 is 42."),
        ("What does 2 plus 2 equal?", "2 plus 2 is 4."),
        ("How much is 20 percent of 50?", "20 percent of 50 is 10."),
        ("Calculate 123456 times 654321.", "123,456 times 654,321 is 80,779,853,376."),
        ("What is 3 plus 4 times 2?", "3 plus 4 times 2 is 11."),
        ("What is 1,000 + 2,500?", "1,000 plus 2,500 is 3,500."),
        ("What is one and a half times four?", "1.5 times 4 is 6."),
        ("What is twenty-five times four?", "25 times 4 is 100."),
        ("What is a hundred and five minus five?", "105 minus 5 is 100."),
        ("Minus 5 plus 3.", "Minus 5 plus 3 is minus 2."),
        ("What is 5 minus 8?", "5 minus 8 is minus 3."),
        ("What is 0.1 plus 0.2?", "0.1 plus 0.2 is 0.3."),
        ("What is pi times 2?", "Pi times 2 is about 6.2832."),
        ("What is 17 mod 5?", "17 modulo 5 is 2."),
        ("Double 21.", "Double 21 is 42."),
        ("What is 2 to the power of 100?", "2 to the power of 100 is about 1.2677 times 10 to the power of 30."),
        ("Hey, can you tell me what nine times nine is?", "9 times 9 is 81."),
        ("Um, what's 6 times 7, please?", "6 times 7 is 42."),
    ],
)
def test_arithmetic(transcript: str, text: str) -> None:
    assert reply(transcript) == ("arithmetic", text)


@pytest.mark.parametrize(
    ("transcript", "text"),
    [
        ("What is 10 divided by 0?", "You can't divide by zero; it has no answer."),
        ("What is 5 mod 0?", "You can't divide by zero; it has no answer."),
        ("What is 0 to the power of minus 1?", "You can't divide by zero; it has no answer."),
        ("What is the square root of minus 4?", "The square root of a negative number is not a real number."),
        ("What is 10 to the power of 1000?", "That number is too big for me to say."),
        ("What is 10 to the power of 5000?", "That number is too big for me to say."),
    ],
)
def test_arithmetic_without_an_answer_is_one_sentence(transcript: str, text: str) -> None:
    assert reply(transcript) == ("arithmetic", text)


@pytest.mark.parametrize(
    "transcript",
    ["What is 5?", "What is love?", "What's a times table?", "What is 12 and 5?", "Game over.", "What is x?",
     "Plus.", "Times are hard.", "What is the square root?", "Add the milk to the flour.", "Divide and conquer.",
     "What is seven?", "Minus one.", "Seven eight nine.", "Take me home.", "Half of them left.",
     "What is the sum of all fears?"],
)
def test_not_arithmetic(transcript: str) -> None:
    found = reply(transcript)
    assert found is None or found[0] != "arithmetic"
