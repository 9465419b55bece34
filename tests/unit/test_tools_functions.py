"""The client functions' lexical router on a small documented set of utterances, and its prompts."""

from __future__ import annotations

import json

import pytest

from app.tools.functions import (
    ClientFunctions,
    Function,
    FunctionResult,
    arguments_prompt,
    plain_output,
    results_prompt,
    route,
    stem,
)

CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER = Function("get_weather", "Get the current weather for a city.", CITY)
FLIGHTS = Function("searchFlights", "Find flights between two airports on a date.", {"type": "object"})
LIGHTS = Function("set_light_level", "Dim or brighten the lamps in a room.", {"type": "object"})
APP = ClientFunctions((WEATHER, FLIGHTS, LIGHTS))

# What "auto" does with these three functions: the name's words decide, the description's help.
AUTO = [
    ("What's the weather like in Paris?", "get_weather"),
    ("Tell me the weather in Tokyo today.", "get_weather"),
    ("Could you search flights from Boston to Denver?", "searchFlights"),
    ("Are there any flights to Rome on Friday?", "searchFlights"),
    ("Turn the light level down a bit.", "set_light_level"),
    ("Please dim the lamps in the kitchen.", "set_light_level"),  # two words of its description
    # Negatives: no word of a name, at most one of a description; the model (or a local tool) answers.
    ("Tell me a joke.", None),
    ("What time is it in Paris?", None),
    ("Which city is the Eiffel Tower in?", None),  # "city" is one description word only
    ("Set a timer for ten minutes.", None),  # "set" is a generic word
    ("Get me the current date.", None),  # so are "get" and "current"
    ("", None),
]


@pytest.mark.parametrize(("said", "expected"), AUTO)
def test_auto_calls_a_function_only_when_the_words_ask_for_it(said: str, expected: str | None) -> None:
    chosen = route(said, APP)
    assert (chosen.name if chosen else None) == expected


def test_required_always_calls_the_best_scoring_function_and_named_calls_that_one() -> None:
    required = ClientFunctions(APP.functions, "required")
    assert route("Dim the lamps please.", required) is LIGHTS
    assert route("Tell me a joke.", required) is WEATHER  # no word at all: the first declared
    assert route("Tell me a joke.", ClientFunctions(APP.functions, "searchFlights")) is FLIGHTS
    assert route("What's the weather in Paris?", ClientFunctions(APP.functions, "none")) is None
    assert route("What's the weather in Paris?", None) is None
    assert route("What's the weather in Paris?", ClientFunctions(())) is None


def test_a_long_turn_is_the_models_under_auto() -> None:
    long = "weather " + "and then I went on talking about my day " * 6
    assert route(long, APP) is None
    assert route(long, ClientFunctions(APP.functions, "required")) is WEATHER


def test_names_split_on_snake_and_camel_case_and_words_are_stemmed() -> None:
    assert WEATHER.keywords()["weather"] == 2 and "get" not in WEATHER.keywords()
    assert FLIGHTS.keywords()["flight"] == 2 and FLIGHTS.keywords()["airport"] == 1
    assert [stem(w) for w in ("cities", "flights", "booking", "glass", "status")] == [
        "city", "flight", "book", "glass", "status"]


def test_the_arguments_prompt_carries_the_name_description_and_schema() -> None:
    prompt = arguments_prompt(WEATHER)
    assert prompt.role == "system" and "get_weather" in prompt.content and "weather for a city" in prompt.content
    assert json.dumps(CITY, separators=(",", ":")) in prompt.content


def test_the_results_prompt_reads_json_outputs_as_plain_words() -> None:
    result = FunctionResult("get_weather", '{"city":"Paris"}', '{"temp_c": 18, "sky": "sunny", "rain": false}')
    prompt = results_prompt([result])
    assert prompt.role == "system" and "get_weather" in prompt.content
    assert "temp c: 18; sky: sunny; rain: no" in prompt.content and "{\"temp_c\"" not in prompt.content
    assert plain_output("It is 18 degrees.") == "It is 18 degrees."
    assert plain_output('[{"name": "A"}, {"name": "B"}]') == "name: A, name: B"
    assert plain_output('"just a string"') == '"just a string"'
    assert len(plain_output("x" * 5000)) == 2000
