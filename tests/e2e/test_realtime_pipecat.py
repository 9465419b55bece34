"""End-to-end: Pipecat's ``OpenAIRealtimeLLMService`` against a real node (real models, real
recordings, a static token), its reply audio transcribed back with the node's Whisper.

The pipeline is the smallest one that needs no audio device: a microphone stand-in that plays a
recording as a transport's input would (20 ms ``InputAudioRawFrame``s at real-time pace, 16 kHz),
the service (``base_url`` at the node's ``/v1/realtime``, server VAD: the node's endpointing), and
a speaker stand-in that keeps what the service sends on (``TTSAudioRawFrame``s at 24 kHz, the
``TTSTextFrame``s of the spoken text).
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
import pytest
import soundfile
import soxr
from loguru import logger

from tests.conftest import ServerProcess
from tests.e2e.realtime_clients import (
    JFK_PHRASE,
    TOKEN,
    heard,
    intelligible,
    normalize,
    realtime_node,
    spoken_question,
)

# Pipecat logs every frame at DEBUG, and a banner at INFO on import, to stderr through loguru's
# default handler: warnings and errors are enough here (nothing else in the project uses loguru).
logger.remove()
logger.add(lambda message: sys.stderr.write(message), level="WARNING")
with warnings.catch_warnings():
    # pipecat.audio.utils imports audioop (deprecated since Python 3.11, gone in 3.13): Pipecat's
    # warning, raised once on import, where the module's filterwarnings mark does not reach.
    warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
    from pipecat.frames.frames import (
        EndFrame,
        ErrorFrame,
        Frame,
        InputAudioRawFrame,
        LLMFullResponseEndFrame,
        LLMFullResponseStartFrame,
        StartFrame,
        TranscriptionFrame,
        TTSAudioRawFrame,
        TTSTextFrame,
    )
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker
    from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
    from pipecat.services.openai.realtime.llm import OpenAIRealtimeLLMService
    from pipecat.workers.runner import WorkerRunner

pytestmark = pytest.mark.e2e
MIC_RATE = 16_000  # what a Pipecat transport's input gives by default (PipelineParams.audio_in_sample_rate)
REPLY_RATE = 24_000  # the Realtime protocol's PCM rate: the service's TTSAudioRawFrames
FRAME = MIC_RATE // 50  # 20 ms


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Any:
    yield from realtime_node(tmp_path_factory, "pipecat")


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_question(tmp_path_factory)


def microphone_audio(path: Path, silence_s: float = 2.0) -> np.ndarray:
    """A recording as the 16 kHz PCM16 a transport would capture, then ``silence_s`` of silence."""
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    pcm = (np.clip(soxr.resample(audio.mean(axis=1), rate, MIC_RATE), -1, 1) * 32767).astype(np.int16)
    return np.concatenate([pcm, np.zeros(int(silence_s * MIC_RATE), dtype=np.int16)])


class Microphone(FrameProcessor):
    """Plays a recording into the pipeline as a transport's input does: 20 ms frames at real-time
    pace from the StartFrame on. Keeps the user's words the service sends upstream."""

    def __init__(self, pcm: np.ndarray) -> None:
        super().__init__()
        self._pcm = pcm
        self.user_words: list[str] = []
        self.finished = asyncio.Event()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TranscriptionFrame):
            self.user_words.append(frame.text)
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame):
            self.create_task(self._play())

    async def _play(self) -> None:
        start = time.monotonic()
        for i, offset in enumerate(range(0, self._pcm.shape[0], FRAME)):
            chunk = self._pcm[offset : offset + FRAME]
            await self.push_frame(InputAudioRawFrame(audio=chunk.tobytes(), sample_rate=MIC_RATE, num_channels=1))
            await asyncio.sleep(max(0.0, start + (i + 1) * FRAME / MIC_RATE - time.monotonic()))
        self.finished.set()


@dataclass
class Reply:
    """One response as the service pushed it: between LLMFullResponseStart and End frames."""

    text: str = ""
    audio: bytearray = field(default_factory=bytearray)
    ended: bool = False


class Speaker(FrameProcessor):
    """Keeps the replies the service sends downstream."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: list[Reply] = []
        self.changed = asyncio.Event()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMFullResponseStartFrame):
            self.replies.append(Reply())
        elif isinstance(frame, TTSTextFrame) and self.replies:
            self.replies[-1].text += frame.text
        elif isinstance(frame, TTSAudioRawFrame):
            assert (frame.sample_rate, frame.num_channels) == (REPLY_RATE, 1), frame
            self.replies[-1].audio += frame.audio
        elif isinstance(frame, LLMFullResponseEndFrame) and self.replies:
            self.replies[-1].ended = True
            self.changed.set()
        await self.push_frame(frame, direction)


@dataclass
class Conversation:
    user_words: list[str]
    replies: list[Reply]
    errors: list[ErrorFrame]


async def converse(node: ServerProcess, pcm: np.ndarray, timeout_s: float = 40.0) -> Conversation:
    """Run the pipeline while ``pcm`` (16 kHz) plays, until the node completed a spoken reply."""
    mic, speaker = Microphone(pcm), Speaker()
    service = OpenAIRealtimeLLMService(api_key=TOKEN, base_url=f"{node.url}/v1/realtime")
    completed: list[str] = []  # the assistant items the node said it completed

    @service.event_handler("on_conversation_item_updated")
    async def _item_updated(_service: Any, item_id: str, item: Any) -> None:
        if item is not None and item.role == "assistant" and item.status == "completed":
            completed.append(item_id)

    worker = PipelineWorker(
        Pipeline([mic, service, speaker]),
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

    async def replied() -> None:  # a completed item, and the response it ended (a pause may cut a turn first)
        while not errors and not (completed and speaker.replies and speaker.replies[-1].ended):
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


def test_pipecat_streams_a_recording_and_hears_a_spoken_reply(node: ServerProcess, jfk: Path) -> None:
    talk = asyncio.run(converse(node, microphone_audio(jfk)))
    assert not talk.errors, talk.errors
    assert any(JFK_PHRASE in normalize(words) for words in talk.user_words), talk.user_words
    reply = talk.replies[-1]
    assert reply.text.strip() and len(reply.audio) > REPLY_RATE, reply.text  # at least half a second of speech
    spoken = heard(np.frombuffer(bytes(reply.audio), dtype="<i2"), REPLY_RATE)
    assert intelligible(reply.text, spoken) >= 0.5, f"reply {reply.text!r} but the audio says {spoken!r}"


def test_pipecat_answers_a_spoken_question(node: ServerProcess, question: Path) -> None:
    talk = asyncio.run(converse(node, microphone_audio(question)))
    assert not talk.errors, talk.errors
    assert any("tokyo" in normalize(words) for words in talk.user_words), talk.user_words
    reply = talk.replies[-1]
    spoken = heard(np.frombuffer(bytes(reply.audio), dtype="<i2"), REPLY_RATE)
    assert "tokyo" in normalize(reply.text), reply.text  # the clock tool's answer: "It's 3:31 AM ... in Tokyo."
    assert "tokyo" in normalize(spoken) and intelligible(reply.text, spoken) >= 0.5, (reply.text, spoken)
