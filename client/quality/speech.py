"""The items spoken by their voices, as benchmark clips (synthesized once, then read from the cache)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from client.benchmark.clips import Clip, make_clip
from client.benchmark.main import session_noise
from client.benchmark.prompts import Prompt
from client.benchmark.runner import NoiseFactory
from client.benchmark.voices import BY_NAME, VoiceSynth
from client.quality.questions import Item


def item_clips(items: Iterable[Item], cache_dir: Path | None = None,
               log: Callable[[str], None] = lambda _: None) -> dict[str, Clip]:
    """Item id -> its clip, spoken by the item's voice (Piper or espeak-ng, see :mod:`client.benchmark.voices`)."""
    synth = VoiceSynth(cache_dir)
    out: dict[str, Clip] = {}
    for item in items:
        if item.id in out:
            continue
        # The prompt name is the item id, so the cache file says what it holds.
        path, samples = synth.clip(Prompt(f"quality-{item.id}", (item.text,)), BY_NAME[item.voice])
        out[item.id] = make_clip(f"{item.id}+{item.voice}", samples, item.text, str(path), voice=item.voice,
                                 has_pause=False, set_name=f"quality-{item.half}")
        log(f"clip {item.id} ({item.voice}): {path}")
    return out


def noise_maker(kind: str | None, dbfs: float, clips: list[Clip]) -> NoiseFactory:
    """Session index -> its noise stream, exactly as the latency benchmark makes it (babble from the
    clips' own speech); None without ``kind`` (the default white floor between clips)."""
    return session_noise(kind, dbfs, clips)
