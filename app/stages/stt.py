"""faster-whisper adapter (CTranslate2, int8 on CPU) with an encoder window sized to the audio."""

from __future__ import annotations

import logging
import math
import re
import threading
from pathlib import Path

import numpy as np

from app.audio import INPUT_FORMAT, pcm16_to_float32
from app.stages.base import TranscriptResult
from app.stages.errors import stage_errors

log = logging.getLogger(__name__)

FULL_WINDOW_S = 30
"""Whisper's native encoder window, in seconds."""
MIN_WINDOW_S = 5
"""Shortest encoder window, in seconds. Tiny windows with little padding make Whisper loop
("And so my fellow ... and so my fellow"); 2 s of padding and a 5 s floor avoid that (measured on jfk)."""
PADDING_S = 2.0
"""Silence the window holds beyond the audio, in seconds."""
FRAMES_PER_SECOND = 100
"""Whisper log-mel frames per second (hop of 160 samples at 16 kHz)."""
END_MARGIN_S = 0.3
"""A segment must start at least this long before the audio ends to be real speech, in s."""
BEAMS_BELOW = -0.8
"""Greedy decoding's mean log-probability per token under which the audio is decoded again with
beams. Greedy decoding misheard unfamiliar voices ("How many minutes are in two hours?" in the
Scottish espeak-ng voice: "I'm in a minute sorry to my eyes"), beams always cost every turn and
ran on into the padding under noise ("Open the garage door, open the garage"). Measured on the
answer-quality tune set (WER, clean) and the latency sets' 44 tune clips (WER under pink noise
-45 dBFS): greedy 20.1% / 17.0%; beams always 9.7% / 17.3%; beams below -0.8 9.1% / 15.2%,
searching on 15 of 54 and 11 of 44 utterances."""
BEAM_SIZE = 5
"""Beams of the second decode (3 and 5 gave the same WER; 2 was worse)."""
LENGTH_PENALTY = 0.5
"""Beam scores divided by length**0.5: fully length-normalized beams prefer long hypotheses and
run on into the padding; unnormalized ones drop words ("for my grandmother's birthday.")."""
NO_REPEAT_NGRAM = 3
"""A decode may not repeat any 3 tokens: beams otherwise loop on a short question ("What is my
name, what is my name, what"); a spoken request rarely says the same three tokens twice (tune
set: WER 11.3% -> 9.7%)."""


