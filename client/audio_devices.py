"""The audio devices PortAudio sees: lookup by index or name, their rates, and a readable list.

``sounddevice`` is imported lazily, after alsa-lib's messages are routed to the log (its import
probes every device), and PortAudio's errors become :class:`AudioDeviceError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from client.alsa_messages import alsa_log


class AudioDeviceError(OSError):
    """No usable audio device, or PortAudio refused a stream."""


def load_sounddevice():
    """``sounddevice``, imported after ALSA's messages are routed (its import probes every device)."""
    alsa_log.install()
    import sounddevice

    return sounddevice


@contextlib.contextmanager
def portaudio_errors() -> Iterator[None]:
    """PortAudio's errors (and its ValueErrors for bad settings) raised as :class:`AudioDeviceError`."""
    sd = load_sounddevice()

    try:
        yield
    except (sd.PortAudioError, ValueError) as exc:
        raise AudioDeviceError(str(exc)) from exc


def parse_device(spec: str | None) -> int | str | None:
    """``--input-device``/``--output-device``: an index, or (part of) a device name."""
    if spec is None or spec == "":
        return None
    return int(spec) if spec.strip().isdigit() else spec


def list_devices() -> str:
    """A readable table of the audio devices PortAudio sees, defaults marked."""
    sd = load_sounddevice()

    with portaudio_errors():
        devices = sd.query_devices()
    default_in, default_out = sd.default.device
    lines = ["  #  in out  rate    name"]
    for i, d in enumerate(devices):
        mark = ("<" if i == default_in else " ") + (">" if i == default_out else " ")
        lines.append(
            f"{mark}{i:2d} {d['max_input_channels']:3d} {d['max_output_channels']:3d} "
            f"{int(d['default_samplerate']):6d}  {d['name']}"
        )
    lines.append("(< default input, > default output)")
    return "\n".join(lines)


def input_rate(device: int | str | None) -> int:
    """The input device's native (default) sample rate (Hz)."""
    sd = load_sounddevice()

    with portaudio_errors():
        return int(sd.query_devices(device, "input")["default_samplerate"])


def output_rate(device: int | str | None, wanted: int) -> int:
    """``wanted`` (Hz) if the output device plays it, else the device's native rate."""
    sd = load_sounddevice()

    try:
        sd.check_output_settings(device=device, samplerate=wanted, channels=1, dtype="float32")
        return wanted
    except Exception:  # PortAudio reports an unsupported rate in several ways
        with portaudio_errors():
            return int(sd.query_devices(device, "output")["default_samplerate"])
