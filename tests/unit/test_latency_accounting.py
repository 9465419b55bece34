"""Latency benchmark accounting: percentiles, end of speech, turn attribution, splits, WER, report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from client.audio_files import read_mono
from client.benchmark.accounting import (
    AUDIO,
    REPLY_DONE,
    SPEECH_STARTED,
    SPEECH_STOPPED,
    TIMING,
    TRANSCRIPT,
    Event,
    attribute,
    breakdown,
    is_settled,
    pending_turns,
)
from client.benchmark.clips import Clip
from client.benchmark.prompts import compose, noise_floor, trim_silence
from client.benchmark.report import (
    REQUIRED_STAGES,
    build_document,
    mode_summary,
)
from client.benchmark.runner import TurnRecord
from client.benchmark.speech_end import (
    FRAME_SAMPLES,
    last_voiced_frame,
    speech_end_frame,
    voiced_flags,
)
from client.benchmark.stats import (
    corpus_wer,
    normalize_text,
    percentile,
    summarize,
    wer,
)
from client.benchmark.targets import Target, exit_code

JFK = Path(__file__).resolve().parents[2].parent / "shared" / "audio" / "jfk.flac"
SR = 16_000
HANGOVER_FRAMES = 8
"""webrtcvad keeps saying "voiced" for a few frames after speech stops (about 2-6 measured)."""


# ------------------------------------------------------------------ percentiles


def test_percentiles_of_a_known_list() -> None:
    xs = [float(x) for x in range(1, 11)]  # 1..10
    assert percentile(xs, 50) == pytest.approx(5.5)
    assert percentile(xs, 95) == pytest.approx(9.55)  # linear between ranks 9 and 10
    assert percentile(xs, 100) == 10.0
    assert summarize(reversed(xs)) == {"n": 10, "p50_ms": pytest.approx(5.5), "p95_ms": pytest.approx(9.55),
                                       "max_ms": 10.0}


def test_percentiles_of_one_value_and_of_nothing() -> None:
    assert summarize([420.0]) == {"n": 1, "p50_ms": 420.0, "p95_ms": 420.0, "max_ms": 420.0}
    assert percentile([], 50) is None
    assert summarize([]) == {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}


def test_summary_skips_unmeasured_values() -> None:
    assert summarize([None, 300.0, None, 100.0]) == {"n": 2, "p50_ms": 200.0, "p95_ms": pytest.approx(290.0),
                                                     "max_ms": 300.0}


# ------------------------------------------------------------------ end of speech


def flags(script: str) -> list[bool]:
    return [c == "#" for c in script]


def test_last_voiced_frame_ignores_isolated_blips_after_the_last_run() -> None:
    assert last_voiced_frame(flags("..#####....#..##...")) == 6
    assert last_voiced_frame(flags("..###")) == 4
    assert last_voiced_frame(flags("..###.###")) == 8


def test_last_voiced_frame_without_a_long_run_or_any_voice() -> None:
    assert last_voiced_frame(flags("..#...##.")) == 7  # no run of 3: the last voiced frame at all
    assert last_voiced_frame(flags("......")) is None
    assert last_voiced_frame([]) is None


def _burst(n: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(n) * 6000).astype(np.int16)


def test_speech_end_of_a_noise_burst_between_silences() -> None:
    clip = noise_floor(2 * SR, seed=1)
    clip[SR : SR + SR // 2] += _burst(SR // 2, 3)  # frames 50..74 are loud
    v = voiced_flags(clip)
    # The premise: webrtcvad (mode 2) takes the burst for speech and the -60 dBFS floor after it for silence.
    assert sum(v[50:75]) == 25
    assert not any(v[90:])
    end = speech_end_frame(clip)
    assert end is not None and 74 <= end <= 74 + HANGOVER_FRAMES


@pytest.mark.skipif(not JFK.is_file(), reason="shared recording missing")
@pytest.mark.parametrize("cut_s", [2.0, 3.0, 6.2])
def test_speech_end_of_jfk_cut_mid_speech(cut_s: float) -> None:
    speech = read_mono(JFK, SR)
    n = int(cut_s * SR)
    clip = np.concatenate([speech[:n], noise_floor(SR, seed=2)])
    last_speech_frame = n // FRAME_SAMPLES - 1
    end = speech_end_frame(clip)
    assert end is not None and last_speech_frame <= end <= last_speech_frame + HANGOVER_FRAMES


def test_silence_has_no_speech_end() -> None:
    assert speech_end_frame(np.zeros(SR, dtype=np.int16)) is None


# ------------------------------------------------------------------ generated prompts


def test_compose_puts_the_pause_inside_and_keeps_a_noise_floor() -> None:
    silent_edges = np.zeros(800, dtype=np.int16)
    first = np.concatenate([silent_edges, _burst(SR // 2, 5), silent_edges])  # voice edge silence gets trimmed
    second = _burst(SR // 2, 6)
    clip = compose([first, second], (0.6,), seed=9, edge_s=0.25)
    assert clip.shape[0] == int(0.25 * SR) * 2 + SR // 2 + int(0.6 * SR) + SR // 2
    pause = clip[int(0.25 * SR) + SR // 2 : int(0.25 * SR) + SR // 2 + int(0.6 * SR)]
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(pause.astype(np.float64) ** 2)) / 32767)
    assert -63 < rms_dbfs < -57 and np.count_nonzero(pause) > 0.9 * pause.shape[0]
    v = voiced_flags(clip)
    first_end, second_start = (int(0.25 * SR) + SR // 2) // FRAME_SAMPLES, (int(0.85 * SR) + SR // 2) // FRAME_SAMPLES
    assert not any(v[first_end + HANGOVER_FRAMES : second_start])  # the VAD hears the pause
    assert all(v[second_start + 1 : second_start + 20])


def test_compose_rejects_a_pause_count_mismatch() -> None:
    with pytest.raises(ValueError):
        compose([_burst(100, 1), _burst(100, 2)], ())


def test_trim_silence() -> None:
    x = np.array([0, 5, -3, 900, 10, -700, 2, 0], dtype=np.int16)
    assert trim_silence(x, threshold=200).tolist() == [900, 10, -700]
    assert trim_silence(np.zeros(10, dtype=np.int16)).shape[0] == 0


# ------------------------------------------------------------------ attribution


STAGES = {"endpoint_wait_ms": 240.0, "stt_ms": 60.0, "llm_first_token_ms": 90.0, "first_clause_ms": 200.0,
          "tts_first_audio_ms": 80.0, "server_first_audio_ms": 130.0}


def one_turn(turn: int, *, t0: float, text: str = "what time is it", audio_at: float | None = None) -> list[Event]:
    events = [Event(t0, SPEECH_STARTED), Event(t0 + 1.0, SPEECH_STOPPED, turn, at_ms=5000.0),
              Event(t0 + 1.01, TRANSCRIPT, turn, text)]
    if text:
        if audio_at is not None:
            events += [Event(audio_at, AUDIO, turn), Event(audio_at + 0.1, AUDIO, turn)]
        events += [Event(t0 + 3.0, REPLY_DONE, turn, "It is noon."), Event(t0 + 3.0, TIMING, turn, stages=STAGES)]
    return events


def test_single_turn_latency_runs_from_speech_end_to_its_first_audio() -> None:
    events = one_turn(3, t0=9.0, audio_at=10.4)
    out = attribute(events, speech_end_t=10.0, speech_end_stream_ms=4980.0)
    assert out.turn_id == 3 and not out.split and out.committed == (3,)
    assert out.end_to_end_ms == pytest.approx(400.0)
    assert out.stages["stt_ms"] == 60.0
    assert out.stages["network_other_ms"] == pytest.approx(400.0 - 240.0 - 130.0)
    assert out.transcript == "what time is it" and out.reply_text == "It is noon."
    assert out.vad_offset_ms == pytest.approx(20.0)


def test_audio_of_another_turn_does_not_stop_the_clock() -> None:
    # Reply audio of the previous clip's turn 2 still arriving (filler) must not count.
    events = [Event(10.05, AUDIO, 2), *one_turn(3, t0=9.0, audio_at=10.5)]
    out = attribute(events, speech_end_t=10.0)
    assert out.end_to_end_ms == pytest.approx(500.0)
    assert out.vad_offset_ms is None


def test_split_clip_is_measured_on_its_last_turn() -> None:
    first = [Event(1.0, SPEECH_STARTED), Event(2.0, SPEECH_STOPPED, 4), Event(2.1, TRANSCRIPT, 4, "Remind me to"),
             Event(2.3, AUDIO, 4), Event(2.5, SPEECH_STARTED),
             Event(2.6, REPLY_DONE, 4, "Sure.", interrupted=True)]
    second = [Event(3.5, SPEECH_STOPPED, 5), Event(3.55, TRANSCRIPT, 5, "call my sister"), Event(3.7, AUDIO, 5),
              Event(4.5, REPLY_DONE, 5, "Done."), Event(4.5, TIMING, 5, stages=STAGES)]
    out = attribute(first + second, speech_end_t=3.2)
    assert out.split and out.turn_id == 5 and out.committed == (4, 5)
    assert out.end_to_end_ms == pytest.approx(500.0)  # turn 4's audio at 2.3 is not the answer
    assert out.transcript == "Remind me to call my sister"
    assert out.turn_transcript == "call my sister" and out.reply_text == "Done."


def test_noise_turn_is_neither_the_answer_nor_a_split() -> None:
    noise = [Event(0.5, SPEECH_STOPPED, 6), Event(0.6, TRANSCRIPT, 6, "")]
    out = attribute(noise + one_turn(7, t0=1.0, audio_at=2.3), speech_end_t=2.0)
    assert out.turn_id == 7 and not out.split
    assert out.dropped == (6,) and out.committed == (6, 7)
    assert out.end_to_end_ms == pytest.approx(300.0)


def test_nothing_measurable() -> None:
    assert attribute([], speech_end_t=1.0).turn_id is None
    out = attribute(one_turn(1, t0=0.0), speech_end_t=1.0)  # committed and answered, but no audio
    assert out.turn_id == 1 and out.end_to_end_ms is None and "network_other_ms" not in out.stages
    assert attribute(one_turn(1, t0=0.0, audio_at=1.5), speech_end_t=None).end_to_end_ms is None


def test_pending_until_timing_or_empty_transcript_or_interrupted_done() -> None:
    assert pending_turns([Event(1.0, SPEECH_STOPPED, 1)]) == {1}
    assert pending_turns(one_turn(1, t0=0.0, audio_at=1.5)) == set()
    assert pending_turns(one_turn(1, t0=0.0, text="")) == set()
    assert pending_turns([Event(1.0, SPEECH_STOPPED, 1), Event(1.1, REPLY_DONE, 1, interrupted=True)]) == set()
    assert pending_turns([Event(1.0, SPEECH_STOPPED, 1), Event(1.1, REPLY_DONE, 1)]) == {1}  # timing follows


def test_settled_needs_the_tail_and_nothing_pending() -> None:
    done = one_turn(1, t0=0.0, audio_at=1.5)
    assert not is_settled(done, tail_s=1.0)  # a second half could still come
    assert is_settled(done, tail_s=1.6)
    assert not is_settled(done[:2], tail_s=10.0)  # committed, reply not done
    reopened = [*done, Event(5.0, SPEECH_STARTED)]
    assert not is_settled(reopened, tail_s=2.0) and is_settled(reopened, tail_s=3.5)
    assert not is_settled([], tail_s=2.0) and is_settled([], tail_s=4.5)  # nothing heard: give up late


# ------------------------------------------------------------------ stage breakdown


def test_breakdown_stacks_to_end_to_end_with_speculation_hidden() -> None:
    e2e = 420.0
    parts = breakdown(e2e, {**STAGES, "endpoint_wait_ms": 240.0, "server_first_audio_ms": 150.0})
    stacked = sum(parts[k] for k in ("endpoint_wait", "stt", "llm_first_clause", "tts_first_audio", "network_other"))
    assert stacked == pytest.approx(e2e)
    assert parts["hidden"] == pytest.approx(60 + 200 + 80 - 150)  # done before the commit
    assert parts["stt"] == 0.0 and parts["tts_first_audio"] == 80.0 and parts["network_other"] == pytest.approx(30.0)


def test_breakdown_of_a_naive_turn_has_nothing_hidden() -> None:
    stages = {"endpoint_wait_ms": 700.0, "stt_ms": 400.0, "first_clause_ms": 1500.0, "tts_first_audio_ms": 800.0,
              "server_first_audio_ms": 2750.0}
    parts = breakdown(3500.0, stages)
    assert parts["hidden"] == 0.0
    assert (parts["stt"], parts["llm_first_clause"], parts["tts_first_audio"]) == (400.0, 1500.0, 800.0)
    assert parts["network_other"] == pytest.approx(3500.0 - 700.0 - 2700.0)


# ------------------------------------------------------------------ WER and report


def test_wer_normalizes_case_and_punctuation() -> None:
    assert normalize_text("What's the weather like,  in Paris?") == "whats the weather like in paris"
    assert wer("What's the weather like in Paris today?", "what's the weather like in paris today") == 0.0
    assert wer("ask not what your country can do", "ask not what your county can do") == pytest.approx(1 / 7)
    assert wer("", "anything") is None
    assert corpus_wer([("a b c d", "a b c d"), ("e f", "")]) == pytest.approx(2 / 6)


def record(clip: str, e2e: float | None, *, split: bool = False, transcript: str = "hello there",
           reference: str | None = "hello there", played: bool = True) -> TurnRecord:
    return TurnRecord(clip=clip, mode="fast", session=0, repeat=0, index=0, end_to_end_ms=e2e,
                      stages={**STAGES, "network_other_ms": 5.0} if e2e is not None else {}, split=split, merged=False,
                      n_turns=2 if split else 1, dropped_turns=0, turn_id=1 if e2e is not None else None,
                      transcript=transcript, turn_transcript=transcript, reply_text="hi", reference=reference,
                      wer=wer(reference, transcript) if reference and played else None, speech_end_s=1.0,
                      clip_s=1.5, error=None if e2e is not None else "timed out")


def test_summary_counts_splits_and_wer_and_the_exit_code_follows_p50() -> None:
    records = [record("a.wav", 300.0), record("b.wav", 500.0, split=True, transcript="hello"),
               record("c.wav", 700.0, reference=None), record("d.wav", None)]
    never_played = record("e.wav", None, transcript="", played=False)
    s = mode_summary([*records, never_played])
    assert (s["n"], s["attempted"], s["unmeasured"], s["answered"]) == (3, 5, 2, 3)
    assert s["p50_ms"] == 500.0 and s["max_ms"] == 700.0
    assert s["split_count"] == 1 and s["split_rate"] == pytest.approx(1 / 3)
    assert s["wer_per_clip"]["b.wav"] == pytest.approx(0.5) and s["wer_per_clip"]["a.wav"] == 0.0
    assert "e.wav" not in s["wer_per_clip"]  # not played: no WER, rather than 100%
    assert s["wer"] == pytest.approx(1 / 6)  # a, b, d: 1 missing word out of 6
    assert s["stages"]["stt_ms"]["n"] == 3
    assert exit_code(s, Target(500.0)) == 0 and exit_code(s, Target(499.0)) == 1
    assert exit_code(mode_summary([record("d.wav", None)]), Target(500.0)) == 2


def test_json_document_has_the_promised_fields() -> None:
    clip = Clip("a.wav", np.zeros(SR, dtype=np.int16), 40, "hello there", "/x/a.wav")
    results = {"fast": [record("a.wav", 300.0), record("a.wav", None)],
               "naive": [record("a.wav", 1200.0), record("a.wav", 1800.0)]}
    doc = build_document(results, primary="fast", target=Target(500.0), concurrency=1, repeat=1, server="ws://x",
                         clips=[clip])
    assert doc["budget_ms"] == 500 and doc["concurrency"] == 1 and doc["mode"] == "fast"
    assert {"n", "p50_ms", "p95_ms", "max_ms", "split_rate", "split_count", "wer", "stages"} <= set(doc["summary"])
    for turn in doc["turns"]:
        assert {"clip", "end_to_end_ms", "stages", "transcript", "reply_text"} <= set(turn)
        assert set(REQUIRED_STAGES) <= set(turn["stages"])  # null when unmeasured, never missing
    assert doc["turns"][1]["stages"]["stt_ms"] is None
    assert doc["naive"]["summary"]["p50_ms"] == 1500.0
    assert doc["comparison"]["naive_over_fast_p50"] == pytest.approx(5.0)
    assert doc["within_budget"] is True


def test_plot_writes_a_png_with_both_modes(tmp_path: Path) -> None:
    from client.benchmark.plot import plot

    path = tmp_path / "bench.png"
    results = {"fast": [record("a.wav", 420.0), record("b.wav", 380.0, split=True), record("c.wav", None)],
               "naive": [record("a.wav", 3200.0)]}
    plot(results, path, target=Target(500.0, 700.0))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_a_merged_continuation_is_not_a_split_and_answers_the_clip() -> None:
    events = [
        Event(0.0, SPEECH_STOPPED, 1, at_ms=1000.0),
        Event(0.1, TRANSCRIPT, 1, "Remind me to call my sister."),
        Event(0.3, AUDIO, 1),
        Event(1.0, SPEECH_STOPPED, 2, at_ms=2500.0),
        Event(1.1, TRANSCRIPT, 2, "Remind me to call my sister after work.", replaces_turn=1),
        Event(1.3, AUDIO, 2),
    ]
    outcome = attribute(events, speech_end_t=0.9)
    assert outcome.turn_id == 2 and not outcome.split and outcome.merged
    assert outcome.transcript == "Remind me to call my sister after work."
    assert outcome.end_to_end_ms == pytest.approx(400.0)


def test_without_the_bench_extra_the_error_says_how_to_install_it() -> None:
    # The node's own install has no jiwer; a benchmark run there must name the fix, not just the module.
    code = "import sys; sys.modules['jiwer'] = None; import client.benchmark.stats"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert result.returncode != 0
    assert "ModuleNotFoundError: jiwer is not installed" in result.stderr
    assert "EDGE_VOICE_EXTRAS=bench scripts/setup.sh" in result.stderr
