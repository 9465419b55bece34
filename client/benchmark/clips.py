"""The clips a benchmark plays: files given on the command line, or named sets.

The default set is the generated prompts of :mod:`client.benchmark.prompts`, plus the shared
real recording ``jfk.flac`` when it is there; the other sets are in :mod:`client.benchmark.sets`.
The shared recordings are looked for in ``$EDGE_VOICE_SHARED_AUDIO`` or else ``../shared/audio``
(relative to the repo root), which a plain clone does not have.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from client.audio_files import read_mono
from client.benchmark.prompts import DEFAULT_PROMPTS, PromptSynth
from client.benchmark.speech_end import FRAME_SAMPLES, SAMPLE_RATE, acoustic_span, speech_end_frame

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SHARED_AUDIO = REPO_ROOT.parent / "shared" / "audio"
SHARED_AUDIO_ENV = "EDGE_VOICE_SHARED_AUDIO"
JFK_NAME = "jfk.flac"

KNOWN_REFERENCES = {
    "jfk.flac": "And so my fellow Americans, ask not what your country can do for you, "
                "ask what you can do for your country.",
    "hotwords.mp3": "Then you go into your ComfyUI folder again in the ComfyUI",
    "stereo_diarization.wav": "He begins with a few strange, friendly desert who would vanish behind the curtain "
                              "on the left.",
}
"""Reference transcripts of the shared recordings, by file name (see shared/audio/README.md; the
last two are approximate: hotwords.mp3 is cut mid-sentence, the diarization mix reads "roughly")."""

KNOWN_SPEECH_ENDS_S = {"jfk.flac": 10.20}
"""Acoustic ends of speech set by hand where the rule cannot find them: after "...your country"
jfk.flac has 0.8 s of crowd noise and applause within 35 dB of the speech (-40 to -22 dBFS
against a -8 dBFS peak), so the 35 dB rule would put the end at the end of the file. 10.20 s is
where its 10 ms windows fall from the word's -13 dBFS to that crowd level for good."""


def shared_audio_dir(override: Path | None = None) -> Path:
    """Where the shared human recordings are: ``override`` (``--shared-audio``), else
    ``$EDGE_VOICE_SHARED_AUDIO``, else ``../shared/audio`` next to the repo."""
    if override is not None:
        return override
    env = os.environ.get(SHARED_AUDIO_ENV, "").strip()
    return Path(env) if env else DEFAULT_SHARED_AUDIO


@dataclass(frozen=True)
class Clip:
    """One utterance to play: 16 kHz int16 samples and where its speech ends."""

    name: str
    samples: np.ndarray
    end_frame: int
    """Index of the 20 ms frame holding the last voiced sample (webrtcvad; the secondary clock)."""
    reference: str | None = None
    """What is said, for WER; None when unknown."""
    source: str = ""
    """Path of the file the clip came from (a cache path for generated prompts)."""
    voice: str = ""
    """Who speaks: a synthetic voice's name, "human" for a recording, "" when unknown."""
    has_pause: bool | None = None
    """Whether the sentence goes on past a pause inside it (None: not known)."""
    set_name: str = ""
    """The clip set it belongs to ("default", "tune", "holdout", "voices-tune", ..., "files")."""
    acoustic_start: int = -1
    """First sample of sound (see :mod:`client.benchmark.speech_end`); -1: computed from ``samples``."""
    acoustic_end: int = -1
    """Sample index just past the sound (the latency clock's start); -1: computed from ``samples``."""

    def __post_init__(self) -> None:
        if self.acoustic_end < 0 or self.acoustic_start < 0:
            span = acoustic_span(self.samples)
            vad_end = min(self.samples.shape[0], (self.end_frame + 1) * FRAME_SAMPLES)
            start, end = span if span is not None else (0, vad_end)  # digital silence: the VAD's word
            object.__setattr__(self, "acoustic_start", start if self.acoustic_start < 0 else self.acoustic_start)
            object.__setattr__(self, "acoustic_end", end if self.acoustic_end < 0 else self.acoustic_end)

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / SAMPLE_RATE

    @property
    def speech_end_s(self) -> float:
        """End of the frame holding the last voiced sample (webrtcvad), in seconds from the clip start."""
        return (self.end_frame + 1) * FRAME_SAMPLES / SAMPLE_RATE

    @property
    def acoustic_end_s(self) -> float:
        """The acoustic end, in seconds from the clip start."""
        return self.acoustic_end / SAMPLE_RATE

    @property
    def acoustic_end_frame(self) -> int:
        """Index of the 20 ms frame holding the last sample of sound."""
        return max(0, self.acoustic_end - 1) // FRAME_SAMPLES

    @property
    def acoustic_end_tail_s(self) -> float:
        """The part of :attr:`acoustic_end_frame` after the acoustic end, in seconds (0..0.02)."""
        return ((self.acoustic_end_frame + 1) * FRAME_SAMPLES - self.acoustic_end) / SAMPLE_RATE

    @property
    def onset_frame(self) -> int:
        """Index of the 20 ms frame holding the first sample of sound."""
        return self.acoustic_start // FRAME_SAMPLES

    @property
    def onset_tail_s(self) -> float:
        """The part of :attr:`onset_frame` after the acoustic start, in seconds."""
        return ((self.onset_frame + 1) * FRAME_SAMPLES - self.acoustic_start) / SAMPLE_RATE


