"""The benchmark over ``/v1/realtime``: Realtime events read back as the accounting's turns, the
order of the passes of ``--protocol both``, the clip-by-clip comparison, and one clip played
through a real ``EdgeServer`` (fake engine) over the Realtime protocol."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from app import protocol as p
from app.config import ServerSettings
from app.server import EdgeServer
from app.store import MemoryStore
from client.benchmark.accounting import AUDIO, REPLY_DONE, SPEECH_STOPPED, TIMING, TRANSCRIPT, Event, attribute
from client.benchmark.clips import make_clip
from client.benchmark.main import Options, run
from client.benchmark.protocols import comparison_line, paired, passes
from client.benchmark.realtime_link import RealtimeEvents, RealtimeLink, realtime_url
from client.benchmark.runner import TurnRecord, failed_record
from client.benchmark.session import BenchSession
from client.connection import AudioIn
from tests.fakes import fake_engine, silent_frames, voiced_frames


def log(events: list[dict[str, Any]]) -> list[Event]:
    """The accounting's events for a scripted Realtime log, one second apart."""
    reader, out = RealtimeEvents(), []
    for t, event in enumerate(events):
        for m in reader.translate(event):
            if isinstance(m, AudioIn):
                out.append(Event(float(t), AUDIO, m.turn_id))
            elif isinstance(m, p.SpeechStopped):
                out.append(Event(float(t), SPEECH_STOPPED, m.turn_id, at_ms=m.at_ms))
            elif isinstance(m, p.Transcript):
                out.append(Event(float(t), TRANSCRIPT, m.turn_id, m.text, replaces_turn=m.replaces_turn))
            elif isinstance(m, p.ReplyDone):
                out.append(Event(float(t), REPLY_DONE, m.turn_id, m.text, interrupted=m.interrupted))
            elif isinstance(m, p.TurnTiming):
                out.append(Event(float(t), TIMING, m.turn_id))
    return out


