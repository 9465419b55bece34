"""Deterministic tools in front of the language model: clock, calendar, timers, arithmetic, units, live facts.

``answer(transcript, context)`` returns the exact reply, or None when the model should answer. Sans-I/O:
the current time, the user's time zone and the session's timers come in ``ToolContext``; a timer to start
or cancel goes out as the answer's ``action``.
"""

from app.tools.router import answer
from app.tools.types import CancelTimers, SetTimer, Timer, TimerAction, ToolAnswer, ToolContext

__all__ = ["CancelTimers", "SetTimer", "Timer", "TimerAction", "ToolAnswer", "ToolContext", "answer"]
