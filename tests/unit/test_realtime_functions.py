"""Function tools on the Realtime translator, driven with plain values and fake turn events: the
session's tools, the function_call response, the client's output and the spoken answer from it
(every server event checked against the openai SDK's types)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from app.chat import ChatMessage
from app.conversation import FunctionCalled, ReplySpeech, ReplyText, StartTurn, Transcribed, TurnFinished
from app.conversation import TurnPredicted as Predicted
from app.realtime import events as rt
from app.realtime.tools import MAX_TOOLS
from app.tools.functions import ClientFunctions, FunctionResult
from tests.unit.test_realtime_session import VOICE, Client, events, one, types

CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER = {"type": "function", "name": "get_weather", "description": "Get the weather for a city.", "parameters": CITY}


def with_tools(client: Client, choice: Any = "auto", **session: Any) -> dict[str, Any]:
    update = {"type": "realtime", "tools": [WEATHER], "tool_choice": choice, **session}
    return one(client.send({"type": "session.update", "session": update}), "session.updated")["session"]


def spoken_question(client: Client) -> tuple[StartTurn, list]:
    effects = client.speak("x" * 20 + "." * 8)
    start = next(e for e in effects if isinstance(e, StartTurn))
    effects += client.turn(Transcribed(start.turn_id, "What's the weather in Paris?"), Predicted(start.turn_id, 0.9))
    return start, effects + client.speak("......")  # the endpoint: the turn is committed


def called(client: Client) -> tuple[int, dict[str, Any], list]:
    """A spoken question answered by a call of get_weather: the turn id, the call item, the events."""
    start, effects = spoken_question(client)
    effects += client.turn(FunctionCalled(start.turn_id, "get_weather", '{"city": "Paris"}'))
    effects += client.turn(TurnFinished(start.turn_id, {}))
    return start.turn_id, one(effects, "response.output_item.done")["item"], effects


def test_tools_and_tool_choice_are_reported_back() -> None:
    session = with_tools(Client(), {"type": "function", "name": "get_weather"})
    assert session["tools"] == [WEATHER] and session["tool_choice"] == {"type": "function", "name": "get_weather"}
    beta = Client().send({"type": "session.update", "session": {"tools": [WEATHER], "tool_choice": "required"}})
    assert one(beta, "session.updated")["session"]["tool_choice"] == "required"  # the beta shape has the same fields


@pytest.mark.parametrize(
    ("session", "code", "param"),
    [
        ({"tools": [{**WEATHER, "name": "get weather!"}]}, "invalid_value", "session.tools[0].name"),
        ({"tools": [{**WEATHER, "parameters": {"type": "string"}}]}, "invalid_value",
         "session.tools[0].parameters.type"),
        ({"tools": [{**WEATHER, "parameters": "city"}]}, "invalid_type", "session.tools[0].parameters"),
        ({"tools": [{**WEATHER, "parameters": {"properties": {"city": 3}}}]}, "invalid_value",
         "session.tools[0].parameters.properties"),
        ({"tools": [WEATHER, {**WEATHER, "name": "f", "description": "x" * 1025}]}, "invalid_value",
         "session.tools[1].description"),
        ({"tools": [{**WEATHER, "parameters": {"type": "object", "description": "x" * 9000}}]}, "invalid_value",
         "session.tools[0].parameters"),
        ({"tools": [{**WEATHER, "name": f"f{i}"} for i in range(MAX_TOOLS + 1)]}, "invalid_value", "session.tools"),
        ({"tools": [WEATHER, WEATHER]}, "invalid_value", "session.tools[1].name"),
        ({"tools": [{"description": "no name"}]}, "missing_required_parameter", "session.tools[0].name"),
        ({"tools": {"get_weather": WEATHER}}, "invalid_type", "session.tools"),
        ({"tool_choice": "always"}, "invalid_value", "session.tool_choice"),
        ({"tool_choice": {"type": "mcp", "server_label": "x"}}, "unsupported_parameter", "session.tool_choice.type"),
        ({"tool_choice": {"type": "function"}}, "missing_required_parameter", "session.tool_choice.name"),
        ({"tools": [WEATHER], "tool_choice": {"type": "function", "name": "book_flight"}}, "invalid_value",
         "session.tool_choice"),
    ],
)
def test_bad_tools_are_error_events_naming_their_parameter(session: dict, code: str, param: str) -> None:
    client = Client()
    error = one(client.send({"type": "session.update", "event_id": "e7", "session": session}), "error")["error"]
    assert (error["code"], error["param"], error["event_id"]) == (code, param, "e7")
    assert client.rt.tools == () and client.rt.tool_choice == "auto"  # nothing of a refused update applies


def test_a_users_turn_is_offered_the_functions_and_the_instructions() -> None:
    client = Client()
    with_tools(client, instructions="Be brief.")
    start, _ = spoken_question(client)
    assert start.functions is not None and start.functions.choice == "auto"
    assert [f.name for f in start.functions.functions] == ["get_weather"]
    assert start.history[0] == ChatMessage("system", "Be brief.")


def test_a_function_call_is_a_response_with_one_function_call_item() -> None:
    client = Client()
    with_tools(client)
    start, effects = spoken_question(client)
    assert "conversation.item.input_audio_transcription.completed" in types(effects)
    assert "response.created" not in types(effects)  # it may be a call: the response starts at its output
    tid = start.turn_id
    effects = client.turn(FunctionCalled(tid, "get_weather", '{"city": "Paris"}'))
    assert types(effects) == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
    ]
    added = one(effects, "response.output_item.added")["item"]
    assert added["type"] == "function_call" and added["name"] == "get_weather" and added["arguments"] == ""
    done = one(effects, "response.function_call_arguments.done")
    assert done["arguments"] == '{"city": "Paris"}' and done["call_id"] == added["call_id"]
    assert one(effects, "response.function_call_arguments.delta")["delta"] == '{"city": "Paris"}'
    effects = client.turn(TurnFinished(tid, {}))
    assert types(effects) == ["response.output_item.done", "conversation.item.done", "response.done"]
    response = one(effects, "response.done")["response"]
    assert response["status"] == "completed" and response["output"][0]["call_id"] == added["call_id"]
    assert response["output"][0]["arguments"] == '{"city": "Paris"}' and response["output"][0]["status"] == "completed"
    item_id = added["id"]
    retrieve = {"type": "conversation.item.retrieve", "item_id": item_id}
    retrieved = one(client.send(retrieve), "conversation.item.retrieved")
    assert retrieved["item"]["type"] == "function_call"
    assert client.rt.history == [ChatMessage("user", "What's the weather in Paris?")]  # no JSON in the history


def test_the_functions_output_is_spoken_as_a_normal_audio_response() -> None:
    client = Client()
    with_tools(client, instructions="Be brief.")
    _tid, call, _ = called(client)
    item = {"type": "function_call_output", "call_id": call["call_id"], "output": '{"sky": "sunny", "temp_c": 18}'}
    effects = client.send({"type": "conversation.item.create", "item": item})
    assert types(effects) == ["conversation.item.added", "conversation.item.done"]
    output_item = one(effects, "conversation.item.added")
    assert output_item["previous_item_id"] == call["id"] and output_item["item"]["call_id"] == call["call_id"]
    effects = client.send({"type": "response.create"})
    start = next(e for e in effects if isinstance(e, StartTurn))
    assert start.results == (FunctionResult("get_weather", '{"city": "Paris"}', item["output"]),)
    assert start.functions is None and start.transcript is None
    assert start.history == (ChatMessage("system", "Be brief."), ChatMessage("user", "What's the weather in Paris?"))
    tid = start.turn_id
    effects = client.turn(ReplyText(tid, "It is sunny in Paris."),
                          ReplySpeech(tid, "It is sunny in Paris.", np.ones(VOICE // 2, dtype=np.int16)),
                          TurnFinished(tid, {}))
    kinds = types(effects)
    assert kinds[:4] == ["response.created", "response.output_item.added", "conversation.item.added",
                         "response.content_part.added"] and kinds[-1] == "response.done"
    assert one(effects, "conversation.item.added")["previous_item_id"] == output_item["item"]["id"]
    done = one(effects, "response.done")["response"]
    assert done["status"] == "completed" and done["output"][0]["content"][0]["transcript"] == "It is sunny in Paris."
    assert client.rt.history == [ChatMessage("user", "What's the weather in Paris?"),
                                 ChatMessage("assistant", "It is sunny in Paris.")]
    again = next(e for e in client.send({"type": "response.create"}) if isinstance(e, StartTurn))
    assert again.from_history and not again.results  # the output was answered: the history alone now


def test_an_output_for_an_unknown_or_answered_call_is_an_error() -> None:
    client = Client()
    with_tools(client)
    unknown = {"type": "function_call_output", "call_id": "call_nope", "output": "{}"}
    error = one(client.send({"type": "conversation.item.create", "event_id": "e3", "item": unknown}), "error")["error"]
    assert (error["code"], error["param"], error["event_id"]) == ("invalid_value", "item.call_id", "e3")
    _tid, call, _ = called(client)
    output = {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}
    assert types(client.send({"type": "conversation.item.create", "item": output}))[0] == "conversation.item.added"
    assert one(client.send({"type": "conversation.item.create", "item": output}), "error")["error"]["param"] == (
        "item.call_id")
    huge = {"type": "function_call_output", "call_id": call["call_id"], "output": "x" * 40_000}
    assert one(client.send({"type": "conversation.item.create", "item": huge}), "error")["error"]["param"] == (
        "item.output")
    missing = {"type": "function_call_output", "call_id": call["call_id"]}
    assert one(client.send({"type": "conversation.item.create", "item": missing}), "error")["error"]["code"] == (
        "missing_required_parameter")


def test_a_call_waits_for_response_create_when_the_client_asks_itself() -> None:
    client = Client()
    detection = {"type": "server_vad", "create_response": False}
    with_tools(client, audio={"input": {"turn_detection": detection}})
    start, effects = spoken_question(client)
    effects += client.turn(FunctionCalled(start.turn_id, "get_weather", '{"city": "Paris"}'),
                           TurnFinished(start.turn_id, {}))
    assert "response.created" not in types(effects)
    effects = client.send({"type": "response.create"})
    kinds = types(effects)
    assert kinds[0] == "response.created" and kinds[-1] == "response.done"
    assert one(effects, "response.done")["response"]["output"][0]["type"] == "function_call"


@pytest.mark.parametrize(("choice", "said", "starts"), [
    ("none", "What's the weather in Paris?", True),
    ("auto", "Tell me a story.", True),  # no function asked for: the response starts at once, as before
    ("auto", "What's the weather in Paris?", False),
    ("required", "Tell me a story.", False),
])
def test_a_response_waits_for_the_call_only_when_the_words_route_to_one(choice: str, said: str, starts: bool) -> None:
    client = Client()
    with_tools(client, choice)
    effects = client.speak("x" * 20 + "." * 8)
    tid = next(e for e in effects if isinstance(e, StartTurn)).turn_id
    effects = client.turn(Transcribed(tid, said), Predicted(tid, 0.9)) + client.speak("......")
    assert "conversation.item.input_audio_transcription.completed" in types(effects)
    assert ("response.created" in types(effects)) is starts


def test_the_output_event_parses_into_a_typed_value() -> None:
    item = {"type": "function_call_output", "call_id": "call_1", "output": "18 C", "id": "mine"}
    parsed = rt.parse(json.dumps({"type": "conversation.item.create", "event_id": "e1", "item": item}))
    assert parsed == rt.FunctionOutput("e1", "call_1", "18 C", "mine")
    assert isinstance(ClientFunctions(()), ClientFunctions) and events([]) == []


def test_a_speculative_call_is_shown_at_the_endpoint_and_never_if_the_user_goes_on() -> None:
    for resumes in (False, True):
        client = Client()
        with_tools(client)
        effects = client.speak("x" * 20 + "." * 8)
        tid = next(e for e in effects if isinstance(e, StartTurn)).turn_id
        early = client.turn(Transcribed(tid, "What's the weather in Paris?"), Predicted(tid, 0.9),
                            FunctionCalled(tid, "get_weather", '{"city": "Paris"}'), TurnFinished(tid, {}))
        assert "response.created" not in types(early)  # speculative: held back
        later = client.speak("x" * 10 + "." * 40 if resumes else "......")
        shown = [k for k in types(later) if k.startswith("response.function_call")]
        assert shown == ([] if resumes else ["response.function_call_arguments.delta",
                                             "response.function_call_arguments.done"])
