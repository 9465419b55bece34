"""What the Realtime end-to-end tests share: the node's token, recordings as a Realtime client
sends them (24 kHz PCM16), the reply audio heard back by the node's own Whisper, and the
conversation the node stored (read over the native protocol)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import soundfile
import soxr
from websockets.asyncio.client import connect

from app.models import DEFAULT_MODELS_DIR
from app.stages.stt import WhisperStt
from tests.conftest import ServerProcess

TOKEN = "realtime-test-token-0123456789"
JFK_PHRASE = "ask not what your country can do for you"
RATE = 24_000


def normalize(text: str) -> str:
    return " ".join(re.findall(r"[a-z']+", text.lower()))


def recording(path: Path) -> np.ndarray:
    """A recording as 24 kHz PCM16, what a Realtime client sends."""
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    return (np.clip(soxr.resample(audio.mean(axis=1), rate, RATE), -1, 1) * 32767).astype(np.int16)


def heard(pcm: np.ndarray, rate: int) -> str:
    """What the node's own Whisper hears in reply audio (int16 at ``rate``)."""
    audio16 = soxr.resample(pcm.astype(np.float32), rate, 16_000).astype(np.int16)
    return WhisperStt(DEFAULT_MODELS_DIR / "stt" / "tiny.en").transcribe(audio16, window_s=None).text


def intelligible(transcript: str, audio_text: str) -> float:
    expected = set(normalize(transcript).split())
    return len(expected & set(normalize(audio_text).split())) / max(1, len(expected))


async def stored_history(node: ServerProcess, session_id: str) -> list[dict[str, str]]:
    """The conversation the node keeps for ``session_id``, read over the native protocol."""
    async with connect(node.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(json.dumps({"type": "hello", "protocol": 1, "sample_rate": 16000, "session_id": session_id}))
        while json.loads(await ws.recv())["type"] != "ready":
            pass
        await ws.send(json.dumps({"type": "get_history"}))
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "history":
                return message["messages"]
