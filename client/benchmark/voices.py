"""Several synthetic voices for the endpointing sets: the project's Piper voice at three speeds and
five espeak-ng voices at natural rates, resampled to 16 kHz and cached by content hash.

Piper speeds are ``SynthesisConfig.length_scale`` multiples of the voice's own (1.0 for the
default en_US joe medium): 0.8 is faster, 1.25 slower. espeak-ng runs as a program
(``espeak-ng -v VOICE -s WPM -w out.wav TEXT``, 22.05 kHz) and its speech is scaled so its
loudest 10 ms sits at ``ESPEAK_PEAK_DBFS``, about where Piper's does. Prompts with a pause are
composed from separately spoken pieces plus silence, as :mod:`client.benchmark.prompts` does.

The voices-* sets give every prompt of a half to two different voices (``voice_plan``), so a
set is 32 clips, 4 per voice, and every voice speaks at least one sentence with a pause.
"""

from __future__ import annotations

import functools
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from client.audio_files import read_mono
from client.benchmark.prompts import SAMPLE_RATE, Prompt, cached_prompt, default_cache_dir
from client.benchmark.speech_end import window_rms

ESPEAK_PEAK_DBFS = -14.0
"""Level of espeak-ng speech's loudest 10 ms window, in dBFS RMS."""


@dataclass(frozen=True)
class Voice:
    """A synthetic speaker: ``engine`` "piper" (``speed``: length_scale multiple) or "espeak-ng"
    (``model``: espeak voice, ``speed``: words per minute)."""

    name: str
    engine: str
    model: str
    speed: float
    description: str


VOICES: tuple[Voice, ...] = (
    Voice("piper", "piper", "", 1.0, "Piper en_US joe medium (the server's own voice), natural speed"),
    Voice("piper-slow", "piper", "", 1.25, "Piper en_US joe medium, length_scale x1.25 (slower)"),
    Voice("piper-fast", "piper", "", 0.8, "Piper en_US joe medium, length_scale x0.8 (faster)"),
    Voice("es-us", "espeak-ng", "en-us", 165, "espeak-ng American English (male), 165 wpm"),
    Voice("es-us-f3", "espeak-ng", "en-us+f3", 160, "espeak-ng American English, female variant f3, 160 wpm"),
    Voice("es-rp", "espeak-ng", "en-gb-x-rp", 180, "espeak-ng British Received Pronunciation, 180 wpm (fast)"),
    Voice("es-scot", "espeak-ng", "en-gb-scotland", 155, "espeak-ng Scottish English, 155 wpm"),
    Voice("es-029", "espeak-ng", "en-029", 140, "espeak-ng Caribbean English, 140 wpm (slow)"),
)
BY_NAME = {v.name: v for v in VOICES}
PLAN_OFFSETS = {"tune": 3, "holdout": 2}
"""Second-voice offset per half, so the two halves pair voices differently."""


def voice_plan(prompts: Sequence[Prompt], voices: Sequence[Voice] = VOICES, *,
               offset: int = 3) -> list[tuple[Prompt, Voice]]:
    """Every prompt spoken by two voices: prompts with a pause first, then the others; the first
    pass takes voices in turn, the second pass shifted by ``offset`` (so never the same voice
    twice for one prompt, and the pause prompts reach the most voices)."""
    if offset % len(voices) == 0:
        raise ValueError("offset must not be a multiple of the number of voices")
    ordered = [p for p in prompts if p.has_pause] + [p for p in prompts if not p.has_pause]
    return [(p, voices[(j + shift) % len(voices)]) for shift in (0, offset) for j, p in enumerate(ordered)]


@functools.cache
def espeak_version() -> str:
    """``espeak-ng --version``'s first line (part of the cache key); raises RuntimeError if missing."""
    try:
        out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(f"espeak-ng is needed for this clip set ({exc}); "
                           "install it: scripts/system_deps.sh --tests") from None
    return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "espeak-ng"


def espeak(model: str, wpm: float, text: str) -> np.ndarray:
    """``text`` spoken by espeak-ng voice ``model`` at ``wpm``, 16 kHz int16, at ``ESPEAK_PEAK_DBFS``."""
    espeak_version()
    with tempfile.TemporaryDirectory(prefix="bench-espeak-") as tmp:
        out = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", model, "-s", str(round(wpm)), "-w", str(out), text],
                       capture_output=True, check=True, timeout=60)
        speech = read_mono(out, SAMPLE_RATE).astype(np.float64)
    peak = float(window_rms(speech).max()) if speech.size else 0.0
    if peak > 0:
        speech *= 32767.0 * 10.0 ** (ESPEAK_PEAK_DBFS / 20.0) / peak
    return np.clip(np.round(speech), -32768, 32767).astype(np.int16)


class VoiceSynth:
    """Synthesizes prompts with any of :data:`VOICES`; loads the Piper voice lazily, caches clips."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = (cache_dir or default_cache_dir()) / "voices"
        self._piper = None

    def _piper_paths(self) -> tuple[Path, Path]:
        from app.models import DEFAULT_MANIFEST, DEFAULT_MODELS_DIR, load_manifest, resolve_defaults

        resolved = resolve_defaults(load_manifest(DEFAULT_MANIFEST), DEFAULT_MODELS_DIR)
        return resolved.tts_model_path, resolved.tts_config_path

    def voice_id(self, voice: Voice) -> str:
        """What identifies the voice's output in the cache key."""
        if voice.engine == "piper":
            model, _ = self._piper_paths()
            return f"piper:{model.name}:{model.stat().st_size}:length_scale*{voice.speed}"
        return f"{espeak_version()}:{voice.model}:{voice.speed}wpm:{ESPEAK_PEAK_DBFS}"

    def _piper_speech(self, speed: float, text: str) -> np.ndarray:
        from piper.config import SynthesisConfig

        if self._piper is None:
            from piper import PiperVoice

            model, config = self._piper_paths()
            self._piper = PiperVoice.load(model, config_path=config)
        voice = self._piper
        base = voice.config.length_scale or 1.0
        config = SynthesisConfig(length_scale=base * speed, normalize_audio=False, volume=1.0)
        chunks = [c.audio_float_array for c in voice.synthesize(text, syn_config=config)]
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        resampled = soxr.resample(pcm.astype(np.float32), voice.config.sample_rate, SAMPLE_RATE, quality="HQ")
        return (np.clip(resampled, -1.0, 1.0) * 32767.0).astype(np.int16)

    def speech(self, voice: Voice, text: str) -> np.ndarray:
        """``text`` spoken by ``voice``, 16 kHz int16."""
        if voice.engine == "piper":
            return self._piper_speech(voice.speed, text)
        if voice.engine == "espeak-ng":
            return espeak(voice.model, voice.speed, text)
        raise ValueError(f"unknown voice engine {voice.engine!r}")

    def clip(self, prompt: Prompt, voice: Voice) -> tuple[Path, np.ndarray]:
        """The prompt spoken by ``voice`` (cache path, samples), synthesized on a cache miss."""
        return cached_prompt(self.cache_dir, prompt, self.voice_id(voice), lambda text: self.speech(voice, text),
                             stem=f"{prompt.name}+{voice.name}")
