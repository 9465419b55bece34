"""The error every bad Realtime client event raises, and the one field reader that raises it."""

from __future__ import annotations

from typing import Any


class RealtimeError(Exception):
    """A client event the node cannot take; its fields are the ``error`` event's."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        param: str | None = None,
        event_id: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.param, self.event_id, self.kind = code, message, param, event_id, kind


UNSET: Any = object()
"""A field the event does not set."""


def field(
    obj: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    where: str,
    *,
    required: bool = False,
    event_id: str | None = None,
) -> Any:
    """``obj[key]`` checked to be a ``kind`` (``where`` names the object, for ``param``): UNSET when
    absent, None when null (a RealtimeError if it is ``required``)."""
    param = f"{where}.{key}" if where else key
    if key not in obj or (obj[key] is None and not required):
        if required:
            raise RealtimeError(
                "missing_required_parameter", f"missing required parameter: '{param}'", param=param, event_id=event_id
            )
        return UNSET if key not in obj else None
    value, kinds = obj[key], kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):  # True is an int
        names = " or ".join(k.__name__ for k in kinds)
        raise RealtimeError(
            "invalid_type", f"'{param}' must be {names}, not {type(value).__name__}", param=param, event_id=event_id
        )
    return value
