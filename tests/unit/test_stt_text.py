"""Clean-up of Whisper's loops on short windows (pure text; the real model runs in the e2e tier)."""

from __future__ import annotations

import pytest

from app.stages.stt import drop_repeated_sentence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I make pancakes? How do i make pancakes", "How do I make pancakes?"),
        ("What time is it in Tokyo right now? What time has it in", "What time is it in Tokyo right now?"),
        ("Turn off the lights. Then lock the door.", "Turn off the lights. Then lock the door."),
        ("No. No, I said yes.", "No. No, I said yes."),
        ("How are you doing this evening, how are you doing", "How are you doing this evening"),
        ("Wake me up early, on Saturday morning, on Saturday morning.", "Wake me up early, on Saturday morning"),
        ("That was really helpful. Thanks, that was really helpful.", "That was really helpful. Thanks"),
        ("Set a timer for 5 minutes, and set another for 10.", "Set a timer for 5 minutes, and set another for 10."),
        ("", ""),
    ],
)
def test_drop_repeated_sentence(text: str, expected: str) -> None:
    assert drop_repeated_sentence(text) == expected
