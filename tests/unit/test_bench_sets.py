"""Benchmark clip sets: the prompt halves, the voice plan, sets without ../shared/audio, the CLI."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from client.benchmark import clips as clips_module
from client.benchmark import sets as sets_module
from client.benchmark.prompt_sets import HALVES, HOLDOUT_PROMPTS, TUNE_PROMPTS
from client.benchmark.prompts import DEFAULT_PROMPTS, Prompt, cached_prompt
from client.benchmark.sets import SET_NAMES, human_clips, load_sets
from client.benchmark.voices import PLAN_OFFSETS, VOICES, espeak, voice_plan

SR = 16_000
REPO = Path(__file__).resolve().parents[2]
NUMBER_WORDS = r"\b(one|two|three|four|five|six|seven|eight|nine|ten|twenty|hundred|thousand)\b"


def speechlike(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    return (rng.standard_normal(t.shape[0]) * 5000 * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))).astype(np.int16)


def test_the_halves_are_fixed_disjoint_balanced_and_digit_free() -> None:
    assert len(TUNE_PROMPTS) == len(HOLDOUT_PROMPTS) == 16
    names = [p.name for p in (*TUNE_PROMPTS, *HOLDOUT_PROMPTS, *DEFAULT_PROMPTS)]
    assert len(names) == len(set(names))
    texts = {p.text for p in TUNE_PROMPTS} | {p.text for p in HOLDOUT_PROMPTS}
    assert not texts & {p.text for p in DEFAULT_PROMPTS}
    for half in HALVES.values():
        paused = [p for p in half if p.has_pause]
        assert len(paused) == 6
        assert sorted(p.pauses_s for p in paused) == sorted(p.pauses_s for p in HOLDOUT_PROMPTS if p.has_pause)
        for p in half:
            assert not re.search(r"\d", p.text) and not re.search(NUMBER_WORDS, p.text.lower()), p.text
            assert all(0.5 <= s <= 0.8 for s in p.pauses_s) and len(p.pauses_s) == len(p.parts) - 1


def test_voices_cover_piper_speeds_and_espeak_accents() -> None:
    assert len(VOICES) >= 6 and len({v.name for v in VOICES}) == len(VOICES)
    assert sorted(v.speed for v in VOICES if v.engine == "piper") == [0.8, 1.0, 1.25]
    espeak_voices = [v for v in VOICES if v.engine == "espeak-ng"]
    assert len(espeak_voices) >= 4 and any("+f" in v.model for v in espeak_voices)
    assert all(130 <= v.speed <= 190 for v in espeak_voices)


@pytest.mark.parametrize("half", ["tune", "holdout"])
def test_voice_plan_gives_every_prompt_two_voices_and_every_voice_a_pause(half: str) -> None:
    prompts = HALVES[half]
    plan = voice_plan(prompts, offset=PLAN_OFFSETS[half])
    assert len(plan) == 2 * len(prompts)
    for prompt in prompts:
        voices = [v.name for p, v in plan if p is prompt]
        assert len(voices) == 2 and voices[0] != voices[1]
    for voice in VOICES:
        mine = [p for p, v in plan if v is voice]
        assert len(mine) == len(plan) // len(VOICES) and any(p.has_pause for p in mine), voice.name
    with pytest.raises(ValueError):
        voice_plan(prompts, offset=len(VOICES))


def test_the_two_halves_pair_voices_differently() -> None:
    tune = voice_plan(TUNE_PROMPTS, offset=PLAN_OFFSETS["tune"])
    holdout = voice_plan(HOLDOUT_PROMPTS, offset=PLAN_OFFSETS["holdout"])
    pairs = {h: {tuple(sorted(v.name for p, v in plan if p is q)) for q in HALVES[h]}
             for h, plan in (("tune", tune), ("holdout", holdout))}
    assert pairs["tune"] != pairs["holdout"]


def test_cached_prompt_synthesizes_once_per_recipe(tmp_path: Path) -> None:
    calls: list[str] = []

    def synth(text: str) -> np.ndarray:
        calls.append(text)
        return speechlike(0.4, len(calls))

    prompt = Prompt("p", ("first part", "second part"), (0.6,))
    path, a = cached_prompt(tmp_path, prompt, "voice-a", synth, stem="p+a")
    _, b = cached_prompt(tmp_path, prompt, "voice-a", synth, stem="p+a")
    assert calls == ["first part", "second part"] and np.array_equal(a, b) and path.name.startswith("p+a-")
    assert path.with_suffix(".txt").read_text().strip() == "first part second part"
    cached_prompt(tmp_path, prompt, "voice-b", synth, stem="p+b")
    assert len(calls) == 4  # another voice: another clip


class FakeSynth:
    """A PromptSynth stand-in that never loads Piper."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir

    def clip(self, prompt: Prompt) -> tuple[Path, np.ndarray]:
        return cached_prompt(self.cache_dir, prompt, "fake", lambda text: speechlike(0.3 + 0.01 * len(text), 1))


