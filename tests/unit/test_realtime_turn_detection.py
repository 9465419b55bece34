"""Turn detection's parameters mapped onto the node's endpointing: OpenAI's defaults are the node's
own settings exactly; other values scale and clamp them, per session (app/realtime/turn_detection.py)."""

from __future__ import annotations

from typing import Any

import pytest

from app.config import EndpointSettings
from app.conversation import StartTurn, Transcribed
from app.conversation import TurnPredicted as Predicted
from app.realtime.config import DEFAULT_TURN_DETECTION, TurnDetection
from app.realtime.turn_detection import MAX_PREROLL_MS, MAX_WAIT_MS, WAITS, endpointing_for
from tests.unit.test_realtime_session import Client, one, types

NODE = EndpointSettings()


def server_vad(**settings: Any) -> TurnDetection:
    return TurnDetection("server_vad", settings=settings)


def waits(endpoint: EndpointSettings) -> list[int]:
    return [getattr(endpoint, name) for name in WAITS]


@pytest.mark.parametrize("node", [NODE, EndpointSettings(complete_ms=210, preroll_ms=330, gate_onset_db=4.5)])
def test_openai_defaults_are_the_nodes_own_endpointing(node: EndpointSettings) -> None:
    assert endpointing_for(DEFAULT_TURN_DETECTION, node) is node
    assert endpointing_for(server_vad(threshold=0.5, prefix_padding_ms=300, silence_duration_ms=500), node) is node
    for eagerness in ("auto", "medium"):
        assert endpointing_for(TurnDetection("semantic_vad", settings={"eagerness": eagerness}), node) is node
    assert endpointing_for(TurnDetection("semantic_vad"), node) is node
    assert endpointing_for(None, node) is node  # the client commits: the endpointing only finds the speech


def test_silence_duration_scales_every_wait_and_nothing_else() -> None:
    tuned = endpointing_for(server_vad(silence_duration_ms=1000), NODE)
    assert waits(tuned) == [2 * w for w in waits(NODE)] == [480, 560, 1200, 1800, 2000]
    assert tuned.speculate_ms == NODE.speculate_ms and tuned.preroll_ms == NODE.preroll_ms
    assert waits(endpointing_for(server_vad(silence_duration_ms=250), NODE)) == [120, 140, 300, 460, 500]


def test_eagerness_scales_the_waits() -> None:
    low = endpointing_for(TurnDetection("semantic_vad", settings={"eagerness": "low"}), NODE)
    high = endpointing_for(TurnDetection("semantic_vad", settings={"eagerness": "high"}), NODE)
    assert waits(low) == [380, 440, 960, 1440, 1600]  # x1.6, in whole 20 ms frames
    assert waits(high) == [160, 200, 420, 640, 700]  # x0.7
    assert all(w % 20 == 0 for w in waits(low) + waits(high))


@pytest.mark.parametrize("silence", [0, 1, 20, 100, 170, 333, 499, 501, 777, 2000, 5000, 60_000])
def test_waits_stay_within_bounds_and_in_order(silence: int) -> None:
    got = waits(endpointing_for(server_vad(silence_duration_ms=silence), NODE))
    assert got == sorted(got)
    assert all(NODE.speculate_ms + 20 <= w <= MAX_WAIT_MS for w in got)


def test_extreme_silences_are_clamped() -> None:
    assert waits(endpointing_for(server_vad(silence_duration_ms=0), NODE)) == [NODE.speculate_ms + 20] * 5
    assert waits(endpointing_for(server_vad(silence_duration_ms=60_000), NODE)) == [MAX_WAIT_MS] * 5


@pytest.mark.parametrize(
    ("padding", "preroll"), [(300, 400), (0, 100), (100, 200), (800, 900), (60_000, MAX_PREROLL_MS)]
)
def test_prefix_padding_moves_the_preroll(padding: int, preroll: int) -> None:
    assert endpointing_for(server_vad(prefix_padding_ms=padding), NODE).preroll_ms == preroll


def test_the_preroll_never_drops_below_the_speech_that_opens_an_utterance() -> None:
    node = EndpointSettings(preroll_ms=100)
    assert endpointing_for(server_vad(prefix_padding_ms=0), node).preroll_ms == node.start_ms


