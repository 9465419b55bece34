"""A session's turn-taking settings changed while it runs (the Realtime protocol's
``turn_detection``): the segmenter and the speech gate rebuilt on the new ``EndpointSettings``."""

from __future__ import annotations

from app.config import EndpointSettings
from app.conversation.turns import Turns
from app.endpointing import Phase, Segmenter
from app.speech_gate import SpeechGate

_GATE_FIELDS = ("gate_onset_db", "gate_hold_db", "gate_floor_percentile", "gate_window_ms", "gate_warmup_ms")


def retune(endpoint: EndpointSettings, turns: Turns, gate: SpeechGate) -> SpeechGate | None:
    """Put ``turns`` on ``endpoint``: a new segmenter where the old one is, and the speech gate to
    use (``gate`` itself, or a new one if its settings changed); None, and nothing changed, while
    an utterance is open (it keeps the settings it began with).

    The stream position carries over (it is the turns' clock) and so does the pre-roll (speech
    that starts at once keeps its first syllable). A new gate estimates the noise floor again
    (``gate_warmup_ms``, webrtcvad alone meanwhile)."""
    old = turns.segmenter
    if old.phase is not Phase.IDLE:
        return None
    fresh = Segmenter(endpoint, fixed_silence_ms=endpoint.naive_silence_ms if turns.naive else None)
    fresh.carry_over(old)
    previous, turns.endpoint = turns.endpoint, endpoint
    turns.segmenter = fresh
    if any(getattr(endpoint, name) != getattr(previous, name) for name in _GATE_FIELDS):
        return SpeechGate(endpoint)
    return gate


def use_naive(turns: Turns, endpoint: EndpointSettings) -> None:
    """Put ``turns`` on the naive cascade (a client's ``hello`` chose it): no speculation, a fixed
    silence (``naive_silence_ms``) ends every turn."""
    turns.segmenter = Segmenter(endpoint, fixed_silence_ms=endpoint.naive_silence_ms)
    turns.naive = True
