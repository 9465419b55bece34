"""Spoken prompts synthesized with the project's own Piper voice, cached on disk by content hash.

Some prompts hold a pause of 0.5-0.7 s inside the sentence (two halves synthesized apart, with a
gap between), which is where a hasty endpointer splits one request into two turns.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

from client.audio_files import write_wav

SAMPLE_RATE = 16_000
"""Rate of the generated clips, in Hz (what the server takes)."""
NOISE_DBFS = -60.0
"""White-noise floor added to generated clips, in dBFS RMS: a real microphone is never digitally silent."""
EDGE_S = 0.25
"""Noise floor before and after the speech of a generated clip, in seconds."""
RECIPE_VERSION = 1
"""Bump when the composition changes, so stale cached clips are not reused."""


@dataclass(frozen=True)
class Prompt:
    """A spoken request: text pieces with ``pauses_s[i]`` seconds of silence after ``parts[i]``."""

    name: str
    parts: tuple[str, ...]
    pauses_s: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        """The whole request as one sentence (the reference for WER)."""
        return " ".join(self.parts)

    @property
    def has_pause(self) -> bool:
        return bool(self.pauses_s)


# Wording avoids digits on purpose: Whisper writes numbers as digits ("6"), which would show up
# as WER that says nothing about recognition quality.
DEFAULT_PROMPTS: tuple[Prompt, ...] = (
    Prompt("tokyo_time", ("What time is it in Tokyo right now?",)),
    Prompt("kitchen_lights", ("Turn off the lights in the kitchen.",)),
    Prompt("remind_sister", ("Remind me to call my sister", "tomorrow after work."), (0.6,)),
    Prompt("moon_distance", ("Okay, so, I was wondering", "how far away is the moon?"), (0.6,)),
    Prompt("paris_weather", ("What's the weather like", "in Paris today?"), (0.5,)),
    Prompt("octopus_fact", ("Tell me a fun fact about octopuses.",)),
    Prompt("train_book", ("Can you recommend a good book", "for a long train ride?"), (0.7,)),
    Prompt("pancakes", ("How do I make pancakes?",)),
)


def noise_floor(n_samples: int, dbfs: float = NOISE_DBFS, seed: int = 0) -> np.ndarray:
    """``n_samples`` of int16 white noise at ``dbfs`` RMS (deterministic for a given seed)."""
    rms = 32767.0 * 10.0 ** (dbfs / 20.0)
    noise = np.random.default_rng(seed).standard_normal(n_samples) * rms
    return np.clip(np.round(noise), -32768, 32767).astype(np.int16)


def trim_silence(samples: np.ndarray, threshold: int = 200) -> np.ndarray:
    """Drop leading and trailing samples below ``threshold`` (int16 amplitude), so a composed
    pause is exactly the gap asked for and not that plus the voice's own edge silence."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= threshold)
    if loud.size == 0:
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


def compose(pieces: list[np.ndarray], pauses_s: tuple[float, ...], *, seed: int = 0,
            noise_dbfs: float = NOISE_DBFS, edge_s: float = EDGE_S) -> np.ndarray:
    """Join 16 kHz int16 speech pieces with the given pauses (s), pad ``edge_s`` on both ends,
    and add the noise floor over the whole clip."""
    if len(pauses_s) != len(pieces) - 1:
        raise ValueError("need exactly one pause between consecutive pieces")
    edge = np.zeros(int(edge_s * SAMPLE_RATE), dtype=np.int16)
    out: list[np.ndarray] = [edge]
    for i, piece in enumerate(pieces):
        out.append(trim_silence(piece))
        if i < len(pauses_s):
            out.append(np.zeros(round(pauses_s[i] * SAMPLE_RATE), dtype=np.int16))
    out.append(edge)
    clip = np.concatenate(out).astype(np.int32)
    clip += noise_floor(clip.shape[0], noise_dbfs, seed)
    return np.clip(clip, -32768, 32767).astype(np.int16)


def default_cache_dir() -> Path:
    """Where generated clips are kept between runs."""
    return Path(tempfile.gettempdir()) / "edge-voice-bench-clips"


def _cache_key(prompt: Prompt, voice_id: str) -> str:
    recipe = json.dumps([RECIPE_VERSION, voice_id, prompt.parts, prompt.pauses_s, NOISE_DBFS, EDGE_S])
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


class PromptSynth:
    """Synthesizes prompts with the default Piper voice of the model manifest; loads it lazily."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir or default_cache_dir()
        self._tts = None
        self._voice_id: str | None = None

    def _voice_path(self) -> tuple[Path, Path]:
        from app.models import (
            DEFAULT_MANIFEST,
            DEFAULT_MODELS_DIR,
            load_manifest,
            resolve_defaults,
        )

        resolved = resolve_defaults(load_manifest(DEFAULT_MANIFEST), DEFAULT_MODELS_DIR)
        return resolved.tts_model_path, resolved.tts_config_path

    @property
    def voice_id(self) -> str:
        """Identifies the voice in the cache key, so a new voice regenerates the clips."""
        if self._voice_id is None:
            model, _ = self._voice_path()
            self._voice_id = f"{model.name}:{model.stat().st_size}"
        return self._voice_id

    def _synthesize(self, text: str) -> np.ndarray:
        """16 kHz int16 speech for ``text``."""
        if self._tts is None:
            from app.stages.tts import PiperTts

            model, config = self._voice_path()
            self._tts = PiperTts(model, config, threads=1)
        pcm = self._tts.synthesize(text)
        resampled = soxr.resample(pcm.astype(np.float32) / 32768.0, self._tts.sample_rate, SAMPLE_RATE, quality="HQ")
        return (np.clip(resampled, -1.0, 1.0) * 32767.0).astype(np.int16)

    def clip(self, prompt: Prompt) -> tuple[Path, np.ndarray]:
        """The prompt's clip (path in the cache, 16 kHz int16 samples), synthesizing on a cache miss."""
        return cached_prompt(self.cache_dir, prompt, self.voice_id, self._synthesize)


def cached_prompt(cache_dir: Path, prompt: Prompt, voice_id: str, synthesize: Callable[[str], np.ndarray], *,
                  stem: str | None = None) -> tuple[Path, np.ndarray]:
    """``prompt`` spoken by ``synthesize`` (text -> 16 kHz int16 speech) and composed with its
    pauses, from ``cache_dir`` when a clip of the same recipe (``voice_id`` included) is there."""
    key = _cache_key(prompt, voice_id)
    path = cache_dir / f"{stem or prompt.name}-{key}.wav"
    if path.is_file() and path.with_suffix(".txt").is_file():
        samples, _ = soundfile.read(str(path), dtype="int16")
        return path, samples
    pieces = [synthesize(part) for part in prompt.parts]
    samples = compose(pieces, prompt.pauses_s, seed=int(key[:8], 16))
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.wav")
    write_wav(tmp, samples, SAMPLE_RATE)
    tmp.replace(path)  # atomic: concurrent runs never read a half-written clip
    # The reference next to the clip, so `--clips <cache dir>` still gets WER.
    path.with_suffix(".txt").write_text(prompt.text + "\n", encoding="utf-8")
    return path, samples
