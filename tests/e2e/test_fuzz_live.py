"""A websocket-level fuzz barrage against a live node: hundreds of connections, a few at a time,
sending junk binary and text frames, protocol violations, broken frames, invalid UTF-8, pings,
and closing the TCP connection abruptly mid-handshake and mid-stream. Afterwards the node must
be healthy, hold no session, have no leaked asyncio task, have logged no unhandled exception,
and still answer a real turn.

Cases are drawn from a seeded RNG (``FUZZ_LIVE_SEED`` to change it, ``FUZZ_LIVE_CASES`` for
the count), so a failure is reproducible.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import re
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from app import protocol as p
from client.audio_files import read_mono
from client.file_mode import run_file
from tests.conftest import JFK, ServerProcess, start_server

pytestmark = pytest.mark.e2e

CASES = int(os.environ.get("FUZZ_LIVE_CASES", "200"))
SEED = int(os.environ.get("FUZZ_LIVE_SEED", "20240607"))
CONCURRENCY = 4
CASE_TIMEOUT_S = 30.0
STAGE_POOL = 8
"""Worker threads of the engine's stage pool (created on demand, then kept): allowed growth."""
ERROR_CODES = frozenset(v for k, v in vars(p.ErrorCode).items() if not k.startswith("_") and isinstance(v, str))
UNHANDLED = re.compile(r"Traceback|connection handler failed|never retrieved|unexpected internal error|"
                       r"Exception in callback|opening handshake failed|process_request failed|keepalive ping failed")
"""What the log shows when an exception escaped the server's own handling."""


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("fuzz-live")
    # Room for the barrage's concurrent sessions, so most cases reach the session, not "busy".
    srv = start_server(directory / "node.log", "--store", "memory://", "--max-sessions", "16", "--llm-instances", "2")
    yield srv
    srv.stop()


def info(node: ServerProcess) -> dict[str, Any]:
    with urllib.request.urlopen(f"{node.http}/info", timeout=5) as response:
        return json.load(response)


def healthz(node: ServerProcess) -> int:
    with urllib.request.urlopen(f"{node.http}/healthz", timeout=5) as response:
        return response.status


def wait_idle(node: ServerProcess, tasks: int = 10**6, threads: int = 10**6, timeout_s: float = 60.0) -> dict[str, Any]:
    """Poll /info until no session is left and the task and thread counts are down to the limits."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = info(node)
        idle = now["active_sessions"] == 0 and now["tasks"] <= tasks and now["threads"] <= threads
        if idle or time.monotonic() > deadline:
            return now
        time.sleep(0.5)


# ------------------------------------------------------------------ a raw websocket client


def ws_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, mask: bool = True,
             length: int | None = None) -> bytes:
    """One websocket frame, built by hand so that it can break the rules."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if not mask:
        return head + payload
    key = os.urandom(4)
    data = np.frombuffer(payload, dtype=np.uint8)
    masked = data ^ np.resize(np.frombuffer(key, dtype=np.uint8), data.shape[0])
    return head + key + masked.tobytes()


TEXT, BINARY, CLOSE, PING, PONG, CONT = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


def upgrade_request(host: str, port: int) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


