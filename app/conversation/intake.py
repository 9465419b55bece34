"""Client audio in: held to real-time pace, regrouped into the 20 ms frames the VAD needs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from app import protocol as p
from app.audio import FRAME_SAMPLES, INPUT_FORMAT
from app.config import EndpointSettings
from app.conversation.rate_limit import TokenBucket


class AudioIntake:
    """Validates binary frames of any even size and yields whole 20 ms frames of int16 samples."""

    def __init__(self, endpoint: EndpointSettings) -> None:
        self._max_lead_ms = endpoint.max_audio_lead_ms
        self._pending = np.zeros(0, dtype=np.int16)
        self._stream_start: float | None = None
        """Wall-clock time of the first audio frame, to hold the client to real-time pace."""
        self._received_samples = 0
        self._frames = TokenBucket(endpoint.max_frames_per_s, endpoint.max_frames_per_s)
        """Frame count: refills at max_frames_per_s, holds one second's worth."""

    def frames(self, data: bytes, now: float) -> Iterator[np.ndarray]:
        """The whole 20 ms frames completed by ``data`` (received at monotonic time ``now``, in s).

        Raises ProtocolError for a bad frame or a client far ahead of real time, before any frame
        is yielded.
        """
        samples = p.decode_client_audio(data)
        self._check_rate(samples.shape[0], now)
        buffered = np.concatenate([self._pending, samples]) if self._pending.size else samples
        whole = buffered.shape[0] - buffered.shape[0] % FRAME_SAMPLES
        self._pending = buffered[whole:].copy()
        for start in range(0, whole, FRAME_SAMPLES):
            yield buffered[start : start + FRAME_SAMPLES]

    def _check_rate(self, samples: int, now: float) -> None:
        """A microphone delivers audio in real time. A client far ahead of real time, or sending
        floods of tiny frames, is misbehaving: it would make the node do unbounded work."""
        if self._stream_start is None:
            self._stream_start = now
        self._received_samples += samples
        lead_ms = INPUT_FORMAT.samples_to_ms(self._received_samples) - 1000.0 * (now - self._stream_start)
        if not self._frames.take(now) or lead_ms > self._max_lead_ms:
            raise p.ProtocolError(
                p.ErrorCode.RATE_LIMITED,
                "audio must be streamed in real time (20 ms frames, 16 kHz)",
                p.CloseCode.POLICY_VIOLATION,
            )
