"""Does a transcript look finished? Drives the adaptive endpoint silence."""

from __future__ import annotations

import pytest

from app.turn_policy import is_noise_transcript, looks_complete


@pytest.mark.parametrize("text", ["What is the capital of France?", "Turn on the lights.", "Thanks!"])
def test_finished_sentences(text: str) -> None:
    assert looks_complete(text)


@pytest.mark.parametrize(
    "text",
    ["", "And so my fellow Americans,", "I was wondering", "I was wondering.", "Tell me about the", "So...",
     "Remind me to call my sister and.", "What about"],
)
def test_unfinished_utterances(text: str) -> None:
    assert not looks_complete(text)


@pytest.mark.parametrize("text", ["", " you", "Thanks for watching!", "you."])
def test_whisper_noise_outputs(text: str) -> None:
    assert is_noise_transcript(text)


def test_real_short_answers_are_not_noise() -> None:
    assert not is_noise_transcript("Thank you.")
    assert not is_noise_transcript("Yes.")
