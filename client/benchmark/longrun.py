"""What a long session answered: repeated replies, the first-token trend, ghost turns, replies cut
short, and what entered the stored history. Pure functions over one session's event log.

Definitions (each per session; the summary adds them up over sessions):

- ``same_reply_as_previous``: turns whose reply, normalized (:func:`~client.benchmark.stats.normalize_text`),
  is non-empty and equal to the previous played clip's reply in the same session.
- ``first_token_trend``: ``llm_first_token_ms`` of the first 10 and of the last 10 turns that
  report it, per session (pooled over sessions in the summary): p50/p95 of each and
  ``last10_over_first10_p95``. A session of fewer than 20 such turns has overlapping windows.
- ``ghost_turns``: speech the server opened that had no words. ``opened``: a ``speech_started``
  after which no turn was committed (no ``speech_stopped``) before the next ``speech_started`` or
  the acoustic start of the next clip, whichever came first (the server discarded it, or it ran
  into the next clip's speech). ``committed``: a committed turn whose transcript was empty (the
  server dropped it as noise, echo or a backchannel). The two are disjoint.
- ``replies_shortened``: answering turns whose ``reply_done`` says ``interrupted``, although the
  benchmark never sends ``interrupt`` (a later turn, a merge or the server itself cut them).
- ``history_cut``: assistant messages in the history returned by ``get_history`` at the end of
  the session that equal no complete (not interrupted) ``reply_done`` text of the session: a cut
  or withdrawn reply that entered the history. ``history_repeats``: assistant messages whose
  normalized text equals an earlier assistant message of that history.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

from client.benchmark.accounting import REPLY_DONE, SPEECH_STARTED, SPEECH_STOPPED, TRANSCRIPT, Event
from client.benchmark.stats import normalize_text, summarize

TREND_TURNS = 10
"""Turns at each end of a session compared by ``first_token_trend``."""


def same_reply_count(replies: Sequence[str]) -> int:
    """Replies (in play order) whose normalized text is non-empty and equals the one before."""
    norm = [normalize_text(r) for r in replies]
    return sum(1 for prev, cur in itertools.pairwise(norm) if cur and cur == prev)


def first_token_trend(sessions: Iterable[Sequence[float]], n: int = TREND_TURNS) -> dict[str, Any]:
    """First ``n`` and last ``n`` values of each session (pooled), summarized, and the p95 ratio."""
    first: list[float] = []
    last: list[float] = []
    shortest: int | None = None
    for values in sessions:
        first += values[:n]
        last += values[-n:]
        shortest = len(values) if shortest is None else min(shortest, len(values))
    a, b = summarize(first), summarize(last)
    ratio = b["p95_ms"] / a["p95_ms"] if a["p95_ms"] and b["p95_ms"] is not None else None
    return {"first10": a, "last10": b, "last10_over_first10_p95": ratio,
            "overlapping": shortest is not None and shortest < 2 * n}


def _transcripts(events: Sequence[Event]) -> dict[int, str]:
    return {e.turn_id: e.text for e in events if e.kind == TRANSCRIPT and e.turn_id is not None}


def ghost_turns(events: Sequence[Event], onsets: Sequence[float]) -> dict[str, int]:
    """``{"opened", "committed"}`` ghost counts of one session; ``onsets``: client times at which
    each clip's speech began (see the module docstring)."""
    starts = [i for i, e in enumerate(events) if e.kind == SPEECH_STARTED]
    opened = 0
    for k, i in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(events)
        next_onset = min((o for o in onsets if o > events[i].t), default=math.inf)
        committed = False
        for e in events[i + 1 : end]:
            if e.t >= next_onset:
                break
            if e.kind == SPEECH_STOPPED:
                committed = True
                break
        opened += not committed
    texts = _transcripts(events)
    stopped = dict.fromkeys(e.turn_id for e in events if e.kind == SPEECH_STOPPED and e.turn_id is not None)
    return {"opened": opened, "committed": sum(1 for t in stopped if texts.get(t) == "")}


def shortened_replies(events: Sequence[Event], turn_ids: Iterable[int | None]) -> int:
    """Answering turns (``turn_ids``) with an interrupted ``reply_done`` anywhere in the log."""
    cut = {e.turn_id for e in events if e.kind == REPLY_DONE and e.interrupted}
    return sum(1 for t in dict.fromkeys(turn_ids) if t is not None and t in cut)


def history_counts(history: Sequence[dict[str, str]], events: Sequence[Event]) -> dict[str, int]:
    """Messages, assistant messages, cut and repeated assistant messages of a ``history`` answer."""
    full = {e.text.strip() for e in events if e.kind == REPLY_DONE and not e.interrupted}
    assistant = [str(m.get("content", "")).strip() for m in history if m.get("role") == "assistant"]
    seen: set[str] = set()
    repeats = 0
    for text in assistant:
        norm = normalize_text(text)
        repeats += norm in seen
        seen.add(norm)
    return {"messages": len(history), "assistant": len(assistant),
            "cut": sum(1 for text in assistant if text not in full), "repeats": repeats}


def session_stats(events: Sequence[Event], onsets: Sequence[float], *, turn_ids: Sequence[int | None],
                  replies: Sequence[str], first_tokens: Sequence[float],
                  history: Sequence[dict[str, str]] | None) -> dict[str, Any]:
    """Every count of one session (the runner adds ``session`` and ``mode``)."""
    counts = history_counts(history, events) if history is not None else None
    return {
        "turns": len(turn_ids),
        "same_reply_as_previous": same_reply_count(replies),
        "first_token_trend": first_token_trend([first_tokens]),
        "first_token_ms": list(first_tokens),
        "ghost_turns": ghost_turns(events, onsets),
        "replies_shortened": shortened_replies(events, turn_ids),
        "history": counts,
        "history_cut": counts["cut"] if counts is not None else None,
        "history_repeats": counts["repeats"] if counts is not None else None,
    }


def _total(values: Iterable[int | None]) -> int | None:
    got = [v for v in values if v is not None]
    return sum(got) if got else None


def combine(sessions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The summary's totals over sessions (history counts are None when no session answered)."""
    return {
        "sessions": len(sessions),
        "same_reply_as_previous": sum(s["same_reply_as_previous"] for s in sessions),
        "first_token_trend": first_token_trend(s["first_token_ms"] for s in sessions),
        "ghost_turns": {k: sum(s["ghost_turns"][k] for s in sessions) for k in ("opened", "committed")},
        "replies_shortened": sum(s["replies_shortened"] for s in sessions),
        "history_sessions": sum(s["history"] is not None for s in sessions),
        "history_cut": _total(s["history_cut"] for s in sessions),
        "history_repeats": _total(s["history_repeats"] for s in sessions),
    }
