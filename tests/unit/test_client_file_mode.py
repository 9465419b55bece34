"""File mode (``python -m client --input-wav``) against a scripted stub node: its messages, its
errors and its ``timing:`` line; and the one-line answer when no node runs."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from websockets.asyncio.server import ServerConnection

from app import protocol as p
from client.__main__ import main
from client.audio_files import write_wav
from client.connection import NoNode
from client.file_mode import FileRunResult, format_timing, run_file
from tests.stub_node import Script, StubNode


@pytest.fixture
def stub_node() -> Iterator[Callable[[Script], StubNode]]:
    nodes: list[StubNode] = []

    def start(script: Script) -> StubNode:
        nodes.append(StubNode(script))
        return nodes[-1]

    yield start
    for node in nodes:
        node.close()


@pytest.fixture
def question(tmp_path: Path) -> Path:
    path = tmp_path / "question.wav"
    write_wav(path, np.zeros(3200, dtype=np.int16), 16000)  # 0.2 s: the stub decides what it "heard"
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def merged_turn(ws: ServerConnection) -> None:
    """The user paused after "what", then went on: turn 1 is withdrawn, turn 2 answered."""
    await asyncio.sleep(0.3)  # a node speaks of stream positions it has received (200 ms here)
    audio = p.ReplyAudio(2, 0, np.full(1600, 500, dtype="<i2").tobytes()).encode()
    for message in (
        p.SpeechStarted(at_ms=0.0),
        p.SpeechStopped(at_ms=100.0, turn_id=1),
        p.Transcript(turn_id=1, text="what"),
        p.ReplyDone(turn_id=1, text="", interrupted=True),
        p.SpeechStarted(at_ms=120.0),
        p.SpeechStopped(at_ms=200.0, turn_id=2),
        p.Transcript(turn_id=2, text="what time is it", replaces_turn=1),
    ):
        await ws.send(message.encode())
    await ws.send(audio)
    await ws.send(p.ReplyDone(turn_id=2, text="It is noon.").encode())
    await ws.send(
        p.TurnTiming(turn_id=2, stages={"stt_ms": 120.0, "turn_p_complete": 0.97, "words_p_end": 0.4}).encode()
    )


async def hears_nothing(ws: ServerConnection) -> None:
    """A node whose VAD never hears speech (a silent recording)."""


async def never_answers(ws: ServerConnection) -> None:
    for message in (
        p.SpeechStarted(at_ms=0.0),
        p.SpeechStopped(at_ms=100.0, turn_id=1),
        p.Transcript(turn_id=1, text="hello"),
    ):
        await ws.send(message.encode())


def test_a_merged_turn_prints_no_empty_reply_and_timing_reads_as_ms_and_probabilities(
    stub_node, question: Path
) -> None:
    node = stub_node(merged_turn)
    lines: list[str] = []
    result = asyncio.run(run_file(node.url, question, timeout_s=20, trailing_silence_s=0.3, echo=lines.append))
    assert result.replies == ["It is noon."]
    assert "assistant: " not in lines and "assistant: It is noon." in lines
    timing = next(line for line in lines if line.startswith("timing: "))
    assert "turn_p_complete=0.97" in timing and "words_p_end=0.40" in timing and "stt=120ms" in timing
    assert "ms" not in timing.split("turn_p_complete=")[1].split(",")[0]
    # The end-to-end figure: from sending the frame at 200 ms to the first reply audio, measured here.
    assert timing.startswith("timing: end_to_end=") and "end_to_end=n/a" not in timing
    assert len(result.e2e_ms) == 1 and result.e2e_ms[0] >= 0.0
    assert result.problem(question) is None


def test_a_silent_recording_ends_soon_with_no_speech_found(stub_node, question: Path) -> None:
    node = stub_node(hears_nothing)
    result = asyncio.run(
        run_file(node.url, question, timeout_s=20, trailing_silence_s=0.1, quiet_s=0.3, echo=lambda _: None)
    )
    assert not result.replies and not result.heard_speech
    assert result.problem(question) == f"no speech found in {question}"


def test_a_timeout_says_what_it_waited_for(stub_node, question: Path) -> None:
    node = stub_node(never_answers)
    with pytest.raises(TimeoutError, match=r"^no complete reply within 1.5 s$"):
        asyncio.run(run_file(node.url, question, timeout_s=1.5, trailing_silence_s=0.1, echo=lambda _: None))


def test_main_prints_a_real_message_for_silence_a_timeout_and_no_node(
    stub_node, question: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    silent = stub_node(hears_nothing)
    assert main(["--server", silent.url, "--input-wav", str(question)]) == 1
    assert capsys.readouterr().err.strip() == f"error: no speech found in {question}"

    slow = stub_node(never_answers)
    assert main(["--server", slow.url, "--input-wav", str(question), "--timeout", "1"]) == 1
    assert capsys.readouterr().err.strip() == "error: no complete reply within 1 s"

    url = f"ws://127.0.0.1:{free_port()}"
    assert main(["--server", url, "--input-wav", str(question)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: no node answers at {url} (connection refused); scripts/serve.sh starts one"


def test_no_node_names_the_reason() -> None:
    assert NoNode("ws://x", ConnectionRefusedError(111, "refused")).reason == "connection refused"
    assert NoNode("ws://x", socket.gaierror(-2, "Name or service not known")).reason == "unknown host"
    assert NoNode("ws://x", TimeoutError()).reason == "timed out"
    assert str(NoNode("ws://x", OSError(113, "No route to host"))) == (
        "no node answers at ws://x (No route to host); scripts/serve.sh starts one"
    )


def test_timing_line_and_problems() -> None:
    line = format_timing({"llm_first_token_ms": 95.4, "turn_p_complete": 0.0, "endpoint_wait_ms": 240.0}, 612.2)
    assert line == "timing: end_to_end=612ms, endpoint_wait=240ms, llm_first_token=95ms, turn_p_complete=0.00"
    assert format_timing({}, None) == "timing: end_to_end=n/a"
    path = Path("q.wav")
    assert FileRunResult(heard_speech=True, transcripts=[""]).problem(path) == "nothing intelligible heard in q.wav"
    assert FileRunResult(heard_speech=True, transcripts=["hi"]).problem(path) == "no reply"
