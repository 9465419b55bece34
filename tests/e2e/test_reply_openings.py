"""The opening guard on the real default model: a reply that would open with an opening to avoid is
generated again, and still answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app.chat import ChatMessage
from app.config import ModelSettings, ReplySettings
from app.models import load_manifest, resolve_defaults
from app.stages.llm import LlamaChat
from app.turn_policy import openings_to_avoid


@pytest.fixture(scope="module")
def chat() -> Iterator[LlamaChat]:
    settings = ModelSettings()
    resolved = resolve_defaults(load_manifest(settings.manifest), settings.models_dir)
    # Greedy, so the first attempt's opening is known ("The capital of France is Paris.").
    yield LlamaChat(resolved.llm_path, instances=1, threads=2, temperature=0.0)


def _reply(chat: LlamaChat, question: str, avoid: tuple[str, ...]) -> str:
    messages = (ChatMessage("system", ReplySettings().system_prompt), ChatMessage("user", question))
    return "".join(chat.stream_reply(messages, cancel=threading.Event(), affinity="openings", avoid=avoid))


def test_without_the_guard_the_model_opens_as_expected(chat: LlamaChat) -> None:
    assert _reply(chat, "What is the capital of France?", ()).startswith("The capital of France")


def test_a_banned_opening_is_generated_again_and_still_answers(chat: LlamaChat) -> None:
    reply = _reply(chat, "What is the capital of France?", ("The capital of",))
    assert not reply.lower().startswith("the capital of")
    assert "Paris" in reply


def test_the_tools_and_the_users_words_leave_an_ordinary_answer_alone(chat: LlamaChat) -> None:
    messages = (ChatMessage("user", "What is the capital of France?"),)
    assert _reply(chat, "What is the capital of France?", openings_to_avoid(messages)).startswith(
        "The capital of France")
