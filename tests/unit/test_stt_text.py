"""Clean-up of Whisper's loops on short windows and the greedy fallback (no model; the real one runs in
the e2e tier)."""

from __future__ import annotations

import numpy as np
import pytest

from app.stages.stt import BEAM_SIZE, WhisperStt, drop_repeated_sentence


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


@pytest.mark.parametrize(
    ("beams", "greedy", "expected", "retried"),
    [
        (RAN_ON, "What's the best way to learn a new language?", "What's the best way to learn a new language?", True),
        (LOOPED, "Open the garage door.", "Open the garage door.", True),
        ("add milk and eggs to my list", "add milk and eggs to my", "add milk and eggs to my list", True),
        (LOOPED, "Open the garage door. Open the garage door.", "Open the garage door", True),  # greedy loops too
        ("What time is it?", "What time is it", "What time is it?", False),  # the beams ended the sentence
    ],
)
def test_greedy_decoding_replaces_beams_that_lost_the_sentence_end(beams: str, greedy: str, expected: str,
                                                                   retried: bool) -> None:
    stt = WhisperStt.__new__(WhisperStt)
    stt._model = _StubModel()  # type: ignore[assignment]
    asked: list[int] = []

    def generate(encoded: object, seconds: float, n: int) -> str:
        asked.append(n)
        return beams if n > 1 else greedy

    stt._generate = generate  # type: ignore[method-assign]
    assert stt._decode(np.zeros(16_000, dtype=np.float32), 5) == expected
    assert asked == ([BEAM_SIZE, 1] if retried else [BEAM_SIZE])
