"""The opening guard: a reply that copies a user's line or a tool's scripted sentence is generated again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.chat import ChatMessage
from app.stages.openings import OpeningGuard, Verdict, guarded, opening_words
from app.tools.scripted import SCRIPTED_OPENINGS
from app.turn_policy import openings_to_avoid


def _push_all(guard: OpeningGuard, deltas: list[str]) -> list[Verdict]:
    return [guard.push(d) for d in deltas]


def test_opening_words_lowercase_without_punctuation() -> None:
    assert opening_words("I can't check the weather") == ("i", "can't", "check")
    assert opening_words("OK, a 5 minute timer") == ("ok", "a", "5")
    assert opening_words("I\u2019ll remember that") == ("i'll", "remember", "that")
    assert opening_words("...") == ()


def test_copy_is_caught_once_its_words_are_complete() -> None:
    guard = OpeningGuard(["I have an"])
    assert _push_all(guard, ["I", " have", " an"]) == [Verdict.HOLD, Verdict.HOLD, Verdict.HOLD]
    assert guard.push(" unc") is Verdict.COPY  # "an" was complete once something followed it


def test_all_words_of_an_opening_are_compared() -> None:
    guard = OpeningGuard(["Good morning. How did you sleep?"])
    assert _push_all(guard, ["Good", " morning", ".", " How", " did", " you"]) == [Verdict.HOLD] * 6
    assert _push_all(guard, [" sleep", "?"]) == [Verdict.HOLD, Verdict.COPY]
    assert _push_all(OpeningGuard(["Good morning. How did you sleep?"]), ["Good", " morning", "!", " How", " can"]) == [
        Verdict.HOLD, Verdict.HOLD, Verdict.HOLD, Verdict.HOLD, Verdict.CLEAR]


def test_divergence_clears_at_once_and_for_good() -> None:
    guard = OpeningGuard(["I can't check", "OK, a"])
    assert guard.push("The") is Verdict.CLEAR
    assert guard.push(" I can't check") is Verdict.CLEAR  # later words are never judged


def test_no_openings_is_clear_from_the_start() -> None:
    assert OpeningGuard([]).push("I can't check") is Verdict.CLEAR
    assert OpeningGuard(["", "!!"]).push("Hello") is Verdict.CLEAR


def test_two_word_opening_and_punctuation() -> None:
    guard = OpeningGuard(["OK, a"])
    assert _push_all(guard, ["OK", ",", " a", " "]) == [Verdict.HOLD, Verdict.HOLD, Verdict.HOLD, Verdict.COPY]


class _Model:
    """generate(ban) for ``guarded``: the first call's deltas, then the retry's."""

    def __init__(self, first: list[str], retry: list[str]) -> None:
        self.replies = [first, retry]
        self.bans: list[str | None] = []
        self.closed = 0

    def __call__(self, ban: str | None) -> Iterator[str]:
        self.bans.append(ban)
        deltas = self.replies[len(self.bans) - 1]

        def run() -> Iterator[str]:
            try:
                yield from deltas
            finally:
                self.closed += 1

        return run()


def test_guarded_passes_an_answer_through_untouched() -> None:
    model = _Model(["Rome", " is", " the", " capital", "."], [])
    assert "".join(guarded(model, ["I can't check"])) == "Rome is the capital."
    assert model.bans == [None]


def test_guarded_releases_held_deltas_when_the_reply_diverges() -> None:
    model = _Model(["I", " can", " help", "."], [])
    assert list(guarded(model, ["I can't check"])) == ["I", " can", " help", "."]


def test_guarded_generates_a_copy_again_with_its_first_token_banned() -> None:
    model = _Model(["I", " can't", " check", " the", " moon"], ["People", " first", " landed", " in", " 1969", "."])
    out = list(guarded(model, SCRIPTED_OPENINGS))
    assert "".join(out) == "People first landed in 1969."  # nothing of the copy was let out
    assert model.bans == [None, "I"]
    assert model.closed == 2  # the copy's generation was stopped, not left running


def test_guarded_retries_once_only() -> None:
    model = _Model(["I", " can't", " check", " x"], ["I", " can't", " check", " y"])
    assert "".join(guarded(model, ["I can't check"])) == "I can't check y"
    assert len(model.bans) == 2


def test_guarded_reply_shorter_than_an_opening_is_kept() -> None:
    model = _Model(["I"], [])
    assert list(guarded(model, ["I can't check"])) == ["I"]


def test_openings_to_avoid_hold_earlier_user_lines_and_the_tools() -> None:
    messages = (ChatMessage("system", "You are a voice assistant."), ChatMessage("user", "I have an uncalled max."),
                ChatMessage("assistant", "I have an uncalled max."), ChatMessage("user", "Hi there"),
                ChatMessage("user", "I have an uncalled max."), ChatMessage("user", "Who wrote Romeo and Juliet?"))
    avoid = openings_to_avoid(messages)
    assert avoid[: len(SCRIPTED_OPENINGS)] == SCRIPTED_OPENINGS
    # Once each, three words; "Hi there" is too short to tell; the question only said back in full;
    # the earlier answer to another question, its first sentence.
    assert avoid[len(SCRIPTED_OPENINGS):] == ("i have an", "who wrote romeo and juliet", "i have an uncalled max")


def _after(question: str, answer: str, now: str) -> list[str]:
    messages = (ChatMessage("system", "You are a voice assistant."), ChatMessage("user", question),
                ChatMessage("assistant", answer), ChatMessage("user", now))
    return [a for a in openings_to_avoid(messages) if a not in SCRIPTED_OPENINGS]


def test_the_previous_answer_to_another_question_is_not_said_again() -> None:
    # Answer-quality holdout, continuing session: the misheard "What is nine squared?".
    avoid = _after("What is the largest planet in our solar system?",
                   "The largest planet in our solar system is Mars. It is big.", "What is out of square?")
    assert "the largest planet in our solar system is mars" in avoid
    assert not any("it is big" in a for a in avoid)  # the first sentence only


@pytest.mark.parametrize(("question", "answer", "now"), [
    ("What is the largest planet?", "The largest planet is Jupiter.", "What is the largest planet?"),  # again
    ("What is the largest planet?", "The largest planet is Jupiter.", "Which planet is the biggest?"),  # same topic
    ("What is the capital of Italy?", "The capital of Italy is Rome.", "And the capital of France?"),  # a series
    ("Thanks!", "You're welcome!", "Tell me a joke."),  # too short to be a copy
])
def test_an_earlier_answer_may_be_said_again_where_it_fits(question: str, answer: str, now: str) -> None:
    assert not any(a.startswith(("the largest", "the capital", "you're")) for a in _after(question, answer, now))


def test_a_short_question_said_back_is_no_copy() -> None:
    assert openings_to_avoid((ChatMessage("user", "Thank you!"),)) == SCRIPTED_OPENINGS
    assert openings_to_avoid((ChatMessage("user", "How are you?"),)) == (*SCRIPTED_OPENINGS, "how are you")


@pytest.mark.parametrize(("earlier", "question"), [
    ("the capital of Australia.", "What's the capital of Australia?"),  # answered "The capital of Australia is"
    ("What is the capital of Italy?", "What is the capital of France?"),
    ("Tell me a joke about penguins.", "Tell me a joke about penguins."),  # asked again: answered again
])
def test_a_user_line_the_question_restates_is_no_copy(earlier: str, question: str) -> None:
    messages = (ChatMessage("user", earlier), ChatMessage("assistant", "..."), ChatMessage("user", question))
    extra = [a for a in openings_to_avoid(messages) if a not in SCRIPTED_OPENINGS]
    assert extra == [" ".join(opening_words(question, 99))]  # only the question itself, said back in full


def test_scripted_openings_are_how_the_tools_answer() -> None:
    """Each scripted opening is the start of a real tool answer (a renamed answer would leave a stale one)."""
    from app.tools import ToolContext, answer
    from app.tools.about import CAPABILITIES

    context = ToolContext(now_s=1_790_000_000.0, timezone="UTC")
    said = [answer(q, context) for q in ("What's the weather like?", "Play some music.", "Call my mom.",
                                         "Set a timer for five minutes.", "Remind me in ten minutes to call mom.",
                                         "My favorite color is green.", "What is my name?", "What's my time zone?",
                                         "Remind me.", "Set a timer.")]
    texts = [a.text for a in said if a is not None] + [CAPABILITIES, "I'll remember your name."]
    for opening in SCRIPTED_OPENINGS:
        assert any(OpeningGuard([opening]).push(t) is Verdict.COPY for t in texts), opening


def test_a_whole_earlier_answer_is_held_to_its_last_word() -> None:
    opening = "the largest planet in our solar system is mars"
    copy, other = OpeningGuard([opening]), OpeningGuard([opening])
    for delta in ("The", " largest", " planet", " in", " our", " solar", " system", " is"):
        assert copy.push(delta) is Verdict.HOLD and other.push(delta) is Verdict.HOLD
    assert copy.push(" Mars.") is Verdict.COPY
    assert other.push(" Jupiter.") is Verdict.CLEAR
