"""OpenAI's turn-detection parameters mapped onto the node's endpointing, for one session.

OpenAI's defaults (``server_vad`` threshold 0.5, prefix_padding_ms 300, silence_duration_ms 500;
``semantic_vad`` eagerness auto/medium) give exactly the node's own ``EndpointSettings``: its
predictive endpointing as tuned and measured. Other values move it from there:

- ``silence_duration_ms`` S and ``eagerness`` scale the silences that end a turn (``complete_ms``,
  ``words_done_ms``, ``uncertain_ms``, ``words_open_ms``, ``incomplete_ms``) by S/500 times the
  eagerness factor (low 1.6, medium and auto 1, high 0.7); each wait is rounded to 20 ms frames
  and kept within [``speculate_ms`` + one frame, ``MAX_WAIT_MS``], so their order stays.
- ``prefix_padding_ms`` P sets the audio kept before the speech onset: ``preroll_ms`` moves by
  P - 300 (the node's pre-roll also holds the ``start_ms`` of speech that opens an utterance),
  within [``start_ms``, ``MAX_PREROLL_MS``].
- ``threshold`` T (0..1, higher is less sensitive) moves the speech gate's onset margin (how far
  above the noise floor a voiced frame must be to start speech) by (T - 0.5) x 12 dB, at least 0;
  the hold margin is at most the onset's. webrtcvad's mode stays the node's (``vad_aggressiveness``).
"""

from __future__ import annotations

import dataclasses
import math

from app.audio import FRAME_MS
from app.config import EndpointSettings
from app.realtime.config import TurnDetection

OPENAI_SILENCE_MS = 500
"""OpenAI's default ``silence_duration_ms``: the one that gives the node's own waits."""
OPENAI_PADDING_MS = 300
"""OpenAI's default ``prefix_padding_ms``: the one that gives the node's own ``preroll_ms``."""
OPENAI_THRESHOLD = 0.5
"""OpenAI's default ``threshold``: the one that gives the node's own gate margins."""
EAGERNESS_SCALE = {"low": 1.6, "medium": 1.0, "auto": 1.0, "high": 0.7}
"""How ``semantic_vad`` eagerness scales the waits: low waits longer, high ends turns sooner."""
DB_PER_THRESHOLD = 12.0
"""Gate onset margin (dB) added per unit of ``threshold`` above 0.5: 0 gives 0 dB, 1 gives 12 dB
over the node's 6 (a voice a little over the noise still starts a turn at 0; only a clear one at 1)."""
MAX_WAIT_MS = 4_000
"""Longest silence that may end a turn (ms), however long ``silence_duration_ms`` asks."""
MAX_PREROLL_MS = 1_500
"""Most audio kept from before the speech onset (ms)."""
WAITS = ("complete_ms", "words_done_ms", "uncertain_ms", "words_open_ms", "incomplete_ms")
"""The silences that end a turn, shortest to longest in the node's settings."""


def wait_scale(detection: TurnDetection) -> float:
    """The factor on the node's end-of-turn waits: ``silence_duration_ms``/500 times the eagerness's."""
    silence = detection.settings.get("silence_duration_ms", OPENAI_SILENCE_MS)
    return silence / OPENAI_SILENCE_MS * EAGERNESS_SCALE[detection.settings.get("eagerness", "auto")]


def endpointing_for(detection: TurnDetection | None, node: EndpointSettings) -> EndpointSettings:
    """The endpointing of a session with ``detection`` (None: the client commits), from the node's
    ``node`` settings; OpenAI's defaults return ``node`` itself. All durations in ms."""
    if detection is None:
        return node
    changes: dict[str, int | float] = {}
    scale = wait_scale(detection)
    if scale != 1.0:
        low, high = node.speculate_ms + FRAME_MS, max(node.speculate_ms + FRAME_MS, MAX_WAIT_MS)
        for name in WAITS:
            scaled = math.floor(getattr(node, name) * scale / FRAME_MS + 0.5) * FRAME_MS  # half a frame up
            changes[name] = min(max(scaled, low), high)
    padding = detection.settings.get("prefix_padding_ms", OPENAI_PADDING_MS)
    if padding != OPENAI_PADDING_MS:
        preroll = node.preroll_ms + padding - OPENAI_PADDING_MS
        changes["preroll_ms"] = min(max(preroll, node.start_ms), max(node.start_ms, MAX_PREROLL_MS))
    threshold = detection.settings.get("threshold", OPENAI_THRESHOLD)
    if threshold != OPENAI_THRESHOLD:
        onset = max(0.0, node.gate_onset_db + (threshold - OPENAI_THRESHOLD) * DB_PER_THRESHOLD)
        changes["gate_onset_db"], changes["gate_hold_db"] = onset, min(node.gate_hold_db, onset)
    return dataclasses.replace(node, **changes) if changes else node
