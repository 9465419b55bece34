"""The one error ladder: every exception that reaches a session becomes an ``error`` code and,
if the session cannot go on, a close code. Protocol errors, stage errors and bugs are told
apart here and nowhere else (python-websockets' ``Protocol.fail`` ladder is the model)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app import protocol as p
from app.stages.base import StageError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Failure:
    """What the client is told about an exception."""

    code: p.ErrorCode
    message: str
    close_code: p.CloseCode | None = None
    """None when the session goes on after the error."""


def describe(exc: Exception) -> Failure:
    """Map an exception to the error the client sees; a bug is logged with its traceback."""
    if isinstance(exc, p.ProtocolError):
        close = None if exc.close_code is None else p.CloseCode(exc.close_code)
        return Failure(p.ErrorCode(exc.code), exc.message, close)
    if isinstance(exc, StageError):
        # The detail can quote the input (a transcript): DEBUG only, by the logging rule.
        log.warning("%s stage failed", exc.stage)
        log.debug("stage failure detail: %s", exc)
        return Failure(p.ErrorCode.STAGE_FAILED, f"the {exc.stage} stage failed; try again")
    log.error("internal error", exc_info=exc)
    return Failure(p.ErrorCode.INTERNAL, "internal error; the session goes on")