async def raw_open(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(upgrade_request(parts.hostname or "", parts.port or 0))
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head[:80]
    return reader, writer


async def raw_read_until_close(reader: asyncio.StreamReader, timeout_s: float = 10.0) -> str:
    """Read server frames until its close frame or EOF; returns 'close <code>', 'eof' or 'open'."""
    async def read() -> str:
        while True:
            head = await reader.readexactly(2)
            opcode, n = head[0] & 0x0F, head[1] & 0x7F
            if n == 126:
                n = int.from_bytes(await reader.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await reader.readexactly(8), "big")
            payload = await reader.readexactly(n)
            if opcode == TEXT:
                check_server_text(payload.decode())
            if opcode == CLOSE:
                return f"close {int.from_bytes(payload[:2], 'big')}" if len(payload) >= 2 else "close"

    try:
        return await asyncio.wait_for(read(), timeout_s)
    except asyncio.IncompleteReadError:
        return "eof"
    except TimeoutError:
        return "open"
    except ConnectionError:
        return "reset"


def abort(writer: asyncio.StreamWriter) -> None:
    """Drop the TCP connection without a close frame (RST where the kernel sends one)."""
    writer.transport.abort()


# ------------------------------------------------------------------ checks on what the server says


def check_server_text(raw: str) -> p.Message | None:
    """Every server text frame is a well-formed message; errors carry a known code."""
    message = p.decode_server_message(raw)
    if isinstance(message, p.Error):
        assert message.code in ERROR_CODES, message
    return message


async def drain(ws: ClientConnection, seconds: float) -> list[str]:
    """What the server sends for ``seconds`` (or until it closes), as short labels."""
    seen: list[str] = []
    deadline = asyncio.get_running_loop().time() + seconds
    try:
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                raw = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                break
            if isinstance(raw, bytes):
                p.ReplyAudio.decode(raw)
                seen.append("audio")
            else:
                message = check_server_text(raw)
                assert message is not None
                seen.append(f"error:{message.code}" if isinstance(message, p.Error) else message.type)
    except ConnectionClosed:
        seen.append(f"closed:{ws.close_code}")
    return seen


def label(seen: list[str]) -> str:
    """The outcome of a case: its last error code, or how it closed, or 'ok'."""
    errors = [s for s in seen if s.startswith("error:")]
    closes = [s for s in seen if s.startswith("closed:")]
    return (errors[-1] if errors else "ok") + (f" + {closes[-1]}" if closes else "")


async def opened(url: str) -> ClientConnection:
    ws = await connect(url, max_size=2**22, open_timeout=10, close_timeout=2, compression=None)
    await ws.send(p.Hello().encode())
    first = check_server_text(await asyncio.wait_for(ws.recv(), 10))
    if isinstance(first, p.Error):
        raise ConnectionRefusedError(first.code)
    assert isinstance(first, p.Ready)
    return ws


# ------------------------------------------------------------------ the cases


def junk_text(rng: random.Random) -> str:
    choices: list[Callable[[], str]] = [
        lambda: "{" * rng.randint(1, 50),
        lambda: json.dumps({"type": rng.choice([*sorted(p.CLIENT_MESSAGES), "x", ""]), "turn_id": rng.choice(
            [None, -1, 2**70, "1", 1.5, True]), "played_ms": rng.choice([-1, 1e308, "x", None, [], {}])}),
        lambda: '{"type":"interrupt","turn_id":' + "9" * rng.randint(4000, 5000) + ',"played_ms":0}',
        lambda: "[" * rng.randint(500, 4000) + "]" * 10,
        lambda: '{"type":"interrupt","turn_id":1,"played_ms":' + rng.choice(["NaN", "Infinity", "1e999"]) + "}",
        lambda: "".join(chr(rng.randint(1, 0x10FFFF)) for _ in range(rng.randint(0, 50))).encode(
            "utf-8", "replace").decode("utf-8", "replace"),
        lambda: "x" * rng.choice([p.MAX_TEXT_MESSAGE_BYTES + 1, 40_000, 70_000]),
        lambda: "\u00e9" * rng.randint(4097, 8000),
        lambda: json.dumps({"type": "hello", "protocol": 1, "sample_rate": 16000}),  # duplicate hello
        lambda: json.dumps({"type": "get_history"}),
        lambda: json.dumps({"type": "commit"}),
        lambda: json.dumps({"type": "reset"}),
        lambda: "",
    ]
    return rng.choice(choices)()


def junk_binary(rng: random.Random) -> bytes:
    n = rng.choice([0, 1, 2, 3, 319, 640, 641, 16_000, 16_001, 16_002, 40_000, 70_000, rng.randint(0, 2000)])
    return rng.randbytes(n) if n < 5000 else bytes(n)


async def case_binary_junk(url: str, rng: random.Random) -> str:
    ws = await opened(url)
    try:
        for _ in range(rng.randint(1, 30)):
            await ws.send(junk_binary(rng))
            if rng.random() < 0.3:
                await asyncio.sleep(0.02)
        return label(await drain(ws, 0.5))
    except ConnectionClosed:
        return label(await drain(ws, 0.1))
    finally:
        await ws.close()


async def case_text_junk(url: str, rng: random.Random) -> str:
    ws = await opened(url)
    try:
        for _ in range(rng.randint(1, 15)):
            await ws.send(junk_text(rng))
        return label(await drain(ws, 0.5))
    except ConnectionClosed:
        return label(await drain(ws, 0.1))
    finally:
        await ws.close()


async def case_mixed(url: str, rng: random.Random) -> str:
    ws = await opened(url)
    try:
        for _ in range(rng.randint(5, 40)):
            await ws.send(junk_text(rng) if rng.random() < 0.4 else junk_binary(rng))
        return label(await drain(ws, 0.5))
    except ConnectionClosed:
        return label(await drain(ws, 0.1))
    finally:
        await ws.close()


async def case_audio_before_hello(url: str, rng: random.Random) -> str:
    async with connect(url, open_timeout=10, close_timeout=2) as ws:
        await ws.send(bytes(rng.choice([0, 2, 640, 16_000])))
        return label(await drain(ws, 5))


async def case_bad_hello(url: str, rng: random.Random) -> str:
    fields: dict[str, Any] = {"type": "hello", "protocol": 1, "sample_rate": 16000}
    key, value = rng.choice([
        ("protocol", 2), ("protocol", "1"), ("protocol", None), ("protocol", 2**80), ("sample_rate", 48000),
        ("sample_rate", 16000.0), ("sample_rate", True), ("pipeline", "warp"), ("pipeline", 7),
        ("session_id", "short"), ("session_id", "x" * 500), ("session_id", "\u00e9" * 20), ("session_id", 12),
        ("session_id", "unknown-session-0123456789abcdef"), ("client", ["a"]), ("type", "Hello"),
    ])
    fields[key] = value
    if rng.random() < 0.2:
        del fields["sample_rate"]
    async with connect(url, open_timeout=10, close_timeout=2) as ws:
        await ws.send(json.dumps(fields))
        if rng.random() < 0.5:
            await ws.send(bytes(640))  # audio right behind a hello the server may refuse
        return label(await drain(ws, 2))


async def case_handshake_abort(url: str, rng: random.Random) -> str:
    parts = urlsplit(url)
    _reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    request = upgrade_request(parts.hostname or "", parts.port or 0)
    cut = rng.randint(0, len(request) - 1)
    writer.write(request[:cut])
    await writer.drain()
    await asyncio.sleep(rng.choice([0, 0.01, 0.2]))
    if rng.random() < 0.5:
        abort(writer)
    else:
        writer.close()
    return "aborted mid-handshake"


async def case_frame_abort(url: str, rng: random.Random) -> str:
    """Open, then send part of a frame (header or payload) and drop the connection."""
    _reader, writer = await raw_open(url)
    frame = ws_frame(rng.choice([TEXT, BINARY]), p.Hello().encode().encode() if rng.random() < 0.5 else bytes(640))
    writer.write(frame[: rng.randint(1, len(frame) - 1)])
    await writer.drain()
    abort(writer)
    return "aborted mid-frame"


async def case_stream_abort(url: str, rng: random.Random, speech: np.ndarray) -> str:
    """Stream real speech (turns start, models run), then drop the TCP connection without a close."""
    ws = await opened(url)
    start = rng.randint(0, speech.shape[0] // 2) // 320 * 320
    seconds = rng.uniform(0.3, 4.0)
    chunk = speech[start : start + int(seconds * 16_000)]
    t0 = time.monotonic()
    sent = 0
    seen: list[str] = []
    for offset in range(0, chunk.shape[0], 320):
        await ws.send(chunk[offset : offset + 320].tobytes())
        sent += 320
        # Twice real time: ahead of the clock, but within the server's 3 s lead.
        await asyncio.sleep(max(0.0, t0 + sent / 32_000 - time.monotonic()))
    if rng.random() < 0.5:  # a pause, so that a (speculative) turn is running when the line drops
        for _ in range(rng.randint(5, 60)):
            await ws.send(bytes(640))
            await asyncio.sleep(0.02)
        seen = await drain(ws, 0.05)
    ws.transport.abort()
    return "aborted mid-stream" + (" (after reply audio)" if "audio" in seen else "")


async def case_pings(url: str, rng: random.Random) -> str:
    ws = await opened(url)
    try:
        for _ in range(rng.randint(1, 5)):
            pong = await ws.ping(rng.randbytes(rng.randint(0, 125)))
            await asyncio.wait_for(pong, 10)
        await ws.pong(b"unsolicited")
        await ws.send(p.GetHistory().encode())
        return label(await drain(ws, 0.3))
    finally:
        await ws.close()


async def case_invalid_utf8(url: str, rng: random.Random) -> str:
    reader, writer = await raw_open(url)
    if rng.random() < 0.5:
        writer.write(ws_frame(TEXT, p.Hello().encode().encode()))
    bad = rng.choice([b"\xff\xfe", b'{"type":"hello"\xc3}', b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"abc\xe2\x82"])
    writer.write(ws_frame(TEXT, bad))
    await writer.drain()
    outcome = await raw_read_until_close(reader)
    writer.close()
    return f"invalid utf-8 -> {outcome}"


async def case_raw_violation(url: str, rng: random.Random) -> str:
    reader, writer = await raw_open(url)
    name, frames = rng.choice([
        ("unmasked", [ws_frame(TEXT, p.Hello().encode().encode(), mask=False)]),
        ("rsv bits", [ws_frame(TEXT, p.Hello().encode().encode(), rsv=rng.randint(1, 7))]),
        ("unknown opcode", [ws_frame(rng.choice([0x3, 0x7, 0xB, 0xF]), b"x")]),
        ("fragmented ping", [ws_frame(PING, b"x", fin=False)]),
        ("long ping", [ws_frame(PING, bytes(200))]),
        ("orphan continuation", [ws_frame(CONT, b"abc")]),
        ("bad close code", [ws_frame(CLOSE, (rng.choice([0, 999, 1005, 1006, 5000])).to_bytes(2, "big"))]),
        ("close with 1 byte", [ws_frame(CLOSE, b"\x03")]),
        ("huge length", [ws_frame(BINARY, b"", length=2**63 - 1)]),
        ("over max_size", [ws_frame(BINARY, bytes(70_000))]),
        ("fragments", [ws_frame(TEXT, b'{"type":', fin=False), ws_frame(CONT, b'"get_history"}')]),
        ("interleaved", [ws_frame(TEXT, b'{"type":', fin=False), ws_frame(BINARY, bytes(640))]),
        ("hello in fragments then audio", [ws_frame(TEXT, p.Hello().encode().encode()[:5], fin=False),
                                           ws_frame(CONT, p.Hello().encode().encode()[5:]),
                                           ws_frame(BINARY, bytes(640))]),
    ])
    for frame in frames:
        writer.write(frame)
    await writer.drain()
    outcome = await raw_read_until_close(reader, 5)
    writer.close()
    return f"{name} -> {outcome}"


async def case_http_junk(url: str, rng: random.Random) -> str:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(rng.choice([
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",  # no key
        (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n"
         b"Sec-WebSocket-Version: 8\r\n\r\n"),
        b"POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),  # a TLS ClientHello on a plain port
        os.urandom(rng.randint(1, 3000)),
    ]))
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(200), 5)
    except (TimeoutError, ConnectionError):
        answer = b""
    writer.close()
    return "http junk -> " + (answer.split(b"\r\n", 1)[0].decode(errors="replace")[:30] or "closed")


KINDS: list[tuple[str, int]] = [
    ("binary_junk", 3), ("text_junk", 3), ("mixed", 2), ("audio_before_hello", 1), ("bad_hello", 2),
    ("handshake_abort", 2), ("frame_abort", 1), ("stream_abort", 3), ("pings", 1), ("invalid_utf8", 1),
    ("raw_violation", 2), ("http_junk", 1),
]


async def barrage(url: str, speech: np.ndarray) -> tuple[Counter[str], Counter[str], list[str]]:
    """Run CASES cases, CONCURRENCY at a time; returns (cases per kind, outcomes, failures)."""
    master = random.Random(SEED)
    functions: dict[str, Callable[[str, random.Random], Awaitable[str]]] = {
        "binary_junk": case_binary_junk, "text_junk": case_text_junk, "mixed": case_mixed,
        "audio_before_hello": case_audio_before_hello, "bad_hello": case_bad_hello,
        "handshake_abort": case_handshake_abort, "frame_abort": case_frame_abort,
        "stream_abort": lambda u, r: case_stream_abort(u, r, speech), "pings": case_pings,
        "invalid_utf8": case_invalid_utf8, "raw_violation": case_raw_violation, "http_junk": case_http_junk,
    }
    names = [n for n, w in KINDS for _ in range(w)]
    plan = [(i, master.choice(names), master.randrange(2**32)) for i in range(CASES)]
    kinds: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int, kind: str, seed: int) -> None:
        async with gate:
            kinds[kind] += 1
            try:
                outcome = await asyncio.wait_for(functions[kind](url, random.Random(seed)), CASE_TIMEOUT_S)
            except ConnectionRefusedError as exc:
                outcome = f"refused {exc}"  # "busy": the node was full for a moment
            except (ConnectionClosed, ConnectionError, InvalidHandshake, asyncio.IncompleteReadError) as exc:
                outcome = f"{type(exc).__name__}"
            except TimeoutError:
                failures.append(f"case {i} ({kind}, seed {seed}): hung for {CASE_TIMEOUT_S:.0f} s")
                return
            except (AssertionError, p.ProtocolError) as exc:
                failures.append(f"case {i} ({kind}, seed {seed}): {exc}")
                return
            outcomes[f"{kind}: {outcome}"] += 1

    await asyncio.gather(*(one(*case) for case in plan))
    return kinds, outcomes, failures


