"""The adaptive echo path filter: a partitioned-block frequency-domain NLMS filter (overlap-save,
2N FFTs) whose taps start just before the bulk delay and model what follows it (fractional delay,
colouring, early reflections). It starts converged from a Wiener fit and NLMS then tracks changes.
"""

from __future__ import annotations

import numpy as np

from client.echo_settings import FRAME, RATE, EchoSettings
from client.sample_ring import SampleRing


class EchoPathFilter:
    """Echo estimate of the reference in ``reference`` for each 20 ms mic frame, given the bulk delay."""

    def __init__(self, settings: EchoSettings, reference: SampleRing) -> None:
        self.settings = settings
        self._ref = reference
        self.pre = int(settings.pre_delay_ms * RATE / 1000)
        """Taps kept before the bulk delay (samples)."""
        self.taps = settings.partitions * FRAME
        self._active_power = settings.active_power
        self.reset()

    def reset(self, delay: int | None = None, gain: float = 0.0) -> None:
        """Forget the path; with the bulk ``delay`` (samples) known, start from one tap of ``gain`` there."""
        p = self.settings.partitions
        self._w = np.zeros((p, FRAME + 1), dtype=np.complex128)
        self._x = np.zeros((p, FRAME + 1), dtype=np.complex128)
        self._x_power = np.full(FRAME + 1, 1e-6)
        self._last_e = np.zeros(FRAME + 1, dtype=np.complex128)
        self.reference_active = False
        """The reference block of the last filtered frame held reply audio."""
        if delay is not None:
            taps = np.zeros(2 * FRAME)
            taps[min(self.pre, delay)] = gain
            self._w[0] = np.fft.rfft(taps)

    def _shift(self, delay: int) -> int:
        """How far behind the mic the filter's first tap reads the reference (samples)."""
        return delay - min(self.pre, delay)

    def _x_block(self, pos: int, delay: int) -> tuple[np.ndarray, np.ndarray]:
        """The reference (bulk-delayed) for the frame at mic position ``pos``: 2N samples and spectrum."""
        bulk = pos - self._shift(delay)
        x2 = self._ref.read(bulk - FRAME, bulk + FRAME)
        return x2, np.fft.rfft(x2)

    def filter(self, pos: int, mic: np.ndarray, delay: int) -> tuple[np.ndarray, np.ndarray]:
        """Echo estimate ``y`` and residual ``e`` for the frame at ``pos`` (overlap-save, 2N FFT)."""
        x2, xf = self._x_block(pos, delay)
        self._x = np.roll(self._x, 1, axis=0)
        self._x[0] = xf
        self._x_power = 0.8 * self._x_power + 0.2 * np.abs(xf) ** 2
        self.reference_active = float(np.mean(x2[FRAME:] ** 2)) > self._active_power
        y = np.fft.irfft(np.sum(self._w * self._x, axis=0))[FRAME:]
        e = mic - y
        self._last_e = np.fft.rfft(np.concatenate([np.zeros(FRAME), e]))
        return y, e

    def adapt(self) -> None:
        """One constrained NLMS step per partition, from the last frame's residual."""
        p = self.settings.partitions
        reg = self.settings.regularization * float(np.mean(self._x_power))
        norm = self.settings.step / (p * self._x_power + reg + 1e-9)
        for i in range(p):
            grad = np.fft.irfft(np.conj(self._x[i]) * self._last_e * norm)
            grad[FRAME:] = 0.0  # gradient constraint: keep the filter causal and linear
            self._w[i] += np.fft.rfft(grad)

    def fit(self, mic: np.ndarray, start: int, delay: int, live_pos: int) -> float:
        """Fit the echo path over the (echo-only) ``mic`` window from position ``start``, at once.

        A frequency-domain Wiener estimate (cross-spectrum over auto-spectrum, averaged over
        overlapping segments), cut to the filter length: the filter starts converged whatever the
        room, for a few FFTs. NLMS then only tracks changes. The reference history is then laid for
        the frame at ``live_pos``. Returns the fit's residual ratio (residual over echo power).
        """
        taps = self.taps
        shift = self._shift(delay)
        n = 8 * taps
        window = mic.shape[0]
        end = start + window
        ref = self._ref.read(start - shift, end - shift)  # aligned: ref[k] is heard in mic[k] (plus the taps)
        hann = np.hanning(n)
        cross = np.zeros(n // 2 + 1, dtype=np.complex128)
        auto = np.zeros(n // 2 + 1)
        for a in range(0, window - n + 1, n // 4):
            x = np.fft.rfft(ref[a : a + n] * hann)
            m = np.fft.rfft(mic[a : a + n] * hann)
            cross += np.conj(x) * m
            auto += np.abs(x) ** 2
        reg = self.settings.regularization * float(np.mean(auto))
        h = np.fft.irfft(cross / (auto + reg + 1e-12), n)[:taps]
        self.reset()
        p = self.settings.partitions
        for i in range(p):
            block = np.zeros(2 * FRAME)
            block[:FRAME] = h[i * FRAME : (i + 1) * FRAME]
            self._w[i] = np.fft.rfft(block)
        y = np.convolve(ref, h)[:window]
        residual = (mic - y)[taps:]
        y = y[taps:]
        for i in range(p - 1, 0, -1):
            self.filter(live_pos - i * FRAME, np.zeros(FRAME), delay)
        echo = float(np.dot(y, y))
        return float(np.dot(residual, residual)) / echo if echo > 0 else 1.0
