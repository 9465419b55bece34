"""alsa-lib's own stderr messages routed to the debug log, and counted.

alsa-lib prints to stderr ("ALSA lib pcm.c:...:(snd_pcm_recover) underrun occurred", device probing
at start), which would break into the client's display. Its error handler is process-wide, so one
instance, :data:`alsa_log`, serves the whole process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

_ALSA_ERROR = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)


class AlsaLog:
    """alsa-lib's error handler: messages go to the debug log instead of stderr, and are counted.

    The handler is process-wide in alsa-lib, so its ctypes callback lives as long as the process.
    """

    def __init__(self) -> None:
        self.installed = False
        self.messages = 0
        self.xruns = 0
        """Under- and overruns alsa-lib recovered from."""
        self._callback = _ALSA_ERROR(self._on_error)

    def install(self) -> bool:
        """Install the handler (once); False where there is no alsa-lib (not Linux)."""
        if self.installed:
            return True
        name = ctypes.util.find_library("asound")
        if name is None:
            return False
        try:
            ctypes.CDLL(name).snd_lib_error_set_handler(self._callback)
        except (OSError, AttributeError) as exc:
            log.debug("cannot route ALSA messages: %s", exc)
            return False
        self.installed = True
        return True

    def _on_error(self, file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None) -> None:
        # Only the fixed arguments: the format's own arguments are C varargs ctypes cannot read.
        self.messages += 1
        if function == b"snd_pcm_recover":
            self.xruns += 1
        log.debug(
            "ALSA %s:%d (%s) %s",
            (file or b"").decode(errors="replace"),
            line,
            (function or b"").decode(errors="replace"),
            (fmt or b"").decode(errors="replace"),
        )


alsa_log = AlsaLog()
"""The process's one handler (install it before anything opens an ALSA device)."""
