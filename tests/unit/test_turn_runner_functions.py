"""The turn runner with a client's functions, on a fake engine: the call before the local tools,
the arguments through the LLM stage, and the reply from a function's output."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from app.chat import ChatMessage
from app.config import ReplySettings
from app.conversation import (
    FunctionCalled,
    ReplyText,
    StartTurn,
    ToolUsed,
    Transcribed,
    TurnEvent,
    TurnFinished,
    WordsPredicted,
)
from app.engine import Engine
from app.tools import ToolContext
from app.tools.functions import ClientFunctions, Function, FunctionResult
from app.turn_runner import run_turn
from tests.fakes import fake_engine

AUDIO = np.zeros(16_000, dtype=np.int16)
REPLY = ReplySettings()
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER = ClientFunctions((Function("get_weather", "Get the current weather for a city.", CITY),))
TOOLS = ToolContext(now_s=1_700_000_000.0, node_timezone="UTC")


class ListSink:
    def __init__(self) -> None:
        self.events: list[TurnEvent] = []

    def deliver(self, event: TurnEvent) -> None:
        self.events.append(event)


@pytest.fixture
def make_engine() -> Iterator[Callable[..., Engine]]:
    engines: list[Engine] = []

    def make(**handlers: Any) -> Engine:
        engines.append(fake_engine(**handlers))
        return engines[-1]

    yield make
    for engine in engines:
        engine.close()


def run(engine: Engine, start: StartTurn) -> list[TurnEvent]:
    sink = ListSink()

    async def main() -> None:
        await asyncio.wait_for(run_turn(start, engine, REPLY, sink, affinity="c", tools=TOOLS), 10)

    asyncio.run(main())
    return sink.events


def paris(messages: Sequence[ChatMessage], schema: Any) -> str:
    return '{"city": "Paris"}'


def test_a_function_the_words_ask_for_is_called_with_the_models_arguments(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(stt=lambda a, w: "What's the weather in Paris?", arguments=paris, p_end=0.8)
    events = run(engine, StartTurn(1, AUDIO, (ChatMessage("user", "Hi"), ChatMessage("assistant", "Hello!")),
                                   naive=False, functions=WEATHER))
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Transcribed", "WordsPredicted", "FunctionCalled", "TurnFinished"]
    assert events[0] == Transcribed(1, "What's the weather in Paris?", words_pending=True)
    assert events[1] == WordsPredicted(1, 0.8)  # the words' estimate, read on the arguments' prompt
    assert events[2] == FunctionCalled(1, "get_weather", '{"city": "Paris"}')
    assert engine.llm.calls == []  # no spoken reply
    [(messages, schema)] = engine.llm.argument_calls
    assert schema == CITY
    assert [m.role for m in messages] == ["system", "user", "assistant", "system", "user"]
    assert "get_weather" in messages[-2].content and messages[-1].content == "What's the weather in Paris?"
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and "function_ms" in finished.stages and not finished.truncated


def test_client_functions_come_before_the_local_tools_and_none_leaves_them(make_engine: Callable[..., Engine]) -> None:
    said = "What is the weather in Paris?"  # the local live-facts tool would say it cannot know
    engine = make_engine(stt=lambda a, w: said, arguments=paris)
    called = run(engine, StartTurn(1, AUDIO, (), naive=False, functions=WEATHER))
    assert [e for e in called if isinstance(e, FunctionCalled)] and not [e for e in called if isinstance(e, ToolUsed)]
    local = run(engine, StartTurn(2, AUDIO, (), naive=False, functions=ClientFunctions(WEATHER.functions, "none")))
    assert not [e for e in local if isinstance(e, FunctionCalled)]
    assert [e.tool for e in local if isinstance(e, ToolUsed)] == ["live_facts"]


def test_a_typed_turn_is_routed_too_and_no_match_is_the_models(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(arguments=paris)
    typed = run(engine, StartTurn(1, AUDIO[:0], (), naive=False, transcript="Weather in Paris?", functions=WEATHER))
    assert [e for e in typed if isinstance(e, FunctionCalled)]
    other = run(engine, StartTurn(2, AUDIO[:0], (), naive=False, transcript="Tell me a joke.", functions=WEATHER))
    assert not [e for e in other if isinstance(e, FunctionCalled)] and [e for e in other if isinstance(e, ReplyText)]


def test_a_functions_output_is_answered_from_a_prompt_with_the_result(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(llm=lambda messages: ["It is sunny ", "in Paris."])
    history = (ChatMessage("user", "What's the weather in Paris?"),)
    result = FunctionResult("get_weather", '{"city": "Paris"}', '{"sky": "sunny"}')
    events = run(engine, StartTurn(3, AUDIO[:0], history, naive=False, results=(result,)))
    assert not [e for e in events if isinstance(e, Transcribed)]  # no new user message
    assert "".join(e.text for e in events if isinstance(e, ReplyText)) == "It is sunny in Paris."
    [call] = engine.llm.calls
    assert [m.role for m in call.messages] == ["system", "user", "system"]
    assert "sky: sunny" in call.messages[-1].content and "get_weather" in call.messages[-1].content
    assert engine.llm.argument_calls == [] and engine.stt.calls == []
