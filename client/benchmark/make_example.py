"""``python -m client.benchmark.make_example [OUT.wav] [--text "..."]``: a spoken question for
the desktop client's file mode (``python -m client --input-wav OUT.wav --output-wav reply.wav``).

The question is synthesized with the node's own Piper voice (the models ``scripts/serve.sh``
fetched), 16 kHz mono PCM16 with a -60 dBFS noise floor, as the benchmark's prompts are (and from
the same cache); its transcript goes next to it (``OUT.txt``), which ``latency_budget.py --clips``
takes for WER. The default is ``artifacts/question.wav`` (git-ignored).

Generated, not committed: the voice is fine-tuned from the lessac voice, whose dataset has its own
terms (see the model manifest), so its output is not put in the MIT repository; a generated file is
also always in the voice the node has, and git holds no binary that would go stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.models import ModelError
from client.audio_files import write_wav
from client.benchmark.clips import REPO_ROOT
from client.benchmark.prompts import DEFAULT_PROMPTS, SAMPLE_RATE, Prompt, PromptSynth

DEFAULT_OUT = REPO_ROOT / "artifacts" / "question.wav"
QUESTION = DEFAULT_PROMPTS[0]
""""What time is it in Tokyo right now?": answered by the clock tool, so the reply is right
whatever the language model, and the benchmark's cached clip is reused."""


def write_example(out: Path, synth: PromptSynth, text: str | None = None) -> tuple[Path, float]:
    """Write the question (``text``, default :data:`QUESTION`) to ``out`` and its transcript to
    ``out`` with ``.txt``; returns (path, duration in s). Raises ValueError for an empty text or
    an ``out`` that is not a ``.wav``."""
    if out.suffix.lower() != ".wav":
        raise ValueError(f"the example is a WAV file: give a path ending in .wav, not {out}")
    if text is not None and not text.strip():
        raise ValueError("--text is empty")
    prompt = QUESTION if text is None else Prompt("custom", (" ".join(text.split()),))
    _, samples = synth.clip(prompt)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_wav(out, samples, SAMPLE_RATE)
    out.with_suffix(".txt").write_text(prompt.text + "\n", encoding="utf-8")
    return out, samples.shape[0] / SAMPLE_RATE


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None, synth: PromptSynth | None = None) -> int:
    """Command line; returns the exit code (0 written, 2 bad input or no voice model)."""
    parser = argparse.ArgumentParser(
        prog="python -m client.benchmark.make_example",
        description="Write a spoken question for the desktop client's file mode.",
    )
    parser.add_argument(
        "out",
        nargs="?",
        type=Path,
        default=DEFAULT_OUT,
        help="WAV file to write (default: artifacts/question.wav in the repo)",
    )
    parser.add_argument("--text", help=f"what the question says (default: {QUESTION.text!r})")
    parser.add_argument("--cache-dir", type=Path, help="where generated clips are cached (as latency_budget.py)")
    args = parser.parse_args(argv)
    try:
        path, seconds = write_example(args.out, synth or PromptSynth(args.cache_dir), args.text)
    except (OSError, ValueError, RuntimeError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shown = _display(path)
    print(
        f"wrote {shown} ({seconds:.1f} s, {SAMPLE_RATE // 1000} kHz mono) and its transcript; try:\n"
        f"  .venv/bin/python -m client --input-wav {shown} --output-wav reply.wav"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
