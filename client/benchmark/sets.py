"""Named clip sets (``--set``): the headline set, the endpointing prompt halves, several voices, humans.

- ``default``: the 8 ``DEFAULT_PROMPTS`` in the project's Piper voice, plus jfk.flac when the
  shared recordings are there (the headline latency set; works from a bare clone).
- ``tune`` / ``holdout``: the 16 prompts of that half (:mod:`client.benchmark.prompt_sets`) in
  the Piper voice at its natural speed.
- ``voices-tune`` / ``voices-holdout``: the 16 prompts of that half, each spoken by two of the
  8 voices of :mod:`client.benchmark.voices` (32 clips, 4 per voice).
- ``human``: the shared human recordings that are present (see
  :func:`~client.benchmark.clips.shared_audio_dir`): jfk.flac, hotwords.mp3 and the channel mix
  of stereo_diarization.wav. They are speech but not requests, and belong to neither half:
  use them to check endpointing on real voices, not to tune it.

Several sets can be played together (``--set voices-tune,human``); a clip in two sets is played once.
Every clip carries its voice, whether it has a pause inside, and its set, for the per-voice and
per-set report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from client.benchmark.clips import Clip, default_clips, load_files, make_clip, shared_audio_dir
from client.benchmark.prompt_sets import HALVES
from client.benchmark.prompts import PromptSynth
from client.benchmark.voices import BY_NAME, PLAN_OFFSETS, VoiceSynth, voice_plan

SET_NAMES = ("default", "tune", "holdout", "voices-tune", "voices-holdout", "human")
HUMAN_FILES = {"jfk.flac": True, "hotwords.mp3": None, "stereo_diarization.wav": None}
"""Shared human recordings and whether they hold a pause the sentence continues past (None: unknown)."""

Log = Callable[[str], None]


def human_clips(log: Log = lambda _: None, shared: Path | None = None) -> list[Clip]:
    """The shared recordings present in ``shared`` (None: :func:`shared_audio_dir`); raises
    FileNotFoundError when none is."""
    shared = shared_audio_dir(shared)
    present = [shared / name for name in HUMAN_FILES if (shared / name).is_file()]
    if not present:
        raise FileNotFoundError(f"no shared human recordings in {shared} (the human set needs them; "
                                "--shared-audio DIR points elsewhere)")
    missing = [name for name in HUMAN_FILES if not (shared / name).is_file()]
    if missing:
        log(f"human set: {', '.join(missing)} skipped, not in {shared}")
    clips = load_files(present, set_name="human", voice="human")
    return [replace(c, has_pause=HUMAN_FILES[c.name]) for c in clips]


def half_clips(half: str, *, voices: bool, synth: VoiceSynth, log: Log = lambda _: None) -> list[Clip]:
    """A prompt half in the Piper voice, or (``voices``) each prompt by two voices."""
    prompts = HALVES[half]
    plan = voice_plan(prompts, offset=PLAN_OFFSETS[half]) if voices else [(p, BY_NAME["piper"]) for p in prompts]
    set_name = f"voices-{half}" if voices else half
    clips = []
    for prompt, voice in plan:
        path, samples = synth.clip(prompt, voice)
        log(f"prompt {prompt.name} by {voice.name}: {path}")
        clips.append(make_clip(f"{prompt.name}+{voice.name}.wav", samples, prompt.text, str(path), voice=voice.name,
                               has_pause=prompt.has_pause, set_name=set_name))
    return clips


def named_set(name: str, cache_dir: Path | None, log: Log = lambda _: None, *,
              shared: Path | None = None) -> list[Clip]:
    """The clips of one set (see the module docstring), the shared recordings taken from
    ``shared`` (None: :func:`shared_audio_dir`); raises ValueError for an unknown name."""
    if name == "default":
        return default_clips(PromptSynth(cache_dir), log=log, shared=shared)
    if name == "human":
        return human_clips(log, shared)
    half = name.removeprefix("voices-")
    if half in HALVES:
        return half_clips(half, voices=name.startswith("voices-"), synth=VoiceSynth(cache_dir), log=log)
    raise ValueError(f"unknown clip set {name!r} (one of {', '.join(SET_NAMES)})")


def load_sets(names: Sequence[str], cache_dir: Path | None, log: Log = lambda _: None, *,
              shared: Path | None = None) -> list[Clip]:
    """The clips of every named set, in order; a clip already taken is not added again."""
    clips: dict[str, Clip] = {}
    for name in names:
        for clip in named_set(name, cache_dir, log, shared=shared):
            clips.setdefault(clip.name, clip)
    return list(clips.values())
