"""Settings of a live (microphone and speakers) session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LiveConfig:
    """Settings of a live session, built once from the command line."""

    url: str
    """Server websocket URL."""
    input_device: int | str | None = None
    """Microphone (PortAudio index or name); None: the default."""
    output_device: int | str | None = None
    """Speaker (PortAudio index or name); None: the default."""
    push_to_talk: bool = False
    """Enter toggles talking instead of the open mic."""
    plain: bool = False
    """Print plain lines instead of the live dashboard."""
    barge_in_min_ms: int = 200
    """Voiced speech (not echo) over the reply that interrupts it, in ms."""
    barge_in_pause_ms: int | None = None
    """Voiced speech after which the reply is held until confirmed (None: half the minimum)."""
    prebuffer_ms: float = 100.0
    """Reply audio queued before playback starts (and after an underrun), in ms."""
    echo_cancel: bool = True
    """Suppress the speaker's echo in the mic signal (off only for headphones/debugging)."""
    output_wav: Path | None = None
    """Also write all reply audio received to this WAV file."""
    pipeline: str = "fast"
    token: str | None = None
    """API token for the node (sent as ``Authorization: Bearer``)."""
    backoff_min_s: float = 0.5
    """First reconnect delay; doubles up to ``backoff_max_s``."""
    backoff_max_s: float = 8.0
    dump_audio: Path | None = None
    """Debugging: write mic, reference and echo decisions to this .npz at exit."""
    verbose: bool = False
    """Print the developer statistics line (echo path, underruns, mic lag) at exit."""
