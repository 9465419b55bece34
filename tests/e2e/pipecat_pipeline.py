"""A Pipecat pipeline around ``OpenAIRealtimeLLMService`` that needs no audio device, for the
end-to-end tests against a real node (``test_realtime_pipecat.py``).

A microphone stand-in plays recordings as a transport's input would (20 ms ``InputAudioRawFrame``s
at real-time pace, 16 kHz); the service (``base_url`` at the node's ``/v1/realtime``, server VAD:
the node's endpointing); a speaker stand-in keeps what the service sends on (``TTSAudioRawFrame``s
at 24 kHz, the ``TTSTextFrame``s of the spoken text) and says when a reply has played out.

Importing it configures loguru (Pipecat's logger) to print warnings and errors only.
"""

from __future__ import annotations

import asyncio
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import soxr
from loguru import logger

from tests.conftest import ServerProcess
from tests.e2e.realtime_clients import TOKEN

# Pipecat logs every frame at DEBUG, and a banner at INFO on import, to stderr through loguru's
# default handler: warnings and errors are enough here (nothing else in the project uses loguru).
logger.remove()
logger.add(lambda message: sys.stderr.write(message), level="WARNING")
with warnings.catch_warnings():
    # pipecat.audio.utils imports audioop (deprecated since Python 3.11, gone in 3.13): Pipecat's
    # warning, raised once on import (at collection, where no filterwarnings mark reaches).
    warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
    from pipecat.frames.frames import (
        BotStoppedSpeakingFrame,
        EndFrame,
        ErrorFrame,
        Frame,
        InputAudioRawFrame,
        LLMFullResponseEndFrame,
        LLMFullResponseStartFrame,
        LLMRunFrame,
        StartFrame,
        TranscriptionFrame,
        TTSAudioRawFrame,
        TTSTextFrame,
    )
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
    from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
    from pipecat.services.openai.realtime import events as realtime_events
    from pipecat.services.openai.realtime.llm import OpenAIRealtimeLLMService
    from pipecat.workers.runner import WorkerRunner

__all__ = [
    "MIC_RATE",
    "REPLY_RATE",
    "Conversation",
    "LLMContext",
    "Microphone",
    "Reply",
    "Speaker",
    "converse",
    "microphone_audio",
    "realtime_events",
]
MIC_RATE = 16_000  # what a Pipecat transport's input gives by default (PipelineParams.audio_in_sample_rate)
REPLY_RATE = 24_000  # the Realtime protocol's PCM rate: the service's TTSAudioRawFrames
FRAME = MIC_RATE // 50  # 20 ms


def microphone_audio(path: Path, silence_s: float = 2.0) -> np.ndarray:
    """A recording as the 16 kHz PCM16 a transport would capture, then ``silence_s`` of silence."""
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    pcm = (np.clip(soxr.resample(audio.mean(axis=1), rate, MIC_RATE), -1, 1) * 32767).astype(np.int16)
    return np.concatenate([pcm, np.zeros(int(silence_s * MIC_RATE), dtype=np.int16)])


Cue = tuple[asyncio.Event, float, np.ndarray]
"""Play the recording (16 kHz) when the event is set, after that many seconds more of silence."""


class Microphone(FrameProcessor):
    """Plays a recording into the pipeline as a transport's input does: 20 ms frames at real-time
    pace from the StartFrame on; then silence until each ``cue`` in turn, and its recording.
    Keeps the user's words the service sends upstream."""

    def __init__(self, pcm: np.ndarray, *cues: Cue) -> None:
        super().__init__()
        self._pcm, self._cues = pcm, cues
        self._sent = 0  # frames sent: the stream's clock
        self.user_words: list[str] = []
        self.finished = asyncio.Event()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TranscriptionFrame):
            self.user_words.append(frame.text)
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame):
            self.create_task(self._play())

    async def _send(self, pcm: np.ndarray, start: float) -> None:
        for offset in range(0, pcm.shape[0], FRAME):
            chunk = pcm[offset : offset + FRAME]
            await self.push_frame(InputAudioRawFrame(audio=chunk.tobytes(), sample_rate=MIC_RATE, num_channels=1))
            self._sent += 1
            await asyncio.sleep(max(0.0, start + self._sent * FRAME / MIC_RATE - time.monotonic()))

    async def _play(self) -> None:
        start = time.monotonic()
        await self._send(self._pcm, start)
        for cue, delay_s, pcm in self._cues:
            while not cue.is_set():  # a microphone never stops: silence until the cue
                await self._send(np.zeros(FRAME, dtype=np.int16), start)
            await self._send(np.zeros(int(delay_s * MIC_RATE), dtype=np.int16), start)
            await self._send(pcm, start)
        self.finished.set()


