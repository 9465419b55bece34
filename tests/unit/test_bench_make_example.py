"""The example question for the desktop client's file mode (``python -m client.benchmark.make_example``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from app.models import ModelError
from client.benchmark import make_example
from client.benchmark.prompts import Prompt, cached_prompt

REPO = Path(__file__).resolve().parents[2]


class FakeSynth:
    """A PromptSynth stand-in that never loads Piper: a 1.2 s tone per prompt."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.spoken: list[str] = []

    def clip(self, prompt: Prompt) -> tuple[Path, np.ndarray]:
        self.spoken.append(prompt.text)
        t = np.arange(int(1.2 * 16_000)) / 16_000
        return cached_prompt(
            self.cache_dir, prompt, "fake", lambda _: (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
        )


def test_the_example_is_a_16k_mono_wav_with_its_transcript(tmp_path: Path) -> None:
    synth = FakeSynth(tmp_path / "cache")
    out = tmp_path / "sub" / "question.wav"
    path, seconds = make_example.write_example(out, synth)
    data, rate = soundfile.read(str(path), dtype="int16")
    assert rate == 16_000 and data.ndim == 1 and seconds == pytest.approx(data.shape[0] / 16_000)
    assert 1.2 < seconds < 2.0  # the speech plus 0.25 s of noise floor at each end
    assert out.with_suffix(".txt").read_text() == "What time is it in Tokyo right now?\n"
    assert synth.spoken == [make_example.QUESTION.text]
    make_example.write_example(out, synth, text="  Tell me   a joke. ")
    assert out.with_suffix(".txt").read_text() == "Tell me a joke.\n"


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "q.wav"
    assert make_example.main([str(out)], synth=FakeSynth(tmp_path)) == 0
    printed = capsys.readouterr().out
    assert out.is_file() and f"--input-wav {out}" in printed and "python -m client" in printed
    for argv in ([str(tmp_path / "q.mp3")], [str(out), "--text", "  "]):
        assert make_example.main(argv, synth=FakeSynth(tmp_path)) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ")


def test_no_voice_model_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    class NoModels:
        def clip(self, prompt: Prompt) -> tuple[Path, np.ndarray]:
            raise ModelError("model files missing under models: tts/x.onnx; run `python -m app.models fetch`")

    assert make_example.main([str(tmp_path / "q.wav")], synth=NoModels()) == 2
    assert capsys.readouterr().err.strip() == (
        "error: model files missing under models: tts/x.onnx; run `python -m app.models fetch`"
    )
    assert not (tmp_path / "q.wav").exists()


def test_the_default_output_is_git_ignored() -> None:
    assert make_example.DEFAULT_OUT.parent == REPO / "artifacts"
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert "artifacts/" in ignored, "artifacts/ must stay git-ignored: the example is generated, not committed"
