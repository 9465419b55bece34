"""The desktop client's reconnect on real audio devices (the PulseAudio ``rig`` of
tests/desktop_rig.py), against a scripted websocket server or no node at all: no models.

Its reconnect against the real server (a node killed and restarted under it) is an end-to-end
test: tests/e2e/test_desktop_audio.py.
"""

from __future__ import annotations

import asyncio
import re
import time

import numpy as np
from websockets.asyncio.server import ServerConnection

from app import protocol as p
from tests.desktop_rig import Rig, assert_quiet_stderr
from tests.services import free_port
from tests.stub_node import StubNode, swallow


class FlakyServer:
    """A scripted edge server on a thread (a StubNode with a connection handler of its own): the
    first session drops after a moment, the next ``refuse`` connections are refused (1013), then it
    accepts again. It records when each connection came (monotonic seconds) and the hello it sent."""

    def __init__(self, refuse: int = 3) -> None:
        self.attempts: list[float] = []
        self.hellos: list[p.Hello] = []
        self._refuse = refuse
        self._node = StubNode(handler=self._connection)
        self.url = self._node.url

    async def _connection(self, ws: ServerConnection) -> None:
        n = len(self.attempts)
        self.attempts.append(time.monotonic())
        hello = p.decode_client_message(await ws.recv())
        assert isinstance(hello, p.Hello)
        self.hellos.append(hello)
        if 0 < n <= self._refuse:
            await ws.close(1013, "try again later")
            return
        ready = p.Ready(session_id=hello.session_id or f"flaky{n}", input={"sample_rate": 16000, "frame_ms": 20},
                        output={"sample_rate": 22050, "channels": 1, "encoding": "pcm_s16le"}, pipeline="fast",
                        resumed=hello.session_id is not None)
        await ws.send(ready.encode())
        reader = asyncio.create_task(swallow(ws))
        if n == 0:
            await asyncio.sleep(1.0)
            await ws.close(1011, "going down")
        await asyncio.gather(reader, return_exceptions=True)

    def close(self) -> None:
        self._node.close()


def test_dropped_connection_reconnects_with_exponential_backoff(rig: Rig) -> None:
    node = FlakyServer(refuse=3)
    try:
        client = rig.start(node.url)
        client.wait_for(r"^disconnected: connection lost", timeout=10)
        client.wait_for(r"^connected: session flaky0, .*\(conversation resumed\)", timeout=30)
        assert len(node.attempts) == 5
        # Every reconnect asked to resume the first session (its history).
        assert [h.session_id for h in node.hellos] == [None] + ["flaky0"] * 4
        gaps = np.diff(node.attempts[1:])  # between the retries after the drop
        print(f"retry gaps: {np.round(gaps, 2)}")
        for gap, expected in zip(gaps, [1.0, 2.0, 4.0], strict=False):
            assert expected * 0.9 <= gap <= expected + 1.0, gaps
        # One line for the drop and one for the first refusal; the same refusal again stays quiet.
        lines = client.matching(r"^disconnected: ")
        delays = [re.search(r"reconnecting in ([\d.]+) s", line).group(1) for line in lines]  # type: ignore[union-attr]
        assert delays == ["0.5", "1.0"], lines
        assert client.interrupt() == 0, client.transcript()
    finally:
        node.close()


def test_no_node_prints_one_hint_and_keeps_retrying_quietly(rig: Rig) -> None:
    url = f"ws://127.0.0.1:{free_port()}"
    client = rig.start(url, wait_connected=False)
    client.wait_for(rf"^no node answers at {re.escape(url)} \(connection refused\); scripts/serve\.sh starts one",
                    timeout=30)
    time.sleep(4.0)  # retries after 0.5, 1 and 2 s
    assert len(client.matching(r"^no node answers")) == 1, client.transcript()
    assert not client.matching(r"^disconnected: "), client.transcript()
    assert client.interrupt() == 0, client.transcript()
    assert not client.matching(r"^stats: "), "developer statistics without --verbose"
    assert_quiet_stderr(client)
