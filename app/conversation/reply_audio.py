"""One reply's spoken audio: cut into numbered binary frames, and mapped back to the words a
listener heard when playback stopped (barge-in)."""

from __future__ import annotations

import numpy as np

from app import protocol as p
from app.audio import AudioFormat


class ReplyAudio:
    """The clauses a turn has spoken so far, in order, and their audio frames' numbering."""

    def __init__(self, turn_id: int, output: AudioFormat, frame_ms: int) -> None:
        """``frame_ms``: longest binary frame sent, in ms of output audio."""
        self._turn_id = turn_id
        self._output = output
        self._frame_samples = output.ms_to_samples(frame_ms)
        self._clauses: list[tuple[str, int]] = []
        """(text, samples) of every spoken clause."""
        self.samples = 0
        """Output samples spoken so far."""
        self._seq = 0

    def speak(self, text: str, pcm: np.ndarray) -> list[p.ReplyAudio]:
        """Record clause ``text`` spoken as ``pcm`` (int16 at the output rate); its wire frames."""
        self._clauses.append((text, int(pcm.shape[0])))
        frames = []
        for start in range(0, pcm.shape[0], self._frame_samples):
            chunk = pcm[start : start + self._frame_samples]
            frames.append(p.ReplyAudio(self._turn_id, self._seq, chunk.astype("<i2", copy=False).tobytes()))
            self._seq += 1
        self.samples += int(pcm.shape[0])
        return frames

    @property
    def sample_rate(self) -> int:
        """Output sample rate, in Hz."""
        return self._output.sample_rate

    @property
    def duration_ms(self) -> float:
        """Audio spoken so far, in ms."""
        return self._output.samples_to_ms(self.samples)

    def heard_text(self, played_ms: float) -> str:
        """The words played within ``played_ms`` of audio (a partial clause by its share of words)."""
        words: list[str] = []
        remaining = self._output.ms_to_samples(played_ms)
        for text, samples in self._clauses:
            clause_words = text.split()
            if remaining >= samples:
                words += clause_words
                remaining -= samples
                continue
            words += clause_words[: int(len(clause_words) * remaining / samples)] if samples else []
            break
        return " ".join(words)
