"""The base of every JSON message, and building one from decoded JSON with its fields checked.

A field's JSON type comes from its annotation, read once per message class; a field is required
on the wire unless it is declared ``omittable``.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from app.protocol.codes import ErrorCode, ProtocolError


@dataclass(frozen=True, slots=True)
class Message:
    """Base for all JSON messages; subclasses set ``type``."""

    type: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict including ``type``."""
        return {"type": self.type, **asdict(self)}

    def encode(self) -> str:
        """Serialise to one JSON text frame."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)


_OMITTABLE = "omittable"


def omittable(default: Any) -> Any:
    """Declare a message field that a sender may leave out; absent, it takes ``default``.

    Every other field is required on the wire, although all of them have defaults in Python."""
    return field(default=default, metadata={_OMITTABLE: True})


def _check(data: dict[str, Any], name: str, kinds: tuple[type, ...], required: bool) -> Any:
    if name not in data:
        if required:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{data.get('type')!r} message lacks field {name!r}")
        return None
    value = data[name]
    # bool is an int subclass; never accept it where a number is meant.
    if isinstance(value, bool) and bool not in kinds:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"field {name!r} has the wrong type")
    if not isinstance(value, kinds):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"field {name!r} has the wrong type")
    return value


FieldTable = dict[tuple[str, str], tuple[tuple[type, ...], bool]]
"""(message type, field name) -> (accepted JSON types, whether the field is required)."""


def build_message(cls: type[Message], data: dict[str, Any], table: FieldTable) -> Message:
    """Build ``cls`` from ``data``, checking each field's JSON type; unknown fields are ignored
    so that newer clients can add optional fields within a protocol version."""
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        kinds, required = table[(cls.type, f.name)]
        value = _check(data, f.name, kinds, required)
        if value is not None:
            kwargs[f.name] = value
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, str(exc)) from None


def _json_kinds(hint: Any) -> tuple[type, ...]:
    """The Python types a JSON value may decode to for a field annotated ``hint``."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return tuple(kind for arg in typing.get_args(hint) for kind in _json_kinds(arg))
    hint = typing.get_origin(hint) or hint  # dict[str, Any] -> dict, list[...] -> list
    if hint is float:
        return (int, float)  # JSON does not tell 1 from 1.0
    if hint in (int, str, bool, dict, list, types.NoneType):
        return (hint,)
    raise TypeError(f"no JSON type for a message field annotated {hint!r}")


def field_table(messages: Iterable[type[Message]]) -> FieldTable:
    """The field table of ``messages``, from their annotations."""
    table: FieldTable = {}
    for cls in messages:
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            table[(cls.type, f.name)] = (_json_kinds(hints[f.name]), not f.metadata.get(_OMITTABLE, False))
    return table
