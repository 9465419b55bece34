"""Access control on a live node: TLS with a self-signed certificate, static and signed tokens."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI, DefaultAsyncHttpxClient
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app import protocol as p
from app.auth import SUBPROTOCOL, mint_token
from client.connection import ClientSession
from tests.conftest import ServerProcess, start_server

pytestmark = pytest.mark.e2e
SECRET = "test-signing-secret"
STATIC = "static-desktop-token-0123456789"


@pytest.fixture(scope="module")
def tls_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ssl.SSLContext]]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    tokens = directory / "tokens.txt"
    tokens.write_text(f"# desktop clients\n{STATIC}\n")
    os.environ["EDGE_VOICE_TOKEN_SECRET"] = SECRET
    try:
        node = start_server(directory / "node.log", "--certfile", str(cert), "--keyfile", str(key),
                            "--api-token-file", str(tokens), "--store", "memory://")
    finally:
        del os.environ["EDGE_VOICE_TOKEN_SECRET"]
    context = ssl.create_default_context(cafile=str(cert))
    yield node, context
    node.stop()


def status_of_refusal(url: str, context: ssl.SSLContext, **kwargs: object) -> int:
    async def attempt() -> int:
        with pytest.raises(InvalidStatus) as info:
            await connect(url, ssl=context, **kwargs)
        return info.value.response.status_code

    return asyncio.run(attempt())


def test_serves_wss_with_a_static_token(tls_node: tuple[ServerProcess, ssl.SSLContext]) -> None:
    node, context = tls_node
    assert node.url.startswith("wss://")

    async def session() -> p.Ready:
        s = await ClientSession.open(node.url, token=STATIC, ssl=context)
        await s.close()
        return s.ready

    assert asyncio.run(session()).session_id


def test_unauthenticated_and_wrong_tokens_are_refused(tls_node: tuple[ServerProcess, ssl.SSLContext]) -> None:
    node, context = tls_node
    assert status_of_refusal(node.url, context) == 401
    assert status_of_refusal(node.url, context, additional_headers={"Authorization": "Bearer nope"}) == 401
    expired = mint_token(SECRET.encode(), -10)
    assert status_of_refusal(node.url + "/?token=" + expired, context) == 401
    forged = mint_token(b"not-the-secret", 60)
    assert status_of_refusal(node.url, context, subprotocols=[SUBPROTOCOL, f"bearer.{forged}"]) == 401
    assert STATIC not in node.log() and expired not in node.log()


def test_browser_style_signed_token_in_subprotocol(tls_node: tuple[ServerProcess, ssl.SSLContext]) -> None:
    node, context = tls_node
    token = mint_token(SECRET.encode(), 60)

    async def session() -> str | None:
        ws = await connect(node.url, ssl=context, subprotocols=[SUBPROTOCOL, f"bearer.{token}"])
        await ws.send(p.Hello().encode())
        assert isinstance(p.decode_server_message(await ws.recv()), p.Ready)
        chosen = ws.subprotocol
        await ws.close()
        return chosen

    assert asyncio.run(session()) == SUBPROTOCOL


def test_session_scoped_token_opens_only_its_session(tls_node: tuple[ServerProcess, ssl.SSLContext]) -> None:
    node, context = tls_node
    token = mint_token(SECRET.encode(), 60, session_id="bound-session-0001")

    async def scenario() -> tuple[p.Message, p.Message]:
        ws = await connect(node.url + "/?token=" + token, ssl=context)
        await ws.send(p.Hello().encode())
        ready = p.decode_server_message(await ws.recv())
        await ws.close()
        ws = await connect(node.url + "/?token=" + token, ssl=context)
        await ws.send(p.Hello(session_id="someone-elses-session").encode())
        refused = p.decode_server_message(await ws.recv())
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        return ready, refused

    ready, refused = asyncio.run(scenario())
    assert isinstance(ready, p.Ready) and ready.session_id == "bound-session-0001"
    assert isinstance(refused, p.Error) and refused.code == p.ErrorCode.FORBIDDEN


def test_a_session_opens_only_for_the_token_that_created_it(tls_node: tuple[ServerProcess, ssl.SSLContext]) -> None:
    node, context = tls_node

    async def scenario() -> tuple[p.Message, bool]:
        mine = await ClientSession.open(node.url, token=STATIC, ssl=context)
        sid = mine.ready.session_id
        await mine.close()
        signed = mint_token(SECRET.encode(), 60)  # valid, but someone else's
        ws = await connect(node.url, ssl=context, subprotocols=[SUBPROTOCOL, f"bearer.{signed}"])
        await ws.send(p.Hello(session_id=sid).encode())
        refused = p.decode_server_message(await ws.recv())
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        again = await ClientSession.open(node.url, token=STATIC, ssl=context, session_id=sid)
        await again.close()
        return refused, again.ready.resumed

    refused, resumed = asyncio.run(scenario())
    assert isinstance(refused, p.Error) and refused.code == p.ErrorCode.FORBIDDEN and resumed


def test_non_loopback_bind_without_auth_needs_insecure(tmp_path: Path) -> None:
    import sys

    from tests.conftest import REPO

    refused = subprocess.run([sys.executable, "-m", "app", "--host", "0.0.0.0", "--port", "0"], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--insecure" in refused.stderr


def test_realtime_client_secrets_over_tls_and_the_browser_form_of_the_key(
        tls_node: tuple[ServerProcess, ssl.SSLContext]) -> None:
    """The SDK mints a client secret over https with a signed node token; a browser-style
    connection (subprotocols, no headers) opens /v1/realtime over wss with it and starts with the
    bound session; a wrong key is refused with 401 before the websocket opens; no key is logged."""
    node, context = tls_node
    signed = mint_token(SECRET.encode(), 60, subject="backend")

    async def scenario() -> tuple[str, str | None, dict[str, Any]]:
        client = AsyncOpenAI(api_key=signed, base_url=f"{node.http}/v1", max_retries=0,
                             http_client=DefaultAsyncHttpxClient(verify=context))
        secret = await client.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": 30},
            session={"type": "realtime", "instructions": "Reply in one short sentence.",
                     "audio": {"output": {"format": {"type": "audio/pcmu"}}}},
        )
        await client.close()
        offer = ["realtime", f"openai-insecure-api-key.{secret.value}"]
        async with connect(f"{node.url}/v1/realtime?model=gpt-realtime", ssl=context, subprotocols=offer) as ws:
            return secret.value, ws.subprotocol, json.loads(await ws.recv())

    value, chosen, created = asyncio.run(scenario())
    assert value.startswith("ek_") and chosen == "realtime" and created["type"] == "session.created"
    assert created["session"]["instructions"] == "Reply in one short sentence."
    assert created["session"]["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    wrong = ["realtime", "openai-insecure-api-key.not-a-key-0123456789"]
    assert status_of_refusal(f"{node.url}/v1/realtime", context, subprotocols=wrong) == 401
    log = node.log()
    assert value not in log and signed not in log and "not-a-key-0123456789" not in log
