"""The benchmark's microphone and ears on ``/v1/realtime`` (OpenAI's Realtime protocol).

:class:`RealtimeLink` has the surface :class:`~client.benchmark.session.BenchSession` uses of a
native ``ClientSession`` (``send_audio``, ``events``, ``close``), so the same sender, clips,
marks and accounting run over either protocol. Audio goes out as one
``input_audio_buffer.append`` of 24 kHz PCM per 20 ms frame (soxr's quick streaming resampler:
about 0.1 ms held back, where its better qualities hold 6-56 ms, which would count against the
protocol); the node's server VAD ends turns. What comes back is read as a third-party Realtime
client reads it, and :class:`RealtimeEvents` turns it into the native messages the accounting
already knows, with turn numbers of its own: a user item is a turn, a response belongs to the
user turn transcribed last before it (the node starts a response at its turn's transcript), and
the first ``response.output_audio.delta`` of that response stops the clock.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import soxr
from websockets.asyncio.client import ClientConnection, connect

from app import protocol as p
from client.connection import AudioIn, NoNode

log = logging.getLogger(__name__)

PATH = "/v1/realtime"
RATE = 24_000
SESSION = {
    "type": "realtime",
    "audio": {
        "input": {"format": {"type": "audio/pcm", "rate": RATE}, "turn_detection": {"type": "server_vad"}},
        "output": {"format": {"type": "audio/pcm", "rate": RATE}},
    },
}
"""What the benchmark asks for (the node's defaults, said out loud as a client would)."""
_NO_SAMPLES = np.zeros(0, dtype=np.int16)


def realtime_url(url: str, model: str = "edge-benchmark") -> str:
    """``/v1/realtime`` on the node of a native URL (``ws://host:port[/path]``)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{PATH}?model={model}"


class RealtimeEvents:
    """Realtime server events in, the native messages the benchmark's accounting reads out."""

    def __init__(self) -> None:
        self._turns: dict[str, int] = {}
        self._responses: dict[str, int] = {}
        self._transcripts: dict[str, str] = {}
        self._last_heard: int | None = None
        """The user turn whose transcript (with words) came last: the next response answers it."""
        self._replaced: int | None = None
        self._seq: dict[str, int] = {}

    def _turn(self, item_id: str) -> int:
        return self._turns.setdefault(item_id, len(self._turns) + 1)

    def translate(self, event: dict[str, Any]) -> list[p.Message | AudioIn]:
        """The native messages one Realtime server event stands for (often none)."""
        kind = event.get("type")
        if kind == "input_audio_buffer.speech_started":
            return [p.SpeechStarted(at_ms=float(event.get("audio_start_ms", 0)))]
        if kind == "input_audio_buffer.speech_stopped":
            return [p.SpeechStopped(at_ms=float(event["audio_end_ms"]), turn_id=self._turn(event["item_id"]))]
        if kind == "conversation.item.deleted" and event.get("item_id") in self._turns:
            self._replaced = self._turns[event["item_id"]]  # the user only paused: merged into the next turn
            return []
        if kind == "conversation.item.input_audio_transcription.completed":
            turn, text = self._turn(event["item_id"]), str(event.get("transcript", ""))
            replaced, self._replaced = self._replaced, None
            if text:
                self._last_heard = turn
            return [p.Transcript(turn_id=turn, text=text, replaces_turn=replaced)]
        if kind == "response.created":
            response_id = event["response"]["id"]
            self._responses[response_id] = self._last_heard if self._last_heard is not None else 0
            return []
        if kind == "response.output_audio.delta":
            turn = self._responses.get(event.get("response_id", ""))
            if turn is None:
                return []
            seq = self._seq[event["response_id"]] = self._seq.get(event["response_id"], -1) + 1
            return [AudioIn(turn, seq, _NO_SAMPLES)]  # only when it came counts, not the samples
        if kind == "response.output_audio_transcript.delta":
            self._transcripts[event["response_id"]] = self._transcripts.get(event["response_id"], "") + event["delta"]
            return []
        if kind == "response.done":
            return self._done(event["response"])
        if kind == "error":
            error = event.get("error") or {}
            return [p.Error(code=str(error.get("code")), message=str(error.get("message", "")))]
        return []

    def _done(self, response: dict[str, Any]) -> list[p.Message | AudioIn]:
        turn = self._responses.get(response.get("id", ""))
        if turn is None:
            return []
        text = self._transcripts.pop(response["id"], "").strip()
        interrupted = response.get("status") == "cancelled"
        truncated = response.get("status") == "incomplete"
        # The protocol has no stage timings: an empty turn_timing says, as natively, that the turn is over.
        return [p.ReplyDone(turn_id=turn, text=text, interrupted=interrupted, truncated=truncated),
                p.TurnTiming(turn_id=turn)]


class RealtimeLink:
    """An open ``/v1/realtime`` session streaming 24 kHz PCM; use :meth:`open`."""

    has_history = False
    """The protocol cannot fetch the stored conversation (``get_history``)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._resampler = soxr.ResampleStream(16_000, RATE, 1, dtype="int16", quality="QQ")

    @classmethod
    async def open(cls, url: str, *, open_timeout_s: float = 30.0) -> RealtimeLink:
        """Connect to the node of ``url`` (a native URL), configure the session and wait for
        ``session.updated``; raises ConnectionError (:class:`NoNode` when nothing answers)."""
        target = realtime_url(url)
        try:
            ws = await connect(target, max_size=2**22, compression=None, open_timeout=open_timeout_s)
        except OSError as exc:
            raise NoNode(target, exc) from exc
        created = json.loads(await ws.recv())
        if created.get("type") != "session.created":
            await ws.close()
            raise ConnectionError(f"the node refused the session: {json.dumps(created)[:300]}")
        await ws.send(json.dumps({"type": "session.update", "session": SESSION}))
        updated = json.loads(await ws.recv())
        if updated.get("type") != "session.updated":
            await ws.close()
            raise ConnectionError(f"session.update refused: {json.dumps(updated)[:300]}")
        return cls(ws)

    async def send_audio(self, samples: np.ndarray) -> None:
        """Send int16 16 kHz mono samples as one append of 24 kHz PCM."""
        pcm = self._resampler.resample_chunk(samples.astype(np.int16, copy=False))
        audio = base64.b64encode(pcm.astype("<i2", copy=False).tobytes()).decode()
        await self.ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))

    async def send(self, message: p.Message) -> None:
        """The native control messages have no Realtime form the benchmark needs."""
        raise NotImplementedError(f"{message.type} has no Realtime equivalent here")

    async def events(self) -> AsyncIterator[p.Message | AudioIn]:
        """The server's events as native messages, in arrival order, until the connection closes."""
        events = RealtimeEvents()
        async for raw in self.ws:
            try:
                event = json.loads(raw)
                messages = events.translate(event)
            except (ValueError, KeyError, TypeError) as exc:  # not the protocol: say so, go on
                log.warning("unreadable Realtime event (%s)", exc.__class__.__name__)  # never its text
                continue
            for message in messages:
                yield message

    async def close(self) -> None:
        await self.ws.close()
