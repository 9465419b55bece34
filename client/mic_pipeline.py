"""The microphone path, without I/O: device-rate blocks in, 20 ms 16 kHz frames for the server out.

mic block (device rate) -> soxr stream -> 16 kHz -> 20 ms frames -> echo suppression (against what
the speaker played) -> barge-in detection. The played reference arrives through
:class:`ReferenceTap`, which places it on the mic timeline.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass

import numpy as np
import soxr

from client.bargein import (
    BargeIn,
    BargeInCancelled,
    BargeInDetector,
    BargeInPending,
    BargeInSettings,
    to_pcm16,
)
from client.echo import FRAME, RATE, EchoResult, EchoSettings, EchoSuppressor


class ReferenceTap:
    """Turns the blocks the output callback played into 16 kHz reference on the mic timeline.

    Each played block comes with its index in the output stream and the input stream's position
    (in input-device samples) at the moment it was handed to the device. Their difference is the
    offset between the two timelines. It is locked from the median of the first blocks (once the
    mic delivers), and from then on the reference is placed by counting samples, which is exact.
    Callback timing jitters by tens of ms under load, so small disagreements are left to the echo
    suppressor's cross-correlation (0..400 ms); only a large, sustained jump (the mic stream stalled
    or burst, a device was reset) re-locks the offset and makes the suppressor learn the path anew.
    """

    LOCK_BLOCKS = 8
    RELOCK_SAMPLES = 1600  # 100 ms

    def __init__(self, echo: EchoSuppressor, out_rate: int, in_rate: int) -> None:
        self._echo = echo
        self.out_rate = out_rate
        self.in_rate = in_rate
        self._resampler = (soxr.ResampleStream(out_rate, RATE, 1, dtype="float32", quality="HQ")
                           if out_rate != RATE else None)
        self._written = 0
        """16 kHz reference samples produced so far."""
        self._recent: deque[float] = deque(maxlen=64)
        self.offset: int | None = None
        self.relocks = 0

    def add(self, block: np.ndarray, out_index: int, mic_index: float | None) -> None:
        """``block``: float32 samples the output callback just wrote, starting at ``out_index``;
        ``mic_index``: the mic stream's position then (None: the mic has delivered nothing yet)."""
        if mic_index is not None:
            self._recent.append(mic_index * RATE / self.in_rate - out_index * RATE / self.out_rate)
            if self.offset is None and len(self._recent) >= self.LOCK_BLOCKS:
                self.offset = round(statistics.median(self._recent))
            elif self.offset is not None and len(self._recent) == self._recent.maxlen:
                median = statistics.median_low(self._recent)  # a real measurement, not a midpoint
                if abs(median - self.offset) > self.RELOCK_SAMPLES:
                    self.offset = round(median)
                    self.relocks += 1
                    self._recent.clear()
                    self._echo.forget_path()
        samples = self._resampler.resample_chunk(block.astype(np.float32)) if self._resampler else block
        if self.offset is not None:
            self._echo.add_reference(samples, self._written + self.offset)
        self._written += samples.shape[0]

    def close(self) -> None:
        """Free the resampler now: soxr's objects still alive at interpreter exit (something
        holding the client, such as a daemon thread) make nanobind print a leak report."""
        self._resampler = None


@dataclass(frozen=True, slots=True)
class MicFrame:
    """One 20 ms frame, processed."""

    pcm: np.ndarray
    """int16, 320 samples: what goes to the server."""
    level_db: float
    """Raw mic level (dBFS) before echo suppression, for the meter."""
    echo: EchoResult
    barge_in: BargeIn | BargeInPending | BargeInCancelled | None
    position: int
    """Mic position (16 kHz samples) at the end of this frame."""


class MicPipeline:
    """Resample, frame, suppress echo, detect barge-in. Feed blocks; get frames back."""

    def __init__(
        self,
        in_rate: int,
        *,
        echo: EchoSettings | None = None,
        barge_in: BargeInSettings | None = None,
        echo_enabled: bool = True,
    ) -> None:
        self.in_rate = in_rate
        self._resampler = (soxr.ResampleStream(in_rate, RATE, 1, dtype="float32", quality="HQ")
                           if in_rate != RATE else None)
        self._pending = np.zeros(0, dtype=np.float32)
        self.echo = EchoSuppressor(echo)
        self.echo_enabled = echo_enabled
        self.barge_in = BargeInDetector(barge_in)
        self.recording: list[tuple[np.ndarray, np.ndarray, bool, bool, bool]] | None = None
        """When a list: (mic, out, near_end, passing, playing) of every frame, for ``--dump-audio``."""

    def start_recording(self) -> None:
        self.recording = []
        self.echo.reference_log = []

    def dump(self, path: str) -> None:
        """Write what was recorded (mic, reference and decisions on the mic timeline) as .npz."""
        if not self.recording:
            return
        mic = np.concatenate([r[0] for r in self.recording])
        out = np.concatenate([r[1] for r in self.recording])
        flags = np.array([r[2:] for r in self.recording], dtype=bool)
        ref = np.zeros(mic.shape[0], dtype=np.float32)
        for pos, block in self.echo.reference_log or []:
            lo, hi = max(pos, 0), min(pos + block.shape[0], ref.shape[0])
            if hi > lo:
                ref[lo:hi] = block[lo - pos : hi - pos]
        np.savez_compressed(path, mic=mic, out=out, ref=ref, near=flags[:, 0], passing=flags[:, 1], playing=flags[:, 2])

    def close(self) -> None:
        """Free the resampler (see :meth:`ReferenceTap.close`); push nothing after."""
        self._resampler = None

    def reference_tap(self, out_rate: int) -> ReferenceTap:
        return ReferenceTap(self.echo, out_rate, self.in_rate)

    @property
    def position(self) -> int:
        """16 kHz samples processed so far (the mic timeline)."""
        return self.echo.pos

    def push(self, block: np.ndarray, *, playing: bool) -> list[MicFrame]:
        """A block of mono float32 mic samples at the device rate; ``playing``: a reply is sounding."""
        samples = block.astype(np.float32)
        if self._resampler:
            samples = self._resampler.resample_chunk(samples)
        self._pending = np.concatenate([self._pending, samples]) if self._pending.shape[0] else samples
        frames: list[MicFrame] = []
        while self._pending.shape[0] >= FRAME:
            frame, self._pending = self._pending[:FRAME], self._pending[FRAME:]
            frames.append(self._frame(frame, playing))
        return frames

    def _frame(self, frame: np.ndarray, playing: bool) -> MicFrame:
        power = float(np.mean(frame.astype(np.float64) ** 2))
        level = 10.0 * np.log10(max(power, 1e-12))
        result = self.echo.process(frame)
        if not self.echo_enabled:
            result = EchoResult(frame, near_end=result.near_end, passing=True, far_active=result.far_active,
                                cleaned=frame)
        user = True if not self.echo_enabled else (result.near_end or not result.far_active)
        hit = self.barge_in.update(result.out, user=user, armed=playing)
        if self.recording is not None:
            self.recording.append((frame.copy(), result.out, result.near_end, result.passing, playing))
        return MicFrame(to_pcm16(result.out), level, result, hit, self.echo.pos)
