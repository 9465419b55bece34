"""Long-session counts and the acoustic clock, from scripted event logs."""

from __future__ import annotations

import numpy as np
import pytest

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
)
from client.benchmark.clips import Clip
from client.benchmark.longrun import (
    combine,
    first_token_trend,
    ghost_turns,
    history_counts,
    same_reply_count,
    session_stats,
    shortened_replies,
)
from client.benchmark.report import build_document, mode_summary, summary_text, turn_table
from client.benchmark.runner import TurnRecord
from client.benchmark.targets import Target

STAGES = {"endpoint_wait_ms": 240.0, "stt_ms": 60.0, "llm_first_token_ms": 90.0, "first_clause_ms": 200.0,
          "tts_first_audio_ms": 80.0, "server_first_audio_ms": 130.0}


def turn(turn_id: int, t0: float, text: str = "hello", reply: str = "Hi there.", *, interrupted: bool = False,
         replaces: int | None = None) -> list[Event]:
    """speech_started at t0, committed at t0+1, audio at t0+1.3, reply done at t0+2."""
    events = [Event(t0, SPEECH_STARTED), Event(t0 + 1.0, SPEECH_STOPPED, turn_id, at_ms=1000.0 * t0),
              Event(t0 + 1.01, TRANSCRIPT, turn_id, text, replaces_turn=replaces)]
    if text:
        events += [Event(t0 + 1.3, AUDIO, turn_id),
                   Event(t0 + 2.0, REPLY_DONE, turn_id, reply, interrupted=interrupted)]
        if not interrupted:
            events.append(Event(t0 + 2.0, TIMING, turn_id, stages=STAGES))
    return events


# ------------------------------------------------------------------ the acoustic clock


def test_headline_runs_from_the_acoustic_end_and_the_vad_figure_stays() -> None:
    events = turn(3, t0=9.0)  # commit received at 10.0, first audio at 10.3
    # The server put the end of speech at 9000 ms of the stream, 80 ms after the acoustic end.
    out = attribute(events, speech_end_t=9.9, speech_end_stream_ms=8980.0, acoustic_end_t=9.82,
                    acoustic_end_stream_ms=8920.0)
    assert out.end_to_end_ms == pytest.approx(480.0) and out.end_to_end_vad_ms == pytest.approx(400.0)
    assert out.endpoint_wait_acoustic_ms == pytest.approx(180.0) and out.vad_offset_ms == pytest.approx(20.0)
    s = out.stages
    assert s["vad_tail_ms"] == pytest.approx(80.0)
    assert s["network_other_ms"] == pytest.approx(480.0 - 80.0 - 240.0 - 130.0)
    # The identity the report relies on.
    assert out.end_to_end_ms == pytest.approx(s["vad_tail_ms"] + s["endpoint_wait_ms"] + s["server_first_audio_ms"]
                                              + s["network_other_ms"])
    parts = breakdown(out.end_to_end_ms, s)
    assert parts["vad_tail"] == pytest.approx(80.0)
    assert sum(parts[k] for k in ("vad_tail", "endpoint_wait", "stt", "llm_first_clause", "tts_first_audio",
                                  "network_other")) == pytest.approx(480.0)


def test_a_server_vad_ending_before_the_sound_gives_a_negative_tail() -> None:
    events = turn(1, t0=2.0)  # the server's end of speech: 2000 ms of the stream
    out = attribute(events, speech_end_t=2.95, acoustic_end_t=3.0, acoustic_end_stream_ms=2050.0)
    assert out.end_to_end_ms == pytest.approx(300.0) and out.end_to_end_vad_ms == pytest.approx(350.0)
    assert out.stages["vad_tail_ms"] == pytest.approx(-50.0) and out.endpoint_wait_acoustic_ms == pytest.approx(0.0)
    assert out.stages["network_other_ms"] == pytest.approx(300.0 + 50.0 - 240.0 - 130.0)


def test_without_an_acoustic_end_both_clocks_are_the_vad_one() -> None:
    out = attribute(turn(1, t0=0.0), speech_end_t=1.1)
    assert out.end_to_end_ms == out.end_to_end_vad_ms == pytest.approx(200.0)
    assert "vad_tail_ms" not in out.stages
    assert out.stages["network_other_ms"] == pytest.approx(200.0 - 240.0 - 130.0)


def test_merged_clip_waits_for_the_commit_that_stood() -> None:
    events = [*turn(1, 0.0, "Remind me", "Sure.", interrupted=True),
              *turn(2, 1.5, "Remind me to call", "Okay.", replaces=1)]
    out = attribute(events, speech_end_t=2.3, acoustic_end_t=2.2)
    assert out.turn_id == 2 and out.merged and out.endpoint_wait_acoustic_ms == pytest.approx(300.0)
    assert not out.reply_interrupted


