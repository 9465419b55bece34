"""The real Whisper model on the tune half of the answer-quality questions, in all eight voices.

Greedy decoding misheard the synthetic voices ("How many minutes are in two hours?" in the
Scottish espeak-ng voice became "I'm in a minute sorry to my eyes"): word error rate 20% on these
54 clips, 9.1% with the adapter's second decode with beams where greedy decoding is unsure. The
bound sits between.
"""

from __future__ import annotations

import re

import pytest

from app.models import DEFAULT_MODELS_DIR
from app.stages.stt import WhisperStt
from client.quality.normalize import normalize
from client.quality.questions import ALL_ITEMS
from client.quality.speech import item_clips

pytestmark = pytest.mark.e2e
MAX_WER = 0.14  # measured 9.1% (greedy 20%)
_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    """Lowercase words with number words as digits ("seven" and "7" agree; "%" is "percent")."""
    return _WORD.findall(normalize(text.replace("%", " percent")))


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (x != y))
    return row[-1]


def test_the_tune_questions_are_heard_in_every_voice() -> None:
    items = [item for item in ALL_ITEMS if item.half == "tune"]
    clips = item_clips(items)
    stt = WhisperStt(DEFAULT_MODELS_DIR / "stt" / "tiny.en")
    errors = total = 0
    misheard = []
    for item in items:
        samples = clips[item.id].samples
        heard = stt.transcribe(samples, window_s=samples.shape[0] / 16_000).text
        wrong = edit_distance(words(item.text), words(heard))
        errors, total = errors + wrong, total + len(words(item.text))
        if wrong:
            misheard.append(f"{item.voice}: {item.text!r} -> {heard!r}")
    assert {item.voice for item in items} >= {"piper", "es-scot", "es-029", "es-us"}
    assert errors / total <= MAX_WER, "\n".join(misheard)