@pytest.fixture
def fake_prompts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Named sets build their PromptSynth themselves: make it the fake (no Piper, no models)."""
    cache = tmp_path / "cache"
    monkeypatch.setattr(sets_module, "PromptSynth", lambda cache_dir: FakeSynth(cache_dir or cache))
    return cache


def test_default_set_works_without_the_shared_recordings(tmp_path: Path, fake_prompts: Path) -> None:
    empty = tmp_path / "empty-shared"
    empty.mkdir()
    logged: list[str] = []
    clips = clips_module.clip_set(None, fake_prompts, log=logged.append, shared=empty)
    assert [c.name for c in clips] == [f"{p.name}.wav" for p in DEFAULT_PROMPTS]
    assert all(c.voice == "piper" and c.set_name == "default" for c in clips)
    assert [c.has_pause for c in clips] == [p.has_pause for p in DEFAULT_PROMPTS]
    skipped = [line for line in logged if "skipped" in line]
    assert len(skipped) == 1 and "jfk.flac" in skipped[0] and str(empty) in skipped[0]
    assert len(logged) == 2  # the skip and one line for the prompts, not one per prompt


def test_the_shared_directory_comes_from_the_environment(tmp_path: Path, fake_prompts: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv(clips_module.SHARED_AUDIO_ENV, str(shared))
    assert clips_module.shared_audio_dir() == shared
    assert clips_module.shared_audio_dir(tmp_path) == tmp_path  # an explicit directory wins
    logged: list[str] = []
    assert len(load_sets(["default"], None, logged.append)) == len(DEFAULT_PROMPTS)
    assert any("skipped" in line for line in logged)
    soundfile.write(str(shared / "jfk.flac"), speechlike(1.0, 3), SR)
    logged.clear()
    clips = load_sets(["default"], None, logged.append)
    assert clips[0].name == "jfk.flac" and clips[0].voice == "human" and clips[0].has_pause is True
    assert len(clips) == len(DEFAULT_PROMPTS) + 1 and not any("skipped" in line for line in logged)
    monkeypatch.delenv(clips_module.SHARED_AUDIO_ENV)
    assert clips_module.shared_audio_dir() == clips_module.DEFAULT_SHARED_AUDIO


def test_the_benchmark_without_shared_recordings_fails_the_human_set_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from client.benchmark.main import Options, run

    opts = Options(server="ws://127.0.0.1:9", spawn=False, clips=(), sets=("human",), shared_audio=tmp_path)
    assert run(opts) == 2  # before any server is tried
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no shared human recordings in " + str(tmp_path))


def test_a_missing_voice_model_is_one_error_line(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from app.models import ModelError
    from client.benchmark import main

    def no_models(_opts: main.Options) -> list:
        raise ModelError("model files missing under models: tts/x.onnx; run `python -m app.models fetch`")

    monkeypatch.setattr(main, "load_clips", no_models)
    assert main.run(main.Options(server="ws://127.0.0.1:9", spawn=False, clips=())) == 2
    assert capsys.readouterr().err.strip() == (
        "error: model files missing under models: tts/x.onnx; run `python -m app.models fetch`")


def test_human_set_takes_the_recordings_that_are_there(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        human_clips(shared=tmp_path)
    soundfile.write(str(tmp_path / "jfk.flac"), speechlike(1.0, 3), SR)
    stereo = np.stack([speechlike(1.0, 4), speechlike(1.0, 5)], axis=1)
    soundfile.write(str(tmp_path / "stereo_diarization.wav"), stereo, SR, subtype="PCM_16")
    clips = human_clips(shared=tmp_path)
    assert [c.name for c in clips] == ["jfk.flac", "stereo_diarization.wav"]
    assert clips[0].has_pause is True and clips[1].has_pause is None
    assert all(c.voice == "human" and c.set_name == "human" and c.reference for c in clips)


def test_unknown_set_name() -> None:
    with pytest.raises(ValueError):
        load_sets(["nope"], None)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_espeak_speech_is_16k_int16_at_the_set_level() -> None:
    from client.benchmark.speech_end import window_rms

    speech = espeak("en-us", 165, "Open the door.")
    assert speech.dtype == np.int16 and 0.5 * SR < speech.shape[0] < 3 * SR
    peak = 20 * np.log10(window_rms(speech).max() / 32767)
    assert peak == pytest.approx(-14.0, abs=0.5)


def _parse(argv: list[str]):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import latency_budget
    finally:
        sys.path.pop(0)
    return latency_budget.parse_args(argv)


def test_cli_sets_and_noise() -> None:
    opts = _parse(["--server", "ws://x", "--set", "voices-tune,human", "--noise", "babble", "--noise-dbfs", "-35"])
    assert opts.sets == ("voices-tune", "human") and opts.noise == "babble" and opts.noise_dbfs == -35.0
    default = _parse(["--server", "ws://x"])
    assert default.sets == ("default",) and default.noise is None and default.noise_dbfs == -60.0
    assert set(SET_NAMES) == {"default", "tune", "holdout", "voices-tune", "voices-holdout", "human"}
    for bad in (["--set", "nope"], ["--noise", "thunder"], ["--noise-dbfs", "3"], ["--set", "tune", "--clips", "x"]):
        with pytest.raises(SystemExit):
            _parse(["--server", "ws://x", *bad])


def test_cli_shared_audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _parse(["--server", "ws://x", "--shared-audio", str(tmp_path)]).shared_audio == tmp_path
    monkeypatch.setenv(clips_module.SHARED_AUDIO_ENV, str(tmp_path / "env"))
    assert _parse(["--server", "ws://x"]).shared_audio == tmp_path / "env"
    with pytest.raises(SystemExit):  # a typo in an explicit directory is an error, not a silent skip
        _parse(["--server", "ws://x", "--shared-audio", str(tmp_path / "nowhere")])
