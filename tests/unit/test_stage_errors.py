"""``stage_errors``: library errors become StageError; interrupts and cancellation do not."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from app.stages.base import StageError
from app.stages.errors import stage_errors


def test_an_error_becomes_a_stage_error_with_its_cause() -> None:
    cause = RuntimeError("bad tensor shape")
    with pytest.raises(StageError) as info, stage_errors("stt", "transcription failed"):
        raise cause
    assert str(info.value) == "stt: transcription failed: bad tensor shape"
    assert info.value.stage == "stt"
    assert info.value.__cause__ is cause


def test_nothing_happens_without_an_error() -> None:
    with stage_errors("tts", "synthesis failed"):
        value = 1
    assert value == 1


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(2), asyncio.CancelledError()])
def test_interrupts_and_cancellation_pass_through(exc: BaseException) -> None:
    with pytest.raises(type(exc)), stage_errors("llm", "generation failed"):
        raise exc


def test_closing_a_generator_inside_it_is_not_an_error() -> None:
    closed = []

    def deltas() -> Iterator[str]:
        with stage_errors("llm", "generation failed"):
            try:
                yield "a"
                yield "b"
            finally:
                closed.append(True)

    stream = deltas()
    assert next(stream) == "a"
    stream.close()  # GeneratorExit at the yield: no StageError
    assert closed == [True]
