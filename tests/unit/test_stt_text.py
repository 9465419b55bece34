"""Clean-up of Whisper's loops on short windows and the greedy fallback (no model; the real one runs in
the e2e tier)."""

from __future__ import annotations

import numpy as np
import pytest

from app.stages.stt import BEAM_SIZE, BEAMS_BELOW, WhisperStt, drop_repeated_sentence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I make pancakes? How do i make pancakes", "How do I make pancakes?"),
        ("What time is it in Tokyo right now? What time has it in", "What time is it in Tokyo right now?"),
        ("Turn off the lights. Then lock the door.", "Turn off the lights. Then lock the door."),
        ("No. No, I said yes.", "No. No, I said yes."),
        ("How are you doing this evening, how are you doing", "How are you doing this evening"),
        ("Wake me up early, on Saturday morning, on Saturday morning.", "Wake me up early, on Saturday morning"),
        ("That was really helpful. Thanks, that was really helpful.", "That was really helpful. Thanks"),
        ("Set a timer for 5 minutes, and set another for 10.", "Set a timer for 5 minutes, and set another for 10."),
        ("", ""),
    ],
)
def test_drop_repeated_sentence(text: str, expected: str) -> None:
    assert drop_repeated_sentence(text) == expected


class _StubModel:
    """Just enough of faster-whisper's WhisperModel for ``_decode``: features in, encoder output out."""

    def feature_extractor(self, samples: np.ndarray, chunk_length: int) -> np.ndarray:
        return np.zeros((80, chunk_length * 100), dtype=np.float32)

    def encode(self, features: np.ndarray) -> np.ndarray:
        return features


RAN_ON = "What's the best way to learn a new language to learn what's the"
LOOPED = "Open the garage door, open the garage"
SURE, UNSURE = BEAMS_BELOW + 0.1, BEAMS_BELOW - 0.1


@pytest.mark.parametrize(
    ("greedy", "confidence", "beams", "expected"),
    [
        ("What time is it?", SURE, None, "What time is it?"),  # sure: no second decode
        ("I'm in a minute sorry to my eyes", UNSURE, "How many minutes are in two hours?",
         "How many minutes are in two hours?"),
        ("Open the garage door.", UNSURE, LOOPED, "Open the garage door."),  # the beams ran on: greedy ended it
        ("What's the best way to learn a new language?", UNSURE, RAN_ON,
         "What's the best way to learn a new language?"),
        ("add milk and eggs to my", UNSURE, "add milk and eggs to my list", "add milk and eggs to my list"),
        ("open the garage door open", UNSURE, LOOPED, "Open the garage door"),  # neither ends: the beams, loop cut
        ("How do I make pancakes? How do I make", SURE, None, "How do I make pancakes?"),
        ("", UNSURE, None, ""),  # no speech heard: no second decode over the noise
    ],
)
def test_beams_decode_again_only_what_greedy_decoding_was_unsure_of(greedy: str, confidence: float,
                                                                    beams: str | None, expected: str) -> None:
    stt = WhisperStt.__new__(WhisperStt)
    stt._model = _StubModel()  # type: ignore[assignment]
    asked: list[int] = []

    def generate(encoded: object, seconds: float, n: int) -> tuple[str, float]:
        asked.append(n)
        return (greedy, confidence) if n == 1 else (beams or "", -0.2)

    stt._generate = generate  # type: ignore[method-assign]
    assert stt._decode(np.zeros(16_000, dtype=np.float32), 5) == expected
    assert asked == ([1] if beams is None else [1, BEAM_SIZE])
