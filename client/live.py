"""Live mode: hands-free conversation on the microphone and speakers.

Orchestration only: the audio streams (:mod:`client.audio_io`), the mic path with echo suppression
and barge-in detection (:mod:`client.mic_pipeline`), the playback jitter buffer
(:mod:`client.jitter`) and the display (:mod:`client.ui`) do the work. Here the devices are wired
to the two loops and torn down at the end: the session loop (:mod:`client.live_session`), which
re-opens the connection with exponential backoff when it drops (:mod:`client.reconnect`), and the
mic loop (:mod:`client.live_mic`). Ctrl-C (or SIGTERM) closes everything and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from pathlib import Path

import numpy as np

from client.alsa_messages import alsa_log
from client.audio_files import write_wav
from client.audio_io import AudioIO
from client.bargein import BargeInSettings
from client.live_config import LiveConfig
from client.live_mic import MicLoop
from client.live_session import SessionLoop
from client.mic_pipeline import MicPipeline
from client.ptt import watch_enter

__all__ = ["LiveClient", "LiveConfig", "run_live"]


class LiveClient(SessionLoop, MicLoop):
    """One run of ``python -m client`` in live mode: the devices wired to the session and mic loops."""

    async def run(self) -> int:
        """Open the devices, run both loops until Ctrl-C (or a fatal error), close everything.

        Returns the exit status: 0, or 2 after a fatal error (bad URL, session taken over).
        """
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._stop.set)

        def on_mic(block: np.ndarray) -> None:  # PortAudio thread
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(self._mic_queue.put_nowait, (block, time.monotonic()))

        cfg = self.config
        self.audio = AudioIO(cfg.input_device, cfg.output_device, on_mic=on_mic, prebuffer_ms=cfg.prebuffer_ms)
        self.pipeline = MicPipeline(
            self.audio.in_rate,
            barge_in=BargeInSettings(min_voiced_ms=cfg.barge_in_min_ms, pause_voiced_ms=cfg.barge_in_pause_ms),
            echo_enabled=cfg.echo_cancel,
        )
        if cfg.dump_audio is not None:
            self.pipeline.start_recording()
        self.ui.view.mode = "push-to-talk (Enter toggles)" if self.ptt else "open mic"
        self.ui.start()
        tasks: list[asyncio.Task] = []
        try:
            self.audio.start_input()
            if self.ptt is not None:
                self._keys = watch_enter(lambda: loop.call_soon_threadsafe(self._ptt_toggle))
            tasks = [
                asyncio.create_task(self._mic_loop(), name="mic"),
                asyncio.create_task(self._connection_loop(), name="connection"),
            ]
            stopper = asyncio.create_task(self._stop.wait())
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            for task in done:
                if task is not stopper and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.state is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.state.session.close(), 2.0)
            if self._keys is not None:
                self._keys.stop()  # its thread outlives us, blocked in readline: let go of the client
            if cfg.verbose:
                self._summary()
            self.audio.close()
            if cfg.dump_audio is not None:
                self.pipeline.dump(str(cfg.dump_audio))
            self.pipeline.close()
            if self._tap is not None:
                self._tap.close()
            self.ui.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
            if cfg.output_wav is not None and self.recorded and self.audio.reply_rate:
                write_wav(cfg.output_wav, np.concatenate(self.recorded), self.audio.reply_rate)
        if self._fatal:
            return 2
        return 0

    def _summary(self) -> None:
        assert self.pipeline is not None and self.audio is not None
        echo = self.pipeline.echo
        delay = f"{echo.delay / 16:.0f}" if echo.delay is not None else "unknown"
        underruns = self.audio.jitter.underruns if self.audio.jitter else 0
        self.ui.info(
            f"stats: barge_ins={len(self.barge_ins)} underruns={underruns} "
            f"device_underflows={self.audio.output_underflows} echo_delay_ms={delay} "
            f"echo_erle_db={echo.erle_db:.1f} echo_gated_frames={echo.frames_gated} "
            f"mic_lag_max_ms={self.mic_lag_max_ms:.0f} proc_max_ms={self.proc_max_ms:.0f} "
            f"output_latency_ms={self.audio.output_latency_ms:.0f} "
            f"reference_lead_ms={echo.reference_lead_ms:.0f} input_overflows={self.audio.input_overflows} "
            f"timeline_relocks={self._tap.relocks if self._tap else 0} alsa_xruns={alsa_log.xruns}"
        )


async def run_live(url: str, *, output_wav: Path | None = None, config: LiveConfig | None = None) -> int:
    """Hands-free conversation on the chosen devices until Ctrl-C; returns the exit status."""
    cfg = config or LiveConfig(url=url, output_wav=output_wav)
    return await LiveClient(cfg).run()