def test_a_turn_cut_inside_the_sentence_and_never_merged_is_a_split_without_latency() -> None:
    # jfk.flac: the server ended the turn at 7.6 s of the stream (a pause), replied at once, and
    # dropped the rest of the sentence (its words echoed the reply): the reply's first audio came
    # before the clip's sound stopped at 11.0 s.
    events = [*turn(2, t0=7.6, text="ask not what your country can do for you."),
              Event(10.5, SPEECH_STARTED), Event(11.4, SPEECH_STOPPED, 3, at_ms=10_990.0),
              Event(11.5, TRANSCRIPT, 3, "")]
    out = attribute(events, speech_end_t=11.1, speech_end_stream_ms=11_000.0, acoustic_end_t=11.0,
                    acoustic_end_stream_ms=10_990.0)
    assert out.turn_id == 2 and out.early and out.split and not out.merged
    assert out.end_to_end_ms is None and out.end_to_end_vad_ms is None


def test_a_vad_end_a_little_before_a_quiet_trailing_sound_is_not_early() -> None:
    events = turn(1, t0=2.0)  # the server's end of speech 250 ms before the acoustic end
    out = attribute(events, speech_end_t=2.2, acoustic_end_t=2.25, acoustic_end_stream_ms=2250.0)
    assert not out.early and not out.split and out.end_to_end_ms == pytest.approx(1050.0)


# ------------------------------------------------------------------ long-session counts


def test_same_reply_as_previous_counts_normalized_repeats_in_a_row() -> None:
    assert same_reply_count(["It is noon.", "it is noon", "Hello!", "It is noon.", "", ""]) == 1
    assert same_reply_count([]) == 0


def test_first_token_trend_compares_the_first_and_last_ten() -> None:
    session = [100.0] * 10 + [500.0] * 5 + [200.0] * 10
    trend = first_token_trend([session])
    assert trend["first10"]["p95_ms"] == 100.0 and trend["last10"]["p50_ms"] == 200.0
    assert trend["last10_over_first10_p95"] == pytest.approx(2.0) and not trend["overlapping"]
    short = first_token_trend([[100.0, 300.0], [100.0] * 25])
    assert short["overlapping"] and short["first10"]["n"] == 12 and short["last10"]["n"] == 12
    assert first_token_trend([])["last10_over_first10_p95"] is None


def test_ghost_turns_opened_and_committed() -> None:
    events = [
        *turn(1, 1.0),  # clip 1, onset at 0.5: answered
        Event(3.5, SPEECH_STARTED),  # noise in the gap, discarded: opened
        Event(4.0, SPEECH_STARTED),  # noise, committed empty: a committed ghost
        Event(4.6, SPEECH_STOPPED, 2), Event(4.7, TRANSCRIPT, 2, ""),
        Event(5.5, SPEECH_STARTED),  # opened just before clip 2's onset (6.0), committed only after it
        Event(7.0, SPEECH_STOPPED, 3), Event(7.1, TRANSCRIPT, 3, "what time is it"),
        Event(7.5, AUDIO, 3), Event(8.0, REPLY_DONE, 3, "Noon."),
        Event(9.0, SPEECH_STARTED),  # the session ends with speech open: opened
    ]
    assert ghost_turns(events, onsets=[0.5, 6.0]) == {"opened": 3, "committed": 1}
    # A clip's own speech_started comes after its onset and counts as answered.
    assert ghost_turns(turn(1, 1.0), onsets=[0.9]) == {"opened": 0, "committed": 0}


def test_a_split_is_not_a_ghost() -> None:
    events = [*turn(1, 0.0, "Could you tell me"), *turn(2, 2.5, "why the sky is blue")]
    assert ghost_turns(events, onsets=[-0.2]) == {"opened": 0, "committed": 0}


def test_replies_shortened_are_answering_turns_cut_anyway() -> None:
    events = [*turn(1, 0.0, "Remind me", "Sure.", interrupted=True),  # merged away: not an answering turn
              *turn(2, 1.5, "Remind me to call", "Okay, I will remind", replaces=1, interrupted=True),
              *turn(3, 5.0, "Thanks", "You're welcome.")]
    assert shortened_replies(events, [2, 3, None]) == 1


def test_history_cut_and_repeats() -> None:
    events = [*turn(1, 0.0, "Remind me", "Sure, I", interrupted=True), *turn(2, 3.0, "hi", "Hello there."),
              *turn(3, 6.0, "hi again", "Hello there!")]
    history = [{"role": "user", "content": "Remind me"}, {"role": "assistant", "content": "Sure, I"},
               {"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello there."},
               {"role": "user", "content": "hi again"}, {"role": "assistant", "content": "Hello there!"}]
    assert history_counts(history, events) == {"messages": 6, "assistant": 3, "cut": 1, "repeats": 1}


