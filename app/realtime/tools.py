"""``session.update``'s ``tools`` and ``tool_choice``, parsed with loud failures, and reported back.

A tool is ``{"type": "function", "name", "description", "parameters"}`` (GA and beta alike); the
node offers the functions through its lexical router (``app.tools.functions``) and has the model
write the arguments under the ``parameters`` schema. Limits keep that router and the grammar small.
"""

from __future__ import annotations

import json
import re
from typing import Any

from app.realtime.errors import UNSET, RealtimeError
from app.realtime.errors import field as _field
from app.tools.functions import CHOICES, Function

MAX_TOOLS = 32
"""Functions a session may declare."""
MAX_DESCRIPTION_CHARS = 1_024
MAX_SCHEMA_CHARS = 8_192
"""Of a function's ``parameters``, as compact JSON: the grammar built from it stays small."""
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""OpenAI's rule for a function name."""
EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def parse_tools(value: Any, event_id: str | None) -> tuple[Function, ...]:
    """``session.tools`` as functions (raises RealtimeError naming the bad ``param``)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RealtimeError("invalid_type", "'session.tools' must be an array", param="session.tools",
                            event_id=event_id)
    if len(value) > MAX_TOOLS:
        raise RealtimeError("invalid_value", f"at most {MAX_TOOLS} tools can be declared here, not {len(value)}",
                            param="session.tools", event_id=event_id)
    functions = tuple(_tool(tool, f"session.tools[{i}]", event_id) for i, tool in enumerate(value))
    names = [f.name for f in functions]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise RealtimeError("invalid_value", f"two tools are named {name!r}", param=f"session.tools[{i}].name",
                                event_id=event_id)
    return functions


def _tool(tool: Any, where: str, event_id: str | None) -> Function:
    if not isinstance(tool, dict):
        raise RealtimeError("invalid_type", f"'{where}' must be an object", param=where, event_id=event_id)
    kind = _field(tool, "type", str, where, event_id=event_id)
    if kind not in (UNSET, None, "function"):
        raise RealtimeError("unsupported_parameter", f"tools of type {kind[:32]!r} are not supported here: only "
                            "'function'", param=f"{where}.type", event_id=event_id)
    name = _field(tool, "name", str, where, required=True, event_id=event_id)
    if not NAME.fullmatch(name):
        raise RealtimeError("invalid_value", f"a function name is 1 to 64 letters, digits, '_' or '-', not "
                            f"{name[:80]!r}", param=f"{where}.name", event_id=event_id)
    description = _field(tool, "description", str, where, event_id=event_id)
    description = description if isinstance(description, str) else ""
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise RealtimeError("invalid_value", f"a description is at most {MAX_DESCRIPTION_CHARS} characters here",
                            param=f"{where}.description", event_id=event_id)
    parameters = _field(tool, "parameters", dict, where, event_id=event_id)
    if not isinstance(parameters, dict):
        parameters = EMPTY_SCHEMA
    elif parameters.get("type", "object") != "object":
        raise RealtimeError("invalid_value", "parameters must be a JSON schema of type 'object' (the arguments are "
                            "one JSON object)", param=f"{where}.parameters.type", event_id=event_id)
    if len(json.dumps(parameters, separators=(",", ":"))) > MAX_SCHEMA_CHARS:
        raise RealtimeError("invalid_value", f"parameters are at most {MAX_SCHEMA_CHARS} characters of JSON here",
                            param=f"{where}.parameters", event_id=event_id)
    properties = parameters.get("properties", {})
    if not isinstance(properties, dict) or not all(isinstance(v, dict) for v in properties.values()):
        raise RealtimeError("invalid_value", "parameters.properties must map each name to a schema object",
                            param=f"{where}.parameters.properties", event_id=event_id)
    return Function(name, description, {"type": "object", **parameters})


def parse_tool_choice(value: Any, event_id: str | None) -> str:
    """``session.tool_choice`` as "auto", "none", "required" or the one function's name."""
    param = "session.tool_choice"
    if isinstance(value, str):
        if value not in CHOICES:
            raise RealtimeError("invalid_value", f"tool_choice {value[:32]!r} is not one of {list(CHOICES)} or a "
                                "function", param=param, event_id=event_id)
        return value
    if isinstance(value, dict):
        kind = _field(value, "type", str, param, required=True, event_id=event_id)
        if kind != "function":
            raise RealtimeError("unsupported_parameter", f"tool_choice of type {kind[:32]!r} is not supported here",
                                param=f"{param}.type", event_id=event_id)
        return str(_field(value, "name", str, param, required=True, event_id=event_id))
    raise RealtimeError("invalid_type", f"'{param}' must be a string or an object", param=param, event_id=event_id)


def check_choice(choice: str, functions: tuple[Function, ...], event_id: str | None) -> None:
    """A named ``tool_choice`` must name a declared function."""
    if choice not in CHOICES and all(f.name != choice for f in functions):
        raise RealtimeError("invalid_value", f"tool_choice names {choice[:64]!r}, which is not a declared tool",
                            param="session.tool_choice", event_id=event_id)


def describe_tools(functions: tuple[Function, ...]) -> list[dict[str, Any]]:
    """``session.tools`` as reported back."""
    return [{"type": "function", "name": f.name, "description": f.description, "parameters": dict(f.parameters)}
            for f in functions]


def describe_choice(choice: str) -> str | dict[str, str]:
    """``session.tool_choice`` as reported back."""
    return choice if choice in CHOICES else {"type": "function", "name": choice}
