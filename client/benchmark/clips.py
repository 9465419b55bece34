"""The clips a benchmark plays: files given on the command line, or the default set.

The default set is the shared real recording ``../shared/audio/jfk.flac`` (relative to the repo
root) plus the generated prompts of :mod:`client.benchmark.prompts`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from client.audio_files import read_mono
from client.benchmark.prompts import DEFAULT_PROMPTS, PromptSynth
from client.benchmark.speech_end import FRAME_SAMPLES, SAMPLE_RATE, speech_end_frame

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_AUDIO = REPO_ROOT.parent / "shared" / "audio"
JFK = SHARED_AUDIO / "jfk.flac"

KNOWN_REFERENCES = {
    "jfk.flac": "And so my fellow Americans, ask not what your country can do for you, "
                "ask what you can do for your country.",
}
"""Reference transcripts of the shared recordings, by file name (see shared/audio/README.md)."""


@dataclass(frozen=True)
class Clip:
    """One utterance to play: 16 kHz int16 samples and where its speech ends."""

    name: str
    samples: np.ndarray
    end_frame: int
    """Index of the 20 ms frame holding the last voiced sample (the latency clock starts when it is sent)."""
    reference: str | None = None
    """What is said, for WER; None when unknown."""
    source: str = ""
    """Path of the file the clip came from (a cache path for generated prompts)."""

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / SAMPLE_RATE

    @property
    def speech_end_s(self) -> float:
        """End of the frame holding the last voiced sample, in seconds from the clip start."""
        return (self.end_frame + 1) * FRAME_SAMPLES / SAMPLE_RATE


def make_clip(name: str, samples: np.ndarray, reference: str | None, source: str = "") -> Clip:
    """A clip with its end of speech detected; raises ValueError when the VAD hears no speech."""
    end = speech_end_frame(samples)
    if end is None:
        raise ValueError(f"no speech found in {name} (webrtcvad mode 2)")
    return Clip(name, samples, end, reference, source)


def reference_for(path: Path) -> str | None:
    """A same-stem ``.txt`` next to the file wins; else a known shared recording; else None."""
    sidecar = path.with_suffix(".txt")
    if sidecar.is_file():
        return sidecar.read_text(encoding="utf-8").strip() or None
    return KNOWN_REFERENCES.get(path.name)


def _readable_suffixes() -> set[str]:
    # soundfile's format names double as the usual extensions; add the common aliases.
    return {f".{fmt.lower()}" for fmt in soundfile.available_formats()} | {".aif", ".aiff", ".oga", ".opus"}


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, directories replaced by their audio files (sorted); raises FileNotFoundError."""
    out: list[Path] = []
    suffixes = _readable_suffixes()
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
            if not found:
                raise FileNotFoundError(f"no audio files in directory {path}")
            out += found
        elif path.is_file():
            out.append(path)
        else:
            raise FileNotFoundError(f"no such file or directory: {path}")
    return out


def load_files(paths: Iterable[Path]) -> list[Clip]:
    """Clips from audio files (any format soundfile reads), resampled to 16 kHz mono."""
    return [make_clip(p.name, read_mono(p, SAMPLE_RATE), reference_for(p), str(p)) for p in expand_paths(paths)]


def default_clips(synth: PromptSynth | None = None, log: Callable[[str], None] = lambda _: None) -> list[Clip]:
    """jfk.flac plus the generated prompts (synthesized on first use, then read from the cache)."""
    if not JFK.is_file():
        raise FileNotFoundError(f"shared recording missing: {JFK}")
    clips = load_files([JFK])
    synth = synth or PromptSynth()
    for prompt in DEFAULT_PROMPTS:
        path, samples = synth.clip(prompt)
        log(f"prompt {prompt.name}: {path}")
        clips.append(make_clip(f"{prompt.name}.wav", samples, prompt.text, str(path)))
    return clips


def clip_set(paths: Sequence[Path] | None, cache_dir: Path | None,
             log: Callable[[str], None] = lambda _: None) -> list[Clip]:
    """The clips named on a command line, or the default set; raises ValueError/FileNotFoundError."""
    if paths:
        return load_files(paths)
    from client.benchmark.prompts import PromptSynth

    return default_clips(PromptSynth(cache_dir), log=log)
