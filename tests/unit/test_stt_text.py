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
        ("", ""),
    ],
)
def test_drop_repeated_sentence(text: str, expected: str) -> None:
    assert drop_repeated_sentence(text) == expected
