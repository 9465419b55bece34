"""The echo suppressor's tuning and the mic timeline it works on (16 kHz, 20 ms frames)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE = 16_000
"""Sample rate of the mic and reference timelines (Hz)."""
FRAME = 320
"""Samples in one 20 ms frame at ``RATE``."""


@dataclass(frozen=True)
class EchoSettings:
    """Tuning of the echo suppressor. Times in ms, levels in dB."""

    max_delay_ms: float = 400.0
    """Longest echo path delay searched (speaker -> air -> mic, plus device buffers)."""
    partitions: int = 2
    """Adaptive filter length in 20 ms partitions (taps = partitions * 320)."""
    pre_delay_ms: float = 4.0
    """Taps the adaptive filter keeps before the estimated bulk delay."""
    step: float = 0.2
    """NLMS step size (0..1)."""
    regularization: float = 0.03
    """Added to each frequency bin's reference power, relative to the mean: keeps bins where the
    reply has no energy from learning (and adding) mic noise."""
    estimate_window_ms: float = 1200.0
    """Mic audio correlated against the reference for one delay estimate."""
    estimate_every_ms: float = 400.0
    """How often the delay is re-estimated while the reply plays."""
    min_reference_ms: float = 500.0
    """Reply audio needed in the window before the delay is estimated."""
    min_peak_z: float = 8.0
    """A delay estimate is trusted when its correlation peak stands this many deviations above the rest."""
    double_talk_db: float = 9.0
    """Residual this far above the expected residual echo counts as the user talking."""
    noise_margin_db: float = 6.0
    """...and it must also be this far above the residual's noise floor."""
    unconverged_margin_db: float = 3.0
    """Before the echo path is known: pass only sound this far above the loudest recent reference."""
    energy_margin_db: float = 0.0
    """...and the mic must be this far above the loudest echo the reference can produce."""
    echo_coherence: float = 0.7
    """A frame whose mic signal correlates this well with the echo estimate is echo, however loud."""
    hangover_ms: float = 160.0
    """Keep passing audio this long after the last frame judged to be the user (word gaps)."""
    active_db: float = -70.0
    """Reference power (dBFS) below which nothing is considered playing."""
    idle_ms: float = 600.0
    """After this long without reference audio the suppressor is bypassed (plain open mic)."""

    @property
    def active_power(self) -> float:
        """``active_db`` as a mean-square power (full scale 1.0)."""
        return 10 ** (self.active_db / 10)


def power_db(power: float) -> float:
    """A mean-square power in dB (floored at -200 dB)."""
    return 10.0 * np.log10(max(power, 1e-20))
