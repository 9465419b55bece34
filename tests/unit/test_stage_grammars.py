"""The grammars that constrain a function call's arguments (llama-cpp-python's converter, no model)."""

from __future__ import annotations

import pytest

from app.stages.base import StageError
from app.stages.grammars import Grammars, json_object

CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def test_a_schemas_grammar_is_built_once_and_names_its_properties() -> None:
    grammars = Grammars()
    grammar = grammars.for_schema(CITY)
    assert grammars.for_schema({"required": ["city"], "properties": {"city": {"type": "string"}}, "type": "object"}) \
        is grammar  # the same schema, keys in another order
    assert 'city-kv ::= "\\"city\\""' in grammar._grammar  # the property, required: not optional
    assert "(city-kv )?" not in grammar._grammar


def test_a_schema_the_converter_cannot_follow_still_gets_an_object_grammar(caplog: pytest.LogCaptureFixture) -> None:
    grammar = Grammars().for_schema({"type": "object", "properties": {"x": {"$ref": "#/nowhere"}}})
    assert grammar._grammar == Grammars().for_schema({"type": "object"})._grammar
    assert "any JSON object" in caplog.text and "nowhere" not in caplog.text


def test_arguments_must_be_one_json_object() -> None:
    assert json_object(' {"city": "Paris"}\n') == '{"city": "Paris"}'
    for bad in ('{"city": "Par', "[1, 2]", ""):
        with pytest.raises(StageError):
            json_object(bad)
