"""faster-whisper adapter (CTranslate2, int8 on CPU)."""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path

import numpy as np

from app.audio import INPUT_FORMAT, pcm16_to_float32
from app.stages.base import StageError, TranscriptResult

log = logging.getLogger(__name__)

FULL_WINDOW_S = 30
"""Whisper's native encoder window, in seconds."""


class WhisperStt:
    """Speech to text with an encoder window sized to the audio.

    Whisper pads every input to 30 s, and on 2 cores the padded encoder pass alone costs
    0.3-0.6 s. CTranslate2 accepts shorter inputs, so we size the window to the clip (rounded
    up, plus a second of margin): a 3 s utterance costs about 20 ms of encoder time.
    """

    def __init__(self, model_dir: Path, *, threads: int = 2) -> None:
        """Load the CTranslate2 model in ``model_dir`` (int8, CPU)."""
        from faster_whisper import WhisperModel

        try:
            self._model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads)
        except Exception as exc:  # noqa: BLE001 - library raises many types; one place maps them
            raise StageError("stt", f"cannot load Whisper model from {model_dir}: {exc}") from exc
        # faster-whisper mutates its shared feature extractor per call (chunk_length), so calls
        # must not overlap; on 2 cores there is nothing to gain from overlapping them anyway.
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, *, window_s: float | None) -> TranscriptResult:
        audio_ms = INPUT_FORMAT.samples_to_ms(audio.shape[0])
        if window_s is None:
            chunk = FULL_WINDOW_S
        else:
            chunk = min(FULL_WINDOW_S, max(2, math.ceil(window_s)))
        samples = pcm16_to_float32(audio)
        try:
            with self._lock:
                segments, _info = self._model.transcribe(
                    samples,
                    language="en",
                    beam_size=1,
                    temperature=0.0,
                    chunk_length=chunk,
                    condition_on_previous_text=False,
                    without_timestamps=True,
                    vad_filter=False,
                )
                # The generator does the decoding: consume it inside this worker thread.
                kept = [s.text for s in segments if not (s.no_speech_prob > 0.6 and s.avg_logprob < -1.0)]
        except Exception as exc:  # noqa: BLE001
            raise StageError("stt", f"transcription failed: {exc}") from exc
        return TranscriptResult(" ".join(t.strip() for t in kept).strip(), audio_ms)
