"""Reply audio continuity, per turn: binary frames carry (turn id, seq) and seq runs 0, 1, 2, ...

Frames of one connection are checked together (turn ids restart with each connection). A gap in
``seq`` counts the skipped frames as lost; a frame whose seq was already passed is out of order
(duplicates included), and so is a frame of a turn whose ``reply_done`` already came. At
``reply_done`` the samples received for the turn are compared with its ``audio_ms``: audio
missing at the end of a turn (where no later seq would show a gap) is lost too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FrameCheck:
    """Continuity of one connection's reply audio; feed frames and ``reply_done``s in arrival order."""

    output_rate: int
    """Reply audio sample rate (from ``ready``), to turn ``audio_ms`` into samples."""
    frames: int = 0
    lost: int = 0
    out_of_order: int = 0
    turns_done: int = 0
    truncated_turns: int = 0
    problems: list[str] = field(default_factory=list)
    """The first few anomalies, described (for the report)."""
    _next: dict[int, int] = field(default_factory=dict)
    _samples: dict[int, int] = field(default_factory=dict)
    _largest: int = 0
    _done: set[int] = field(default_factory=set)

    def _note(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)

    def audio(self, turn_id: int, seq: int, samples: int) -> None:
        """One reply audio frame of ``samples`` samples."""
        self.frames += 1
        self._largest = max(self._largest, samples)
        if turn_id in self._done:
            self.out_of_order += 1
            self._note(f"turn {turn_id}: frame seq {seq} after its reply_done")
        expected = self._next.get(turn_id, 0)
        if seq > expected:
            self.lost += seq - expected
            self._note(f"turn {turn_id}: seq {seq} after {expected - 1} ({seq - expected} lost)")
        elif seq < expected:
            self.out_of_order += 1
            self._note(f"turn {turn_id}: seq {seq} again or late (expected {expected})")
        self._next[turn_id] = max(expected, seq + 1)
        self._samples[turn_id] = self._samples.get(turn_id, 0) + samples

    def reply_done(self, turn_id: int, audio_ms: float) -> None:
        """The turn's ``reply_done``: everything it said (``audio_ms``) must have arrived by now."""
        if turn_id in self._done:
            return
        self._done.add(turn_id)
        self.turns_done += 1
        expected = round(audio_ms * self.output_rate / 1000.0)
        missing = expected - self._samples.get(turn_id, 0)
        if missing > 1:  # audio_ms is a float: allow rounding by a sample
            frame = self._largest or max(1, self.output_rate // 10)
            lost = math.ceil(missing / frame)
            self.lost += lost
            self.truncated_turns += 1
            self._note(f"turn {turn_id}: reply_done says {audio_ms:.0f} ms, {missing} samples never came")

    def as_dict(self) -> dict[str, Any]:
        return {"frames": self.frames, "lost": self.lost, "out_of_order": self.out_of_order,
                "turns_done": self.turns_done, "truncated_turns": self.truncated_turns}


def total(checks: list[FrameCheck]) -> dict[str, Any]:
    """Sums over connections, with the first anomalies."""
    out: dict[str, Any] = {"frames": 0, "lost": 0, "out_of_order": 0, "turns_done": 0, "truncated_turns": 0}
    for check in checks:
        for key, value in check.as_dict().items():
            out[key] += value
    out["problems"] = [p for check in checks for p in check.problems][:20]
    return out