class WhisperStt:
    """Speech to text that encodes only as much audio as there is (plus padding).

    Whisper pads every input to 30 s, and faster-whisper's ``transcribe`` keeps that padding
    even when given a shorter ``chunk_length``: on 2 cores the padded encoder pass alone costs
    about 250 ms. CTranslate2's Whisper accepts shorter inputs, so we drive it directly: a 3 s
    utterance in a 5 s window encodes in about 30 ms. ``window_s=None`` keeps the 30 s window
    (what the naive baseline uses).
    """

    def __init__(self, model_dir: Path, *, threads: int = 2) -> None:
        """Load the CTranslate2 model in ``model_dir`` (int8, CPU)."""
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        with stage_errors("stt", f"cannot load Whisper model from {model_dir}"):
            self._model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads)
            self._tokenizer = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual,
                                        task="transcribe", language="en")
        # No <|notimestamps|>: segment timestamps let us drop text "heard" in the padding.
        self._prompt = list(self._tokenizer.sot_sequence)
        self._suppress = list(get_suppressed_tokens(self._tokenizer, [-1]) or [])
        # The feature extractor keeps per-call window state, so calls must not overlap; on
        # 2 cores nothing is gained by overlapping them anyway.
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, *, window_s: float | None) -> TranscriptResult:
        audio_ms = INPUT_FORMAT.samples_to_ms(audio.shape[0])
        if window_s is None:
            window = FULL_WINDOW_S
        else:
            window = min(FULL_WINDOW_S, max(MIN_WINDOW_S, math.ceil(window_s + PADDING_S)))
        # Longer audio than one window would need Whisper's seek loop; we never send that much
        # (utterances are capped well below 30 s), but keep only the last window to be safe.
        samples = pcm16_to_float32(audio[-window * INPUT_FORMAT.sample_rate :])
        with stage_errors("stt", "transcription failed"), self._lock:
            text = self._decode(samples, window)
        return TranscriptResult(text, audio_ms)

    def _decode(self, samples: np.ndarray, window: int) -> str:
        from faster_whisper.audio import pad_or_trim

        seconds = samples.shape[0] / INPUT_FORMAT.sample_rate
        features = self._model.feature_extractor(samples, chunk_length=window)
        features = pad_or_trim(features, window * FRAMES_PER_SECOND)
        encoded = self._model.encode(features)
        greedy, confidence = self._generate(encoded, seconds, 1)
        if not greedy or confidence >= BEAMS_BELOW:
            # Nothing heard (Whisper's no-speech guard, or an empty decode) is final: beams
            # over noise would only cost time and invent words.
            return drop_repeated_sentence(greedy)
        # Greedy decoding is unsure (an unfamiliar voice, noise): search with beams. They run on
        # into the padding more often and lose the sentence's end, which endpointing reads, so a
        # greedy transcript that ends its sentence cleanly wins over beams that do not.
        beams, _ = self._generate(encoded, seconds, BEAM_SIZE)
        if _ends_cleanly(greedy) and not _ends_cleanly(beams):
            return greedy
        return drop_repeated_sentence(beams)

    def _generate(self, encoded: object, seconds: float, beams: int) -> tuple[str, float]:
        """One decode of the encoder output with ``beams`` beams: its text ("" when it heard no
        speech) and its mean log-probability per token."""
        penalty = LENGTH_PENALTY if beams > 1 else 1.0
        (result,) = self._model.model.generate(
            encoded,
            [self._prompt],
            beam_size=beams,
            length_penalty=penalty,
            no_repeat_ngram_size=NO_REPEAT_NGRAM if beams > 1 else 0,
            # Speech runs at most ~5 tokens/s (plus timestamps); a bound tied to the audio stops
            # a runaway decode.
            max_length=min(self._model.max_length, len(self._prompt) + 8 * math.ceil(seconds) + 8),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )
        # Whisper's own guard against hallucinating on silence: a likely "no speech" with a
        # low-confidence decode (mean log-probability per token, whatever the length penalty
        # divided the score by) means there was nothing to transcribe.
        length = len(result.sequences_ids[0]) + 1
        mean_logprob = result.scores[0] * length**penalty / length
        if result.no_speech_prob > 0.6 and mean_logprob < -1.0:
            return "", mean_logprob
        return self._text_within(result.sequences_ids[0], seconds), mean_logprob

    def _text_within(self, tokens: list[int], seconds: float) -> str:
        """Text of the segments that start inside the audio.

        Whisper sometimes goes on "transcribing" the padding after the speech ("How do I make
        pancakes? How do I make pancakes"). Decoding with timestamps tells us where each segment
        starts; a segment starting after the audio ended is such an echo and is dropped.
        """
        begin = self._tokenizer.timestamp_begin
        kept: list[int] = []
        segment: list[int] = []
        start = 0.0
        for token in tokens:
            if token >= begin:
                time_s = (token - begin) * 0.02
                if segment:
                    if start < seconds - END_MARGIN_S:
                        kept += segment
                    segment = []
                else:
                    start = time_s
            elif token < self._tokenizer.eot:
                segment.append(token)
        if segment and start < seconds - END_MARGIN_S:
            kept += segment
        return self._tokenizer.decode(kept).strip()


_CLAUSE = re.compile(r"[^.!?,;]+[.!?,;]*")
_WORDS = re.compile(r"[a-z']+")


def _ends_cleanly(text: str) -> bool:
    """Whether a transcript ends its sentence (. ? !) without starting over within it."""
    return text.endswith((".", "?", "!")) and drop_repeated_sentence(text) == text


def drop_repeated_sentence(text: str) -> str:
    """Cut a transcript where Whisper starts over ("How do I make pancakes? How do I make").

    A later sentence or clause that begins with the same two words as an earlier one is such a
    loop; people rarely restart a sentence word for word within one short utterance. Beam search
    loops at commas too, under noise ("How are you doing this evening, how are you doing"), where
    greedy decoding stopped.
    """
    clauses = [m.group(0) for m in _CLAUSE.finditer(text) if m.group(0).strip()]
    openings: set[tuple[str, ...]] = set()
    for index, clause in enumerate(clauses):
        opening = tuple(_WORDS.findall(clause.lower())[:2])
        if len(opening) == 2 and opening in openings:
            return "".join(clauses[:index]).strip().rstrip(",;").strip()
        openings.add(opening)
    return text