def test_fuzz_barrage_leaves_the_node_healthy(node: ServerProcess) -> None:
    speech = read_mono(JFK, 16_000)
    warm = asyncio.run(run_file(node.url, JFK, timeout_s=120, echo=lambda _: None))
    assert warm.replies, "warm-up turn failed"
    before = wait_idle(node)

    started = time.monotonic()
    kinds, outcomes, failures = asyncio.run(barrage(node.url, speech))
    elapsed = time.monotonic() - started
    print(f"\nfuzz barrage: {sum(kinds.values())} cases in {elapsed:.0f} s, {CONCURRENCY} at a time (seed {SEED})")
    for kind, n in sorted(kinds.items()):
        print(f"  {kind:<20} {n}")
    print("outcomes:")
    for outcome, n in sorted(outcomes.items()):
        print(f"  {n:>4}  {outcome}")

    assert not failures, "\n".join(failures)
    assert sum(kinds.values()) == CASES
    assert node.process.poll() is None, "the server died"
    assert healthz(node) == 200
    after = wait_idle(node, tasks=before["tasks"], threads=before["threads"] + STAGE_POOL)
    print(f"/info before: threads {before['threads']}, tasks {before['tasks']}; "
          f"after: threads {after['threads']}, tasks {after['tasks']}, sessions {after['active_sessions']}")
    assert after["active_sessions"] == 0
    assert after["tasks"] <= before["tasks"], "asyncio tasks leaked"
    assert after["threads"] <= before["threads"] + STAGE_POOL, "threads leaked (beyond the stage pool's workers)"
    log = node.log()
    unhandled = [line for line in log.splitlines() if UNHANDLED.search(line)]
    assert not unhandled, "unhandled exceptions in the server log:\n" + "\n".join(unhandled[:20])

    result = asyncio.run(run_file(node.url, JFK, timeout_s=120, echo=lambda _: None))
    assert not result.errors, [e.code for e in result.errors]
    assert any(result.transcripts) and result.replies and result.reply_audio.shape[0] > 0
    assert "ask not what your country" in " ".join(result.transcripts).lower()