@dataclass
class Reply:
    """One response as the service pushed it: between LLMFullResponseStart and End frames."""

    text: str = ""
    audio: bytearray = field(default_factory=bytearray)
    started: float | None = None  # when its first audio came (monotonic s)
    ended: bool = False


class Speaker(FrameProcessor):
    """Keeps the replies the service sends downstream, and tells the service when one has played
    out at its real-time length (``BotStoppedSpeakingFrame`` upstream, as an output transport)."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: list[Reply] = []
        self.changed = asyncio.Event()
        self.speaking = asyncio.Event()  # the first reply's audio came
        self.played = asyncio.Event()  # the first reply played out
        self._playing: list[asyncio.Task[None]] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMFullResponseStartFrame):
            if not self.replies or self.replies[-1] != Reply():  # the service starts a response it asks for twice
                self.replies.append(Reply())
        elif isinstance(frame, TTSTextFrame) and self.replies:
            self.replies[-1].text += frame.text
        elif isinstance(frame, TTSAudioRawFrame):
            assert (frame.sample_rate, frame.num_channels) == (REPLY_RATE, 1), frame
            reply = self.replies[-1]
            reply.started = reply.started or time.monotonic()
            reply.audio += frame.audio
            self.speaking.set()
        elif isinstance(frame, LLMFullResponseEndFrame) and self.replies:
            self.replies[-1].ended = True
            self._playing.append(self.create_task(self._play_out(self.replies[-1])))
            self.changed.set()
        elif isinstance(frame, EndFrame):
            for task in self._playing:
                await self.cancel_task(task)
        await self.push_frame(frame, direction)

    async def _play_out(self, reply: Reply) -> None:
        if reply.started is not None:
            await asyncio.sleep(max(0.0, reply.started + len(reply.audio) / (2 * REPLY_RATE) - time.monotonic()))
            await self.push_frame(BotStoppedSpeakingFrame(), FrameDirection.UPSTREAM)
        self.played.set()


@dataclass
class Conversation:
    user_words: list[str]
    replies: list[Reply]
    errors: list[ErrorFrame]


async def converse(
    node: ServerProcess,
    mic: Microphone,
    speaker: Speaker,
    *,
    replies: int = 1,
    context: LLMContext | None = None,
    instructions: str | None = None,
    timeout_s: float = 40.0,
) -> Conversation:
    """Run the pipeline while ``mic`` plays, until the node completed ``replies`` spoken replies.
    With ``context``, Pipecat's context aggregators sit around the service and an ``LLMRunFrame``
    starts the conversation, as in Pipecat's examples."""
    settings = OpenAIRealtimeLLMService.Settings(system_instruction=instructions) if instructions else None
    service = OpenAIRealtimeLLMService(api_key=TOKEN, base_url=f"{node.url}/v1/realtime", settings=settings)
    completed: list[str] = []  # the assistant items the node said it completed

    @service.event_handler("on_conversation_item_updated")
    async def _item_updated(_service: Any, item_id: str, item: Any) -> None:
        if item is not None and item.role == "assistant" and item.status == "completed" and item_id not in completed:
            completed.append(item_id)

    processors: list[FrameProcessor] = [mic, service, speaker]
    if context is not None:
        pair = LLMContextAggregatorPair(context)
        processors = [mic, pair.user(), service, speaker, pair.assistant()]
    worker = PipelineWorker(
        Pipeline(processors),
        params=PipelineParams(audio_in_sample_rate=MIC_RATE, audio_out_sample_rate=REPLY_RATE),
        enable_rtvi=False,  # no client UI to report to
    )
    errors: list[ErrorFrame] = []

    @worker.event_handler("on_pipeline_error")
    async def _error(_worker: Any, frame: ErrorFrame) -> None:
        errors.append(frame)
        speaker.changed.set()

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    running = asyncio.create_task(runner.run())
    if context is not None:  # as Pipecat's examples start a conversation: the model answers the context
        await worker.queue_frames([LLMRunFrame()])

    async def replied() -> None:  # a pause may cut a turn first: only completed items count
        while not errors and not (len(completed) >= replies and speaker.replies and speaker.replies[-1].ended):
            speaker.changed.clear()
            await speaker.changed.wait()

    try:
        await asyncio.wait_for(asyncio.gather(replied(), mic.finished.wait()), timeout_s)
    except TimeoutError:
        raise AssertionError(f"no completed reply in {timeout_s} s: {mic.user_words=}, {speaker.replies=}") from None
    finally:
        await worker.queue_frame(EndFrame())
        await asyncio.wait_for(running, 20)
    return Conversation(mic.user_words, speaker.replies, errors)
