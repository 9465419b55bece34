"""Every pause of every clip, with what the server's three judges say about it, for calibration.

The server ends a turn when a pause outlasts a wait set from the transcript, the turn model's
verdict on the voice and the language model's on the words (``app.turn_policy.end_silence_ms``).
Replaying that through a live server measures one policy; calibrating needs every pause, also
those the current policy bridged, with the verdicts and how long the silence really lasted. This
module replays clips through the server's own VAD, noise gate and segmenter in-process, and at
each pause asks the loaded models exactly what a fresh session's turn would ask them. A policy
is then tried on the rows offline (``client.benchmark.endpoint_fit``), in milliseconds, not hours.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

from app.audio import FRAME_SAMPLES, INPUT_SAMPLE_RATE
from app.chat import ChatMessage
from app.config import EndpointSettings, ServerSettings
from app.endpointing import Pause, Resume, Segmenter
from app.engine import Engine
from app.speech_gate import SpeechGate
from app.stages.vad import WebRtcVad
from client.benchmark.clips import Clip
from client.benchmark.noise import NoiseStream, mix

NEVER_MS = 60_000
"""End silence while replaying: no pause ends the utterance, so every pause is seen whole."""
LEAD_S = 1.0
"""Noise before each clip (the gate learns the floor, as between a session's utterances)."""
TAIL_S = 1.5
"""Noise after each clip: longer than any wait a policy sets."""
FINAL_SLACK_MS = 200
"""A pause whose last voiced frame is this close to the clip's acoustic end is the real end."""


@dataclass(frozen=True)
class PauseVerdicts:
    """One pause: where it was, how long it lasted, and the verdicts at its start."""

    clip: str
    voice: str
    set_name: str
    index: int
    """0 for the clip's first pause, 1 for the next..."""
    final: bool
    """True for the pause after the clip's last word (the real end of the turn)."""
    pause_ms: int
    """Silence from the last voiced frame until speech resumed; ``NEVER_MS`` for the final pause."""
    transcript: str
    p_voice: float | None
    """The turn model's P(complete) on the audio so far (None: no turn model)."""
    p_words: float | None
    """The language model's P(the message ends here) (None: it gave no estimate)."""
    stt_ms: float
    voice_ms: float
    words_ms: float
    """How long each verdict took here (one at a time, unlike the server's parallel turn model)."""

    def ready_ms(self, speculate_ms: int) -> float:
        """Silence (ms) after which the server has the transcript and the words' verdict."""
        return speculate_ms + self.stt_ms + self.words_ms


def words_verdict(engine: Engine, system_prompt: str, text: str) -> tuple[float | None, float]:
    """The language model's end-of-message estimate for ``text`` alone, and the ms it took."""
    got: list[float] = []
    cancel = threading.Event()

    def on_estimate(p: float) -> None:
        got.append(p)
        cancel.set()  # the estimate is all we need; stop before the first token is sampled

    started = time.monotonic()
    messages = (ChatMessage("system", system_prompt), ChatMessage("user", text))
    for _ in engine.llm.stream_reply(messages, cancel=cancel, affinity="calibration", end_of_turn=on_estimate):
        if cancel.is_set():
            break
    return (got[0] if got else None), 1000 * (time.monotonic() - started)


def _frames(samples: np.ndarray) -> Iterator[np.ndarray]:
    usable = samples.shape[0] - samples.shape[0] % FRAME_SAMPLES
    yield from samples[:usable].reshape(-1, FRAME_SAMPLES)


def clip_pauses(clip: Clip, engine: Engine, settings: ServerSettings, noise: NoiseStream,
                *, under: bool) -> list[PauseVerdicts]:
    """Replay ``clip`` (noise before and after; ``under``: also under the speech) and judge each pause."""
    endpoint: EndpointSettings = settings.endpoint
    speech = clip.samples.astype(np.int16)
    if under:
        speech = mix(speech, noise.take(speech.shape[0]))
    stream = np.concatenate([noise.take(int(LEAD_S * INPUT_SAMPLE_RATE)), speech,
                             noise.take(int(TAIL_S * INPUT_SAMPLE_RATE))])
    vad, gate, segmenter = WebRtcVad(endpoint.vad_aggressiveness), SpeechGate(endpoint), Segmenter(endpoint)
    resume_samples = round(endpoint.resume_ms / 20) * FRAME_SAMPLES
    lead = int(LEAD_S * INPUT_SAMPLE_RATE)
    # The real end: the first pause after which the clip has no more sound. Speech the VAD
    # hears later is noise (a ghost), not more of the sentence, and is not judged.
    end_of_sound = lead + clip.acoustic_end - FINAL_SLACK_MS * INPUT_SAMPLE_RATE // 1000
    rows: list[dict[str, object]] = []
    for frame in _frames(stream):
        for event in segmenter.push(frame, gate.passes(frame, vad.is_speech(frame))):
            if isinstance(event, Pause):
                segmenter.set_end_silence(NEVER_MS)
                rows.append({**_judge(event, engine, settings), "pause_ms": NEVER_MS,
                             "final": event.voiced_end >= end_of_sound})
            elif isinstance(event, Resume) and rows and not rows[-1]["final"]:
                silent = segmenter.position - resume_samples - int(rows[-1].pop("voiced_end"))  # type: ignore[call-overload]
                rows[-1]["pause_ms"] = 1000 * silent // INPUT_SAMPLE_RATE
        if rows and rows[-1]["final"]:
            break
    if rows and rows[-1]["pause_ms"] == NEVER_MS:
        rows[-1]["final"] = True  # nothing followed it, though the clip's last sound came later (a soft tail)
    for row in rows:
        row.pop("voiced_end", None)
    return [PauseVerdicts(clip=clip.name, voice=clip.voice, set_name=clip.set_name, index=i, **row)  # type: ignore[arg-type]
            for i, row in enumerate(rows)]


def _judge(pause: Pause, engine: Engine, settings: ServerSettings) -> dict[str, object]:
    audio = pause.audio
    t = time.monotonic()
    text = engine.stt.transcribe(audio, window_s=audio.shape[0] / INPUT_SAMPLE_RATE).text
    stt_ms = 1000 * (time.monotonic() - t)
    t = time.monotonic()
    p_voice = engine.turn.predict(audio) if engine.turn is not None else None
    voice_ms = 1000 * (time.monotonic() - t)
    p_words, words_ms = words_verdict(engine, settings.reply.system_prompt, text) if text.strip() else (None, 0.0)
    return {"voiced_end": pause.voiced_end, "transcript": text, "p_voice": p_voice, "p_words": p_words,
            "stt_ms": round(stt_ms, 1), "voice_ms": round(voice_ms, 1), "words_ms": round(words_ms, 1)}


def collect(clips: Iterable[Clip], engine: Engine, settings: ServerSettings, noise: NoiseStream, *,
            under: bool, log: Callable[[str], None] = lambda _: None) -> list[PauseVerdicts]:
    """Every pause of every clip, in order."""
    rows: list[PauseVerdicts] = []
    for clip in clips:
        found = clip_pauses(clip, engine, settings, noise, under=under)
        log(f"{clip.name}: {len(found)} pauses" + "".join(
            f"; {r.pause_ms if not r.final else 'end'} ms {r.transcript!r} voice {r.p_voice} words {r.p_words}"
            for r in found))
        rows.extend(found)
    return rows


def as_dicts(rows: Iterable[PauseVerdicts]) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts."""
    return [asdict(r) for r in rows]