@pytest.mark.parametrize(("threshold", "onset", "hold"), [(0.5, 6.0, 1.5), (1.0, 12.0, 1.5), (0.75, 9.0, 1.5),
                                                          (0.0, 0.0, 0.0), (0.4, 4.8, 1.5)])
def test_threshold_moves_the_speech_gate(threshold: float, onset: float, hold: float) -> None:
    tuned = endpointing_for(server_vad(threshold=threshold), NODE)
    assert (tuned.gate_onset_db, tuned.gate_hold_db) == pytest.approx((onset, hold))
    assert tuned.vad_aggressiveness == NODE.vad_aggressiveness


@pytest.mark.parametrize(
    ("key", "value"),
    [("threshold", 1.5), ("threshold", -0.1), ("silence_duration_ms", -1), ("silence_duration_ms", 60_001),
     ("prefix_padding_ms", -5), ("prefix_padding_ms", 70_000), ("idle_timeout_ms", -1), ("eagerness", "eager")],
)
def test_out_of_range_parameters_are_refused_by_name(key: str, value: Any) -> None:
    client = Client()
    error = one(client.send(update_of({"type": "server_vad", key: value})), "error")["error"]
    assert (error["code"], error["param"]) == ("invalid_value", f"session.audio.input.turn_detection.{key}")


def update_of(detection: dict[str, Any]) -> dict[str, Any]:
    session = {"type": "realtime", "audio": {"input": {"turn_detection": detection}}}
    return {"type": "session.update", "session": session}


def set_detection(client: Client, **detection: Any) -> None:
    updated = one(client.send(update_of({"type": "server_vad", **detection})), "session.updated")
    reported = updated["session"]["audio"]["input"]["turn_detection"]
    assert all(reported[k] == v for k, v in detection.items())


def silence_to_commit(client: Client, voiced: int = 20) -> int:
    """``voiced`` frames of a finished question ("Tell me a story.", the voice sure too), then
    silence: the ms of it until the turn is committed."""
    effects = client.speak("x" * voiced)
    for frame in range(1, 200):
        effects = client.speak(".")
        start = next((e for e in effects if isinstance(e, StartTurn)), None)
        if start is not None:
            effects += client.turn(Transcribed(start.turn_id, "Tell me a story."), Predicted(start.turn_id, 0.9))
        if "input_audio_buffer.committed" in types(effects):
            return 20 * frame
    raise AssertionError("never committed")


LAG_MS = 40
"""Silence sent before the node counts it: the frame the voice ended in, and the resampler's held samples."""


def test_a_longer_silence_duration_makes_the_session_wait_longer() -> None:
    assert silence_to_commit(Client()) == 240 + LAG_MS  # the node's complete_ms
    client = Client()
    set_detection(client, silence_duration_ms=1000)
    assert silence_to_commit(client) == 480 + LAG_MS
    set_detection(client, silence_duration_ms=500)  # back to the node's own, from the next utterance
    client.speak("." * 60)  # past the continuation window: a new question
    assert silence_to_commit(client) == 240 + LAG_MS


def test_a_change_mid_utterance_waits_for_the_next_one() -> None:
    client = Client()
    client.speak("x" * 10)
    set_detection(client, silence_duration_ms=1000)
    assert silence_to_commit(client, voiced=10) == 240 + LAG_MS  # it began under the node's waits
    client.speak("." * 60)
    assert silence_to_commit(client) == 480 + LAG_MS


def test_prefix_padding_moves_where_speech_starts() -> None:
    starts = []
    for padding in (300, 0):
        client = Client()
        set_detection(client, prefix_padding_ms=padding)
        effects = client.speak("." * 50 + "x" * 5)
        starts.append(one(effects, "input_audio_buffer.speech_started")["audio_start_ms"])
    assert starts[1] - starts[0] == 300  # 300 ms less audio kept from before the onset


def test_a_change_between_utterances_keeps_the_preroll_heard_so_far() -> None:
    starts = []
    for update in (False, True):
        client = Client()
        client.speak("." * 50)
        if update:
            set_detection(client, silence_duration_ms=800, threshold=0.6)  # a new segmenter and gate
        starts.append(one(client.speak("x" * 5), "input_audio_buffer.speech_started")["audio_start_ms"])
    assert starts[0] == starts[1]
