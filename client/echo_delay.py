"""Bulk echo delay: where in the played reference the mic's echo comes from (GCC-PHAT, numpy only).

Pure functions on one window of mic audio and the reference around it; the suppressor decides when
to look and whether to believe the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class EchoPath:
    """A one-tap echo path found in a window."""

    delay: int
    """Bulk delay from reference to mic (samples)."""
    gain: float
    """Amplitude gain of the one tap at that delay."""
    power_gain: float
    """Mic power over the aligned reference's power: an upper bound of the echo's gain, noise included."""


def correlation_peak(mic: np.ndarray, ref: np.ndarray, max_delay: int) -> tuple[int, float]:
    """The lag of the strongest mic/reference correlation and how far it stands out (in deviations).

    ``ref`` starts ``max_delay`` samples before ``mic`` and ends with it, so lag ``k`` means a delay
    of ``max_delay - k`` samples.
    """
    n = 1 << int(np.ceil(np.log2(mic.shape[0] + ref.shape[0])))
    m_f = np.fft.rfft(mic, n)
    r_f = np.fft.rfft(ref, n)
    cross = np.conj(m_f) * r_f
    cross /= np.abs(cross) ** 0.85 + 1e-12  # near-PHAT weighting: sharp peaks on speech
    corr = np.fft.irfft(cross, n)[: max_delay + 1]
    k = int(np.argmax(corr))
    spread = float(np.std(corr))
    z = (corr[k] - float(np.mean(corr))) / spread if spread > 0 else 0.0
    return k, z


def echo_path_at(mic: np.ndarray, ref: np.ndarray, lag: int, max_delay: int) -> EchoPath | None:
    """The one-tap path at correlation ``lag`` (see :func:`correlation_peak`); None if it is no path."""
    delay = max_delay - lag
    if delay in (0, max_delay):
        return None  # a peak at the edge of the search is an artefact, not a path
    aligned = ref[lag : lag + mic.shape[0]]
    energy = float(np.dot(aligned, aligned))
    if energy <= 0:
        return None
    gain = float(np.dot(mic, aligned) / energy)
    if gain <= 0:
        return None
    return EchoPath(delay, gain, float(np.dot(mic, mic)) / energy)
