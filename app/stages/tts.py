"""Piper adapter (VITS on onnxruntime)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from app.audio import float32_to_pcm16
from app.stages.errors import stage_errors


class PiperTts:
    """Text to speech; about 0.1x real time on 2 cores for the medium voices."""

    def __init__(self, model_path: Path, config_path: Path, *, threads: int = 1) -> None:
        """Load a Piper voice (.onnx plus its .onnx.json config)."""
        import onnxruntime
        from piper import PiperVoice
        from piper.config import SynthesisConfig

        with stage_errors("tts", f"cannot load Piper voice {model_path}"):
            voice = PiperVoice.load(model_path, config_path=config_path)
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            # Re-create the session with bounded threads: onnxruntime's default takes every core,
            # which starves the other stages when sessions overlap.
            voice.session = onnxruntime.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        self._voice = voice
        self._config = SynthesisConfig(normalize_audio=False, volume=1.0)
        # espeak-ng (the phonemizer inside Piper) keeps global state and is not thread-safe.
        self._lock = threading.Lock()

    @property
    def sample_rate(self) -> int:
        return int(self._voice.config.sample_rate)

    def synthesize(self, text: str) -> np.ndarray:
        with stage_errors("tts", "synthesis failed"), self._lock:
            chunks = [c.audio_float_array for c in self._voice.synthesize(text, syn_config=self._config)]
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        return float32_to_pcm16(np.concatenate(chunks))