def user_turn(item: str, end_ms: int, text: str) -> list[dict[str, Any]]:
    return [
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": end_ms - 900, "item_id": item},
        {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": end_ms, "item_id": item},
        {"type": "input_audio_buffer.committed", "item_id": item},
        {"type": "conversation.item.input_audio_transcription.completed", "item_id": item, "transcript": text},
    ]


def response(rid: str, text: str, status: str = "completed") -> list[dict[str, Any]]:
    return [
        {"type": "response.created", "response": {"id": rid, "status": "in_progress"}},
        {"type": "response.output_audio_transcript.delta", "response_id": rid, "delta": text},
        {"type": "response.output_audio.delta", "response_id": rid, "delta": "AAAA"},
        {"type": "response.output_audio.delta", "response_id": rid, "delta": "AAAA"},
        {"type": "response.done", "response": {"id": rid, "status": status}},
    ]


def test_the_answering_response_and_its_first_audio_delta_stop_the_clock() -> None:
    events = log([*user_turn("item_a", 2000, "What time is it?"), *response("resp_a", "It is noon.")])
    outcome = attribute(events, speech_end_t=0.0, acoustic_end_t=0.5, acoustic_end_stream_ms=1900.0)
    assert outcome.turn_id == 1 and outcome.transcript == "What time is it?" and outcome.reply_text == "It is noon."
    assert outcome.end_to_end_ms == pytest.approx(5500.0)  # the first delta (t=6 s) minus the acoustic end (0.5 s)
    assert outcome.endpoint_wait_acoustic_ms == pytest.approx(500.0) and outcome.stages == {"vad_tail_ms": 100.0}
    assert not outcome.split and not outcome.reply_interrupted


def test_a_merged_pause_a_noise_turn_and_a_superseded_response_are_read_as_natively() -> None:
    events = log([
        *user_turn("item_a", 1000, "Could you tell me"),
        *response("resp_a", "Sure", status="cancelled"),  # talked over: the node stops it
        {"type": "conversation.item.deleted", "item_id": "item_a"},  # ... and merges the two halves
        *user_turn("item_b", 3000, "Could you tell me the time?"),
        *response("resp_b", "It is noon."),
        *user_turn("item_c", 5000, ""),  # heard as noise: no response
    ])
    outcome = attribute(events, speech_end_t=0.0, acoustic_end_t=0.0, acoustic_end_stream_ms=3000.0)
    assert outcome.committed == (1, 2, 3) and outcome.dropped == (3,) and outcome.merged and not outcome.split
    assert outcome.turn_id == 2 and outcome.reply_text == "It is noon."
    first_b = next(e.t for e in events if e.kind == AUDIO and e.turn_id == 2)
    assert outcome.end_to_end_ms == pytest.approx(1000.0 * first_b)
    assert [e.interrupted for e in events if e.kind == REPLY_DONE] == [True, False]


def test_errors_are_kept_and_unknown_responses_ignored() -> None:
    reader = RealtimeEvents()
    assert reader.translate({"type": "response.output_audio.delta", "response_id": "nobody", "delta": "AA"}) == []
    [error] = reader.translate({"type": "error", "error": {"code": "rate_limited", "message": "slow down"}})
    assert isinstance(error, p.Error) and error.code == "rate_limited" and error.turn_id is None
    assert reader.translate({"type": "rate_limits.updated"}) == []


def test_the_realtime_url_is_on_the_same_node() -> None:
    assert realtime_url("ws://127.0.0.1:8765") == "ws://127.0.0.1:8765/v1/realtime?model=edge-benchmark"
    assert realtime_url("wss://edge:443/ws") == "wss://edge:443/v1/realtime?model=edge-benchmark"


def test_the_resampler_holds_no_audio_back() -> None:
    link = RealtimeLink.__new__(RealtimeLink)
    RealtimeLink.__init__(link, None)  # type: ignore[arg-type]
    impulse = np.zeros(320 * 10, np.int16)
    impulse[1600] = 20_000
    out = np.concatenate([link._resampler.resample_chunk(impulse[i : i + 320]) for i in range(0, 3200, 320)])
    assert len(out) >= 4800 - 4 and abs(int(np.argmax(out)) - 2400) <= 1  # under 0.2 ms late


def test_both_alternates_passes_and_flips_the_order() -> None:
    assert passes("native", 3) == [("native", 0, 3)] and passes("realtime", 2) == [("realtime", 0, 2)]
    assert passes("both", 3) == [("native", 0, 1), ("realtime", 0, 1), ("realtime", 1, 1), ("native", 1, 1),
                                 ("native", 2, 1), ("realtime", 2, 1)]


def record(clip: str, index: int, e2e: float | None, protocol: str, repeat: int = 0) -> TurnRecord:
    r = failed_record(make_clip(clip, np.concatenate([np.frombuffer(f, np.int16) for f in voiced_frames(20)]),
                                None), "", mode="fast", session=0, repeat=repeat, index=index, protocol=protocol)
    r.end_to_end_ms, r.error = e2e, None
    return r


def test_the_comparison_pairs_the_same_clip_of_the_same_pass() -> None:
    native = [record("a", 0, 400.0, "native"), record("b", 1, 500.0, "native"), record("c", 2, None, "native"),
              record("a", 0, 420.0, "native", repeat=1)]
    realtime = [record("a", 0, 430.0, "realtime"), record("b", 1, 590.0, "realtime"),
                record("c", 2, 700.0, "realtime"), record("a", 0, 440.0, "realtime", repeat=1)]
    c = paired(native, realtime)
    assert c["pairs"] == 3 and c["difference_p50_ms"] == pytest.approx(30.0)  # 30, 90, 20 ms
    assert c["difference_mean_ms"] == pytest.approx(140.0 / 3) and c["within"]
    assert c["realtime_over_native_p50"] == pytest.approx(440.0 / 420.0)
    assert "within 50 ms" in comparison_line(c)
    slower = paired(native[:1], [record("a", 0, 460.0, "realtime")])
    assert not slower["within"] and "NOT within 50 ms" in comparison_line(slower)
    assert comparison_line(paired([], [])) == "realtime vs native: no clip measured by both"


def test_realtime_runs_the_fast_pipeline_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(Options(server="ws://127.0.0.1:9", spawn=False, clips=(), mode="naive", protocol="both")) == 2
    assert run(Options(server="ws://127.0.0.1:9", spawn=False, clips=(), compare_naive=True,
                       protocol="realtime")) == 2
    assert "--protocol native" in capsys.readouterr().err


def test_a_clip_played_over_the_realtime_protocol_is_measured() -> None:
    """The real server's /v1/realtime (fake engine): 24 kHz appends at real-time pace, server VAD,
    the reply's first audio delta; the same BenchSession that plays the native protocol."""
    pcm = np.frombuffer(b"".join(silent_frames(10) + voiced_frames(60) + silent_frames(5)), np.int16)
    clip = make_clip("buzz.wav", pcm, "tell me a story")

    async def main() -> None:
        config = ServerSettings(host="127.0.0.1", port=0)
        engine = fake_engine(stt=lambda audio, window: "Tell me a story.", llm=lambda messages: ["Once upon a time."])
        edge = EdgeServer(config, engine, MemoryStore(config.session_ttl_s))
        server = await edge.start()
        try:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            bench = await BenchSession.open(url, pipeline="fast", protocol="realtime")
            await bench.silence(0.2)
            played = await bench.play(clip, timeout_s=20)
            assert await bench.fetch_history() is None  # the protocol has no get_history
            await bench.close()
        finally:
            server.close()
            await server.wait_closed()
            engine.close()
        o = played.outcome
        assert not played.timed_out and o.errors == ()
        assert o.turn_id == 1 and o.transcript == "Tell me a story." and o.reply_text == "Once upon a time."
        assert o.end_to_end_ms is not None and 0 < o.end_to_end_ms < 5000
        assert o.endpoint_wait_acoustic_ms is not None and o.endpoint_wait_acoustic_ms <= o.end_to_end_ms + 1
        assert "vad_tail_ms" in o.stages

    asyncio.run(asyncio.wait_for(main(), 30))
