"""The desktop client's display, push-to-talk, playback resampling and reference placement."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from client.audio_devices import parse_device
from client.connection import SendClock
from client.echo import EchoSuppressor
from client.mic_pipeline import ReferenceTap
from client.playback_resampler import PlaybackResampler
from client.ptt import PushToTalk, watch_enter
from client.ui import LiveUi, PlainUi, make_ui


def test_plain_ui_prints_one_line_per_event() -> None:
    out = io.StringIO()
    ui = PlainUi(out)
    ui.connected("abcdef123456", 22050, 22050)
    ui.transcript(3, "what time is it")
    ui.reply_delta(3, "It is ")
    ui.reply_delta(3, "noon.")
    ui.playback("started", 3, 0.0)
    ui.reply_done(3, "It is noon.", interrupted=False)
    ui.latency(3, 612.4, {"stt_ms": 120.0, "llm_first_token_ms": 95.0, "endpoint_wait_ms": 240.0})
    ui.playback("underrun", 3, 900.0)
    ui.playback("finished", 3, 1500.0)
    ui.barge_in(4, 830.0, "200 ms voiced")
    ui.interrupted(4, "Sure", "Sure, here is a long answer")
    lines = out.getvalue().splitlines()
    assert "connected: session abcdef12, reply audio 22050 Hz" in lines
    assert "you: what time is it" in lines
    assert "assistant: It is noon." in lines
    # Turns are shown by the client's own count (server turn ids 3, 4 are its first two).
    assert "latency turn 1: 612 ms end-to-end (endpoint_wait=240 stt=120 llm_first_token=95)" in lines
    assert "underrun in turn 1 after 900 ms (total 1)" in lines
    assert "played turn 1: 1500 ms" in lines
    assert "barge-in: turn 2 stopped after 830 ms played (200 ms voiced)" in lines
    assert "interrupted turn 2 heard: Sure" in lines
    assert "state: speaking" in lines and "state: listening" in lines
    assert ui.view.underruns == 1 and ui.view.barge_ins == 1


def test_live_ui_renders_state_meter_text_latency_and_underruns() -> None:
    ui = LiveUi()
    ui.connected("abcdef123456", 22050, 48000)
    ui.level(-20.0)
    ui.transcript(5, "tell me a joke")
    ui.reply_delta(5, "Why did the chicken")
    ui.playback("started", 5, 0.0)
    ui.latency(5, 480.0, {"stt_ms": 100.0, "tts_first_audio_ms": 70.0})
    ui.playback("underrun", 5, 300.0)
    ui.echo(152.0, 18.0)
    console = Console(file=io.StringIO(), width=110, record=True, color_system=None)
    console.print(ui.render())
    text = console.export_text()
    assert "SPEAKING" in text
    assert "dBFS" in text and "█" in text  # the meter
    assert "you: tell me a joke" in text
    assert "assistant: Why did the chicken" in text
    assert "480 ms" in text and "tts_first_audio=70" in text
    assert "underruns 1" in text
    assert "echo path 152 ms, cancelled 18 dB" in text
    ui.echo(None, 0.0, echo_free=True)
    console.print(ui.render())
    assert "no echo heard" in console.export_text()
    assert "resampled to 48000 Hz" in text


def test_make_ui_is_plain_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert isinstance(make_ui(plain=False), PlainUi)  # pytest's stdout is not a TTY
    assert isinstance(make_ui(plain=True), PlainUi)


def test_push_to_talk_sends_silence_until_talking() -> None:
    ptt = PushToTalk()
    frame = np.full(320, 1000, dtype=np.int16)
    assert not np.any(ptt.gate(frame))
    assert ptt.toggle() is True
    assert np.array_equal(ptt.gate(frame), frame)
    assert ptt.toggle() is False  # released: the caller sends commit
    assert not np.any(ptt.gate(frame))


def test_enter_presses_toggle() -> None:
    presses: list[int] = []
    thread = watch_enter(lambda: presses.append(1), io.StringIO("\n\n\n"))
    thread.join(2)
    assert len(presses) == 3


def test_devices_are_picked_by_index_or_name() -> None:
    assert parse_device(None) is None
    assert parse_device("3") == 3
    assert parse_device("USB Mic") == "USB Mic"


def test_playback_resampler_streams_each_turn_to_the_device_rate() -> None:
    res = PlaybackResampler(22_050, 48_000)
    t = np.arange(22_050) / 22_050
    pcm = (0.5 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    pieces = [res.convert(1, pcm[i : i + 2205]) for i in range(0, pcm.shape[0], 2205)]
    pieces.append(res.finish(1))
    out = np.concatenate(pieces)
    assert abs(out.shape[0] - 48_000) <= 2
    spectrum = np.abs(np.fft.rfft(out[4800:-4800]))
    peak_hz = np.argmax(spectrum) * 48_000 / (out.shape[0] - 9600)
    assert abs(peak_hz - 440) < 5
    same = PlaybackResampler(22_050, 22_050)
    np.testing.assert_allclose(same.convert(2, pcm[:100]), pcm[:100] / 32768.0)


def test_reference_tap_places_played_audio_on_the_mic_timeline_and_relocks_on_a_jump() -> None:
    echo = EchoSuppressor()
    echo.reference_log = []
    tap = ReferenceTap(echo, out_rate=16_000, in_rate=16_000)
    block = np.ones(160, dtype=np.float32)
    for k in range(8):  # the mic is 500 samples ahead of the speaker's count
        tap.add(block, 160 * k, mic_index=160 * k + 500.0)
    assert tap.offset == 500
    assert echo.reference_log[-1][0] == 160 * 7 + 500
    tap.add(block, 160 * 8, mic_index=None)  # unknown mic position: placement keeps counting
    assert echo.reference_log[-1][0] == 160 * 8 + 500
    jitter = np.random.default_rng(0).uniform(-300, 300, 200)
    for k in range(9, 209):  # callback timing jitter alone never moves it
        tap.add(block, 160 * k, mic_index=160 * k + 500 + jitter[k - 9])
    assert tap.offset == 500 and tap.relocks == 0
    for k in range(209, 300):  # the mic stream jumps 2 s (a stall, a burst): re-locked
        tap.add(block, 160 * k, mic_index=160 * k + 32_500.0)
    assert tap.relocks == 1 and tap.offset == 32_500


def test_speech_stopped_position_maps_to_the_send_time_of_its_frame() -> None:
    st = SendClock()
    for i in range(100):
        st.record(100.0 + 0.02 * i)
    assert st.sent_time(20.0) == pytest.approx(100.0)  # the first frame ends at 20 ms
    assert st.sent_time(1000.0) == pytest.approx(100.0 + 0.02 * 49)
    assert st.sent_time(1010.0) == pytest.approx(100.0 + 0.02 * 50)
    assert st.sent_time(5000.0) is None  # not sent yet


def test_turn_rows_survive_a_reconnect_that_restarts_turn_ids() -> None:
    out = io.StringIO()
    ui = PlainUi(out)
    ui.connected("first-session", 22050, 22050)
    ui.transcript(2, "what time is it")
    ui.latency(2, 600.0, {"stt_ms": 100.0})
    ui.connected("first-session", 22050, 22050, resumed=True)  # the server restarted: ids start again
    ui.transcript(2, "and the date")
    ui.latency(2, 700.0, {"stt_ms": 90.0})
    rows = [(t.turn_id, t.transcript, t.e2e_ms) for t in ui.view.turns]
    assert rows == [(1, "what time is it", 600.0), (2, "and the date", 700.0)]
    assert "latency turn 2: 700 ms end-to-end (stt=90)" in out.getvalue().splitlines()


def test_reconnect_returns_to_listening_and_playback_sets_the_state() -> None:
    out = io.StringIO()
    ui = PlainUi(out)
    ui.connected("s1", 22050, 22050)
    ui.set_state("thinking")
    ui.disconnected("connection lost (no close frame)", 0.5)
    ui.connected("s1", 22050, 22050, resumed=True)
    assert ui.view.state == "listening"
    ui.playback("started", 1, 0.0)
    assert ui.view.state == "speaking"
    ui.playback("finished", 1, 800.0)
    assert ui.view.state == "listening"
    lines = out.getvalue().splitlines()
    assert lines.index("connected: session s1, reply audio 22050 Hz (conversation resumed)") < len(lines) - 1


def test_a_merged_turn_leaves_no_empty_reply_and_no_stale_row() -> None:
    out = io.StringIO()
    ui = PlainUi(out)
    ui.connected("s1", 22050, 22050)
    ui.transcript(1, "what")
    ui.reply_done(1, "", interrupted=True)  # withdrawn: the user went on
    ui.transcript(2, "what time is it", replaces_turn=1)
    ui.reply_done(2, "It is noon.", interrupted=False)
    lines = out.getvalue().splitlines()
    assert not [line for line in lines if line.startswith("assistant") and not line.endswith("noon.")]
    assert [t.transcript for t in ui.view.turns] == ["what time is it"]


def test_repeated_connect_failures_print_once_and_no_node_says_how_to_start_one() -> None:
    out = io.StringIO()
    ui = PlainUi(out)
    for wait in (0.5, 1.0, 2.0, 4.0):
        ui.no_node("ws://127.0.0.1:8765", "connection refused", wait)
    for wait in (0.5, 1.0):
        ui.disconnected("refused (busy)", wait)
    lines = [line for line in out.getvalue().splitlines() if not line.startswith("state: ")]
    assert lines == [
        "no node answers at ws://127.0.0.1:8765 (connection refused); scripts/serve.sh starts one. "
        "Retrying quietly with backoff up to 8 s; Ctrl-C quits",
        "disconnected: refused (busy); reconnecting in 0.5 s",
    ]
    assert ui.view.connection == "disconnected: refused (busy); retrying in 1.0 s"