def make_clip(name: str, samples: np.ndarray, reference: str | None, source: str = "", *, voice: str = "",
              has_pause: bool | None = None, set_name: str = "") -> Clip:
    """A clip with its ends of speech detected; raises ValueError when the VAD hears no speech."""
    end = speech_end_frame(samples)
    if end is None:
        raise ValueError(f"no speech found in {name} (webrtcvad mode 2)")
    clip = Clip(name, samples, end, reference, source, voice=voice, has_pause=has_pause, set_name=set_name)
    if name in KNOWN_SPEECH_ENDS_S:
        clip = dataclasses.replace(clip, acoustic_end=round(KNOWN_SPEECH_ENDS_S[name] * SAMPLE_RATE))
    return clip


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


def load_files(paths: Iterable[Path], *, set_name: str = "files", voice: str = "") -> list[Clip]:
    """Clips from audio files (any format soundfile reads), resampled to 16 kHz mono."""
    return [make_clip(p.name, read_mono(p, SAMPLE_RATE), reference_for(p), str(p), set_name=set_name,
                      voice=voice or ("human" if p.name in KNOWN_REFERENCES else "file"))
            for p in expand_paths(paths)]


def default_clips(synth: PromptSynth | None = None, log: Callable[[str], None] = lambda _: None, *,
                  shared: Path | None = None) -> list[Clip]:
    """jfk.flac when the shared directory (:func:`shared_audio_dir`) has it, plus the generated
    prompts (synthesized on first use, then read from the cache); without it, one log line says
    it was skipped and the set is the prompts alone."""
    clips: list[Clip] = []
    jfk = shared_audio_dir(shared) / JFK_NAME
    if jfk.is_file():
        clips.append(make_clip(jfk.name, read_mono(jfk, SAMPLE_RATE), reference_for(jfk), str(jfk), voice="human",
                               has_pause=True, set_name="default"))
    else:
        log(f"default set: {JFK_NAME} skipped, not in {jfk.parent} (--shared-audio DIR or ${SHARED_AUDIO_ENV} "
            "adds it)")
    synth = synth or PromptSynth()
    for prompt in DEFAULT_PROMPTS:
        path, samples = synth.clip(prompt)
        clips.append(make_clip(f"{prompt.name}.wav", samples, prompt.text, str(path), voice="piper",
                               has_pause=prompt.has_pause, set_name="default"))
    log(f"default set: {len(DEFAULT_PROMPTS)} prompts in the Piper voice, cached in {synth.cache_dir}")
    return clips


def clip_set(paths: Sequence[Path] | None, cache_dir: Path | None,
             log: Callable[[str], None] = lambda _: None, sets: Sequence[str] = ("default",), *,
             shared: Path | None = None) -> list[Clip]:
    """The clips named on a command line, else the named ``sets`` (:mod:`client.benchmark.sets`)
    with the shared recordings from ``shared`` (None: :func:`shared_audio_dir`);
    raises ValueError/FileNotFoundError/RuntimeError."""
    if paths:
        return load_files(paths)
    from client.benchmark.sets import load_sets

    return load_sets(sets, cache_dir, log=log, shared=shared)
