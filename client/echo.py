"""Acoustic echo suppression for hands-free use on speakers (numpy only).

The client knows exactly which reply samples it played, so it keeps them as a *reference* on the
microphone's timeline (16 kHz sample positions) and removes their echo from the mic stream:

1. **Bulk delay** — GCC-PHAT cross-correlation of the mic against the reference over 0..400 ms,
   re-estimated every half second while the reply plays. The gain at that lag gives an initial
   one-tap echo path.
2. **Adaptive filter** — a partitioned-block frequency-domain NLMS filter (40 ms of taps from just
   before the bulk delay) refines the echo path (fractional delay, colouring, early reflections)
   and subtracts the estimated echo.
3. **Residual gate with a double-talk check** — the energy left after subtraction is compared
   with the residual expected from the echo estimate (tracked echo-return-loss enhancement). Well
   above it, it is the user talking: the frame passes (and adaptation freezes). Otherwise, while the
   reply plays, the frame is replaced by silence, so neither the server nor the local barge-in VAD
   ever hears the assistant's own voice.

Until the first delay estimate exists (the first half second of the first reply of a session) the
gate passes only sound clearly louder than anything played; after that it is full duplex.

Here: the frame loop and the gate. The tuning is :mod:`client.echo_settings`, the reference and mic
history :mod:`client.sample_ring`, the delay search :mod:`client.echo_delay` and the adaptive
filter :mod:`client.echo_filter`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from client.echo_delay import correlation_peak, echo_path_at
from client.echo_filter import EchoPathFilter
from client.echo_settings import FRAME, RATE, EchoSettings, power_db
from client.sample_ring import SampleRing

__all__ = ["FRAME", "RATE", "EchoResult", "EchoSettings", "EchoSuppressor"]


@dataclass(frozen=True, slots=True)
class EchoResult:
    """One processed 20 ms mic frame."""

    out: np.ndarray
    """float32 samples to send and to run the VAD on."""
    near_end: bool
    """This frame holds sound that is not the echo (the user, or noise) while a reply plays."""
    passing: bool
    """``out`` carries the mic signal (False: replaced by silence as echo)."""
    far_active: bool
    """Reply audio could be echoing into this frame."""
    cleaned: np.ndarray
    """The mic after echo subtraction, before the gate (float32)."""


class EchoSuppressor:
    """Streams 20 ms frames of 16 kHz mic audio through delay estimation, NLMS and a residual gate."""

    def __init__(self, settings: EchoSettings | None = None) -> None:
        s = settings or EchoSettings()
        self.settings = s
        self._max_delay = int(s.max_delay_ms * RATE / 1000)
        history = 4 * RATE
        self._ref = SampleRing(history)
        self._mic = SampleRing(history)
        self._path = EchoPathFilter(s, self._ref)
        self._pre = self._path.pre
        self.pos = 0
        """Mic position (samples) of the next frame to process."""
        self.delay: int | None = None
        """Estimated bulk echo delay in samples, once known."""
        self.gain = 0.0
        self._pending_delay: int | None = None
        self._next_estimate = 0
        self._noise: float | None = None
        """Tracked noise floor (power) of the mic / residual."""
        self._residual_ratio = 0.1
        self._echo_env = 0.0
        """Envelope of the filter's echo estimate (power); starts over with every fresh filter."""
        self._hang = 0
        self._hang_frames = int(s.hangover_ms / 20)
        self._last_active = -(10**9)
        self._active_power = s.active_power
        self._near_recent = -(10**9)
        self._worse = 0
        self._echo_gain = 1.0
        """Echo path power gain (mic echo power over reference power), from the delay estimates."""
        self.echo_free = False
        """Replies have played and no echo of them reached the mic (headphones, muted speaker)."""
        self.erle_db = 0.0
        """Smoothed echo reduction of the adaptive filter alone (mic vs residual, echo-only frames)."""
        self.reference_log: list[tuple[int, np.ndarray]] | None = None
        """When a list, every reference block with its position (debugging)."""
        self.frames_gated = 0
        self.frames_passed = 0

    # ------------------------------------------------------------------ inputs

    def add_reference(self, samples: np.ndarray, pos: int) -> None:
        """Reply audio (float, 16 kHz) that the speaker plays at mic position ``pos`` or later."""
        self._ref.write(pos, np.asarray(samples, dtype=np.float64))
        if self.reference_log is not None:
            self.reference_log.append((pos, np.array(samples, dtype=np.float32)))

    def process(self, frame: np.ndarray) -> EchoResult:
        """Suppress the echo in the next 20 ms mic frame (float in [-1, 1])."""
        mic = np.asarray(frame, dtype=np.float64)
        if mic.shape[0] != FRAME:
            raise ValueError("process() takes 320-sample frames")
        self._mic.write(self.pos, mic)
        try:
            return self._process(self.pos, mic)
        finally:
            self.pos += FRAME

    def _process(self, pos: int, mic: np.ndarray) -> EchoResult:
        s = self.settings

        ref_recent = self._ref.read(pos - self._max_delay - self._path.taps, pos + FRAME)
        blocks = ref_recent.reshape(-1, FRAME) if ref_recent.shape[0] % FRAME == 0 else None
        ref_peak = float(np.max(np.mean(blocks**2, axis=1))) if blocks is not None else float(np.mean(ref_recent**2))
        if ref_peak > self._active_power:
            self._last_active = pos
        idle = pos - self._last_active > s.idle_ms * RATE / 1000
        pm = float(np.mean(mic**2))
        if self._noise is None:
            self._track_noise(pm)
        if idle:
            # Nothing played lately: plain open mic. Keep the noise floor current.
            self._track_noise(pm)
            self._hang = 0
            m32 = mic.astype(np.float32)
            return EchoResult(m32, near_end=False, passing=True, far_active=False, cleaned=m32)

        if pos >= self._next_estimate:
            self._next_estimate = pos + int(s.estimate_every_ms * RATE / 1000)
            if pos - self._near_recent > s.estimate_window_ms * RATE / 1000:  # echo-only windows only
                self._estimate_delay(pos + FRAME)

        if self.delay is None:
            if self.echo_free:
                # Replies have played without any echo reaching the mic (headphones): open mic.
                near = pm > self.noise_floor * 10 ** (s.noise_margin_db / 10)
                if not near:
                    self._track_noise(pm)
                return self._gate(mic, near)
            # Echo path unknown yet: only sound clearly louder than anything played gets through.
            return self._gate(mic, self._louder_than_reference(pm, ref_peak))

        y, e = self._path.filter(pos, mic, self.delay)
        pe, py = float(np.mean(e**2)), float(np.mean(y**2))
        self._echo_env = max(py, self._echo_env * 0.6)
        expected = self._residual_ratio * self._echo_env
        coherent = py > 0 and float(np.dot(mic, y)) / (np.sqrt(pm * py) * FRAME) > s.echo_coherence
        # Two independent cues must agree that it is the user: the residual is well above what the
        # filter leaves of the echo, and the mic is clearly louder than any echo the played
        # reference could make (its envelope over +-40 ms, so a slightly wrong delay cannot fool it).
        envelope = self._reference_envelope(pos)
        near = (
            pe > expected * 10 ** (s.double_talk_db / 10)
            and pe > self.noise_floor * 10 ** (s.noise_margin_db / 10)
            and pm > self._echo_gain * envelope * 10 ** (s.energy_margin_db / 10)
            and not coherent
        )
        if pe > 1.25 * pm and pm > self.noise_floor * 10:
            # The filter adds energy: it is wrong, whoever is talking. Judge this frame as if the
            # path were unknown, and after a few such frames start over from a fresh estimate.
            self._worse += 1
            if self._worse >= 3:
                self._reset_filter(one_tap=True)
                self._residual_ratio = 0.5
                self._next_estimate = pos + FRAME
                self._near_recent = -(10**9)
                self._worse = 0
            near = self._louder_than_reference(pm, ref_peak)
            return self._gate(mic, near)
        self._worse = 0
        if not near and self._hang == 0 and self._echo_env > self.noise_floor * 4 and self._path.reference_active:
            ratio = min(pe / self._echo_env, 3.0 * self._residual_ratio)
            self._residual_ratio = float(np.clip(0.95 * self._residual_ratio + 0.05 * ratio, 1e-4, 0.5))
            self.erle_db = 0.95 * self.erle_db + 0.05 * (power_db(pm) - power_db(pe))
            self._path.adapt()
        if not near:
            self._track_noise(pe)
        return self._gate(e, near)

    def forget_path(self) -> None:
        """The reference timeline moved: the echo path must be found again."""
        self.delay = None
        self._pending_delay = None
        self._reset_filter()
        self._next_estimate = self.pos

    def _reset_filter(self, one_tap: bool = False) -> None:
        """A fresh adaptive filter: zero, or one tap at the bulk delay (when known)."""
        if one_tap:
            self._path.reset(self.delay, self.gain)
        else:
            self._path.reset()
        self._echo_env = 0.0

    # ------------------------------------------------------------------ gate

    def _gate(self, cleaned: np.ndarray, near: bool) -> EchoResult:
        """Pass ``cleaned`` if it is (or just was) the user, else silence: a reply is playing."""
        if near:
            self._hang = self._hang_frames
            self._near_recent = self.pos
        elif self._hang:
            self._hang -= 1
        passing = near or self._hang > 0
        c32 = cleaned.astype(np.float32)
        if passing:
            self.frames_passed += 1
            return EchoResult(c32, near_end=near, passing=True, far_active=True, cleaned=c32)
        self.frames_gated += 1
        silent = np.zeros(FRAME, dtype=np.float32)
        return EchoResult(silent, near_end=False, passing=False, far_active=True, cleaned=c32)

    def _reference_envelope(self, pos: int) -> float:
        """Loudest 20 ms of reference within 40 ms of where this frame's echo comes from."""
        assert self.delay is not None
        ref = self._ref.read(pos - self.delay - 2 * FRAME, pos - self.delay + 3 * FRAME)
        return float(np.max(np.mean(ref.reshape(-1, FRAME) ** 2, axis=1)))

    def _louder_than_reference(self, pm: float, ref_peak: float) -> bool:
        s = self.settings
        above_reference = pm > ref_peak * 10 ** (s.unconverged_margin_db / 10)
        return above_reference and pm > self.noise_floor * 10 ** (s.noise_margin_db / 10)

    def _track_noise(self, power: float) -> None:
        if self._noise is None or power < self._noise:
            self._noise = max(power, 1e-10)
        else:
            self._noise = min(self._noise * 1.01, power)

    @property
    def reference_lead_ms(self) -> float:
        """How far the reference timeline runs ahead of the mic (it should: output is buffered)."""
        return 1000.0 * (self._ref.end - self.pos) / RATE

    @property
    def noise_floor(self) -> float:
        return self._noise if self._noise is not None else 1e-10

    # ------------------------------------------------------------------ delay estimation

    def _estimate_delay(self, end: int) -> None:
        """Look for the echo path in the window ending at mic position ``end``; adopt a new one."""
        s = self.settings
        window = int(s.estimate_window_ms * RATE / 1000)
        if end < FRAME * 10:
            return
        window = min(window, end)
        mic = self._mic.read(end - window, end)
        ref = self._ref.read(end - window - self._max_delay, end)
        if float(np.mean(mic**2)) < 1e-9:
            return
        block_power = np.mean(ref[: ref.shape[0] // FRAME * FRAME].reshape(-1, FRAME) ** 2, axis=1)
        if np.count_nonzero(block_power > self._active_power) * FRAME < s.min_reference_ms * RATE / 1000:
            return  # too little reply audio in the window to trust a correlation
        k, z = correlation_peak(mic, ref, self._max_delay)
        if z < s.min_peak_z:
            # No echo found although enough was played: if the mic stayed at its noise floor
            # meanwhile, nothing we play reaches it.
            if self.delay is None and self._noise is not None:
                mic_blocks = np.mean(mic[: mic.shape[0] // FRAME * FRAME].reshape(-1, FRAME) ** 2, axis=1)
                quiet = np.count_nonzero(mic_blocks < self._noise * 10 ** (s.noise_margin_db / 10))
                if quiet >= 0.9 * mic_blocks.shape[0]:
                    self.echo_free = True  # until an echo is actually found
            return
        self.echo_free = False
        path = echo_path_at(mic, ref, k, self._max_delay)
        if path is None:
            return
        if self.delay is not None and abs(path.delay - self.delay) <= self._pre // 2:
            self._echo_gain = 0.5 * (self._echo_gain + path.power_gain)
        else:
            self._echo_gain = path.power_gain
        self._accept_delay(path.delay, path.gain, end, window)

    def _accept_delay(self, delay: int, gain: float, end: int, window: int) -> None:
        if self.delay is not None and abs(delay - self.delay) <= self._pre // 2:
            self._pending_delay = None
            return
        # A changed path must be seen twice before the converged filter is thrown away.
        if self.delay is not None and (
            self._pending_delay is None or abs(delay - self._pending_delay) > self._pre // 2
        ):
            self._pending_delay = delay
            return
        self.delay, self.gain = delay, gain
        self._pending_delay = None
        ratio = self._path.fit(self._mic.read(end - window, end), end - window, delay, self.pos)
        self._echo_env = 0.0  # the fit is a fresh filter
        self._residual_ratio = float(np.clip(2.0 * ratio, 1e-3, 1.0))
