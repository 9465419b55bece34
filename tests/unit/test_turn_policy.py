"""Does a transcript look finished? Drives the adaptive endpoint silence."""

from __future__ import annotations

import pytest

from app.turn_policy import is_noise_transcript, looks_complete, words_beyond


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


@pytest.mark.parametrize("text", ["Mhmm.", "uh-huh", "Yeah, okay.", "Right."])
def test_backchannels(text: str) -> None:
    from app.turn_policy import is_backchannel

    assert is_backchannel(text)


@pytest.mark.parametrize("text", ["", "Yeah, tell me more about that.", "Stop.", "What?"])
def test_not_backchannels(text: str) -> None:
    from app.turn_policy import is_backchannel

    assert not is_backchannel(text)


def test_echo_overlap_finds_a_run_of_the_reply() -> None:
    from app.turn_policy import echo_overlap

    reply = "The capital of France is Paris, a lovely city on the Seine."
    assert echo_overlap("is Paris a lovely city", reply) == 1.0
    assert echo_overlap("What is the capital of Spain?", reply) < 0.6
    assert echo_overlap("anything", "") == 0.0


@pytest.mark.parametrize(
    "reply",
    [
        "I'm an artificial intelligence language model, so I don't have a next declaration.",
        "As an AI language model, I do not have personal opinions.",
        "I am an AI assistant and I cannot browse the internet.",
        "I\u2019m just an AI, I don't have feelings.",  # Whisper's curly apostrophe
    ],
)
def test_an_ai_disclaimer_adds_nothing(reply: str) -> None:
    from app.turn_policy import adds_nothing

    assert adds_nothing(reply, "What language do they speak there?")


@pytest.mark.parametrize(
    "reply",
    [
        "I'm a voice assistant running right here on this device; I don't have a name of my own.",
        "AI stands for artificial intelligence; it cannot think like people do.",
        "An AI model is a program that learns from data.",
        "I can't say for sure, but an AI model needs data to learn from.",
    ],
)
def test_answers_that_mention_ai_are_kept(reply: str) -> None:
    from app.turn_policy import adds_nothing

    assert not adds_nothing(reply, "What is an AI?")


def test_the_tools_cannot_here_sentences_add_nothing_but_their_other_answers_do() -> None:
    from app.tools import ToolContext, answer
    from app.turn_policy import adds_nothing

    context = ToolContext(now_s=1_796_126_400.0, timezone="UTC")
    for question in ("Will it rain tomorrow?", "Open the garage door.", "Play some music.", "Call mom."):
        found = answer(question, context)
        assert found is not None and adds_nothing(found.text, question), question
    for question in ("What time is it?", "What is 7 times 8?", "My name is Alice.", "What can you do?"):
        found = answer(question, context)
        assert found is not None and not adds_nothing(found.text, question), question


def test_words_beyond_are_the_continuations_own_words() -> None:
    assert words_beyond("Ask not.", "Ask not what your country can do") == "what your country can do"
    assert words_beyond(None, "Hello there") == "hello there"
    assert words_beyond("Remind me to call my sister.", "Remind me to call my sister") == ""