def test_session_stats_and_the_totals() -> None:
    events = [*turn(1, 1.0, reply="Noon."), *turn(2, 5.0, reply="Noon."), Event(8.5, SPEECH_STARTED)]
    history = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "Noon."}]
    a = session_stats(events, [0.5, 4.5], turn_ids=[1, 2], replies=["Noon.", "Noon."], first_tokens=[90.0, 95.0],
                      history=history)
    assert a["same_reply_as_previous"] == 1 and a["ghost_turns"] == {"opened": 1, "committed": 0}
    assert a["history_cut"] == 0 and a["history_repeats"] == 0 and a["replies_shortened"] == 0
    b = session_stats([], [], turn_ids=[], replies=[], first_tokens=[], history=None)
    assert b["history_cut"] is None
    total = combine([a, b])
    assert total["sessions"] == 2 and total["history_sessions"] == 1 and total["history_cut"] == 0
    assert total["ghost_turns"] == {"opened": 1, "committed": 0} and total["same_reply_as_previous"] == 1
    assert total["first_token_trend"]["first10"]["n"] == 2
    assert combine([b])["history_cut"] is None


# ------------------------------------------------------------------ the report


def record(clip: str, e2e: float | None, *, voice: str = "piper", set_name: str = "tune", pause: bool = False,
           split: bool = False, merged: bool = False, wait: float | None = 300.0) -> TurnRecord:
    return TurnRecord(clip=clip, mode="fast", session=0, repeat=0, index=0, end_to_end_ms=e2e,
                      stages={**STAGES, "vad_tail_ms": 60.0} if e2e is not None else {}, split=split, merged=merged,
                      n_turns=1, dropped_turns=0, turn_id=1 if e2e is not None else None, transcript="hello there",
                      turn_transcript="hello there", reply_text="General Kenobi! " * 6, reference="hello there",
                      wer=0.0, speech_end_s=1.0, clip_s=1.5, end_to_end_vad_ms=e2e - 60.0 if e2e else None,
                      endpoint_wait_acoustic_ms=wait if e2e is not None else None, acoustic_end_s=0.94, voice=voice,
                      has_pause=pause, set_name=set_name)


def test_summary_breaks_down_per_voice_and_set_and_reports_both_clocks() -> None:
    records = [record("a+piper.wav", 400.0, pause=True, merged=True, wait=350.0),
               record("a+es-us.wav", 500.0, voice="es-us", pause=True, split=True, wait=500.0),
               record("b+es-us.wav", 450.0, voice="es-us", wait=250.0),
               record("jfk.flac", None, voice="human", set_name="human")]
    s = mode_summary(records)
    assert s["p50_ms"] == 450.0 and s["end_to_end_vad"]["p50_ms"] == 390.0
    assert s["endpoint_wait_acoustic_ms"]["p50_ms"] == 350.0
    es = s["by_voice"]["es-us"]
    assert (es["clips"], es["pause_clips"], es["false_cutoffs"], es["false_cutoffs_in_pause"], es["merges"]) == (
        2, 1, 1, 1, 0)
    assert es["endpoint_wait_acoustic_ms"]["p95_ms"] == pytest.approx(487.5)
    assert s["by_voice"]["piper"]["merges"] == 1 and s["by_voice"]["human"]["answered"] == 0
    assert s["by_set"]["tune"]["false_cutoffs"] == 2 and set(s["by_set"]) == {"tune", "human"}
    text = summary_text({"fast": s}, Target(500.0))
    assert "END TO END (webrtcvad)" in text and "by voice" in text and "es-us" in text
    table = turn_table(records)
    assert "General Kenobi!" in table and "e2eVAD" in table


def test_json_carries_the_new_fields() -> None:
    sessions = [session_stats(turn(1, 1.0), [0.5], turn_ids=[1], replies=["Hi there."], first_tokens=[90.0],
                              history=[{"role": "assistant", "content": "Hi there."}])]
    clip = Clip("a+piper.wav", np.zeros(16_000, dtype=np.int16), 40, "hello there", voice="piper", has_pause=True,
                set_name="tune")
    doc = build_document({"fast": [record("a+piper.wav", 400.0)]}, primary="fast", target=Target(500.0), concurrency=1,
                         repeat=1, server="ws://x", clips=[clip], sessions={"fast": sessions},
                         extra={"sets": ["tune"], "noise": {"kind": "pink", "dbfs": -40.0}})
    t = doc["turns"][0]
    assert {"end_to_end_ms", "end_to_end_vad_ms", "endpoint_wait_acoustic_ms", "acoustic_end_s", "reply_text",
            "transcript", "voice", "has_pause", "set_name"} <= set(t)
    s = doc["summary"]
    for key in ("same_reply_as_previous", "first_token_trend", "ghost_turns", "replies_shortened", "history_cut",
                "history_repeats", "end_to_end_vad", "endpoint_wait_acoustic_ms", "by_voice", "by_set",
                "per_session"):
        assert key in s, key
    assert s["history_cut"] == 0 and s["per_session"][0]["ghost_turns"] == {"opened": 0, "committed": 0}
    assert doc["clips"][0]["voice"] == "piper" and doc["clips"][0]["has_pause"] is True
    assert doc["noise"]["kind"] == "pink" and doc["sets"] == ["tune"]
