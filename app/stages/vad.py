"""webrtcvad adapter. One instance per session: the detector keeps state between frames."""

from __future__ import annotations

import numpy as np
import webrtcvad

from app.audio import INPUT_SAMPLE_RATE


class WebRtcVad:
    """Voice activity detection on 20 ms frames of 16 kHz int16 audio (microseconds per frame)."""

    def __init__(self, aggressiveness: int = 2) -> None:
        """``aggressiveness``: 0 (permissive) to 3 (strict)."""
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: np.ndarray) -> bool:
        return bool(self._vad.is_speech(frame.astype("<i2", copy=False).tobytes(), INPUT_SAMPLE_RATE))
