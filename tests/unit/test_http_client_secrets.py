"""``POST /v1/realtime/client_secrets`` and OpenAI's browser form of the key, on the real
``EdgeServer`` (fake engine, loopback): the official SDK mints a secret with a node token, a
websockets client opens ``/v1/realtime`` with it the way a browser does (subprotocols
``realtime`` and ``openai-insecure-api-key.<key>``), and its ``session.created`` shows the bound
configuration; wrong, expired and misused secrets are refused before the websocket opens."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.auth import Grant, mint_token
from tests.unit.test_admission import edge_server, run
from tests.unit.test_http_hardening import http

TOKEN = "node-token-0123456789abcdef"
SESSION = {
    "type": "realtime",
    "model": "gpt-realtime",
    "instructions": "Answer like a pirate.",
    "tools": [{"type": "function", "name": "get_weather", "description": "The weather in a city",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
    "tool_choice": "auto",
    "tracing": "auto",  # accepted and ignored, as in session.update
    "audio": {
        "input": {"format": {"type": "audio/pcmu"}, "turn_detection": {"type": "semantic_vad", "eagerness": "high"}},
        "output": {"format": {"type": "audio/pcma"}},
    },
}


def base(url: str) -> str:
    return url.removeprefix("ws://").split("/")[0]


def post(path: str, body: bytes, *extra: str, token: str | None = TOKEN) -> bytes:
    auth = [f"Authorization: Bearer {token}"] if token else []
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
            f"Content-Length: {len(body)}", *auth, *extra]
    return "\r\n".join([*head, "", ""]).encode() + body


async def first_event(url: str, key: str, *, offer_beta: bool = False) -> tuple[str | None, dict[str, Any]]:
    """Open /v1/realtime as a browser does; the selected subprotocol and the first event."""
    protocols = ["realtime", f"openai-insecure-api-key.{key}"] + (["openai-beta.realtime-v1"] if offer_beta else [])
    async with connect(f"ws://{base(url)}/v1/realtime?model=gpt-realtime", subprotocols=protocols) as ws:
        return ws.subprotocol, json.loads(await ws.recv())


def test_the_sdk_mints_a_secret_and_a_browser_style_connection_starts_with_its_session() -> None:
    async def main() -> None:
        async with edge_server(api_tokens=(TOKEN,)) as (_, url):
            client = AsyncOpenAI(api_key=TOKEN, base_url=f"http://{base(url)}/v1", max_retries=0)
            secret = await client.realtime.client_secrets.create(
                expires_after={"anchor": "created_at", "seconds": 60}, session=SESSION  # type: ignore[arg-type]
            )
            assert secret.value.startswith("ek_") and TOKEN not in secret.value
            assert time.time() + 50 < secret.expires_at <= time.time() + 61
            assert secret.session.type == "realtime" and secret.session.instructions == "Answer like a pirate."
            assert secret.session.model == "gpt-realtime"
            assert [tool.name for tool in secret.session.tools or []] == ["get_weather"]  # type: ignore[union-attr]

            chosen, created = await first_event(url, secret.value, offer_beta=True)
            assert chosen == "realtime" and created["type"] == "session.created"
            session = created["session"]
            assert session["instructions"] == "Answer like a pirate."
            assert session["audio"]["input"]["format"] == {"type": "audio/pcmu"}
            assert session["audio"]["output"]["format"] == {"type": "audio/pcma"}
            assert session["audio"]["input"]["turn_detection"]["type"] == "semantic_vad"
            assert session["audio"]["input"]["turn_detection"]["eagerness"] == "high"
            assert [tool["name"] for tool in session["tools"]] == ["get_weather"]
            # The Python SDK sends the secret as its API key (Authorization: Bearer).
            sdk = AsyncOpenAI(api_key=secret.value, base_url=f"http://{base(url)}/v1",
                              websocket_base_url=f"ws://{base(url)}/v1")
            async with sdk.realtime.connect(model="gpt-realtime") as conn:
                sdk_created = await conn.recv()
                assert sdk_created.type == "session.created"
                assert sdk_created.session.instructions == "Answer like a pirate."
            # The node's own token works in the browser form too, with the default session.
            chosen, created = await first_event(url, TOKEN)
            assert chosen == "realtime" and created["session"]["instructions"] == ""
            assert created["session"]["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}

    run(main)


def test_wrong_expired_and_misused_secrets_are_refused_before_the_websocket_opens() -> None:
    async def main() -> None:
        async with edge_server(api_tokens=(TOKEN,)) as (edge, url):
            expired, _ = edge.auth.mint_client_secret(10, {"type": "realtime"}, now=time.time() - 11)
            valid, _ = edge.auth.mint_client_secret(60, {"type": "realtime"})
            for key in ("wrong-key-0123456789", expired, valid[:-3] + "AAA"):
                with pytest.raises(InvalidStatus) as refused:
                    await first_event(url, key)
                assert refused.value.response.status_code == 401
                assert key.encode() not in refused.value.response.body
            # A secret opens /v1/realtime only: not the native protocol, not the operator endpoints.
            with pytest.raises(InvalidStatus) as native:
                async with connect(url, additional_headers={"Authorization": f"Bearer {valid}"}):
                    pass
            assert native.value.response.status_code == 401
            status, _, _ = await http(url, b"GET /info HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                                      + valid.encode() + b"\r\n\r\n")
            assert status == 401
            # ... and it cannot mint more secrets (a browser could keep its access alive forever).
            status, _, body = await http(url, post("/v1/realtime/client_secrets", b"{}", token=valid))
            assert status == 401 and json.loads(body)["error"]["code"] == "invalid_api_key"

    run(main)


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        (b"{not json", 400, "invalid_json", None),
        (b"[" * 100_000, 413, None, None),  # over the body limit, refused before it is read
        (b"[" * 30_000 + b"]" * 30_000, 400, "invalid_json", None),  # nested too deep for the decoder
        (b"[]", 400, "invalid_type", None),
        (b'{"session": {"type": "realtime"}, "extra": 1}', 400, "unknown_parameter", "extra"),
        (b'{"expires_after": {"anchor": "created_at", "seconds": 5}}', 400, "invalid_value", "expires_after.seconds"),
        (b'{"expires_after": {"anchor": "now"}}', 400, "invalid_value", "expires_after.anchor"),
        (b'{"session": {"type": "transcription"}}', 400, "invalid_value", "session.type"),
        (b'{"session": {"type": "realtime", "instructions": 7}}', 400, "invalid_type", "session.instructions"),
        (b'{"session": {"type": "realtime", "instructions": "' + b"x" * 4001 + b'"}}', 400, "invalid_value",
         "session.instructions"),
        (b'{"session": {"type": "realtime", "audio": {"output": {"format": {"type": "audio/pcm", "rate": 16000}}}}}',
         400, "invalid_value", "session.audio.output.format.rate"),
        (b'{"session": {"type": "realtime", "tools": [{"type": "function"}]}}', 400,
         "missing_required_parameter", "session.tools[0].name"),
    ],
)
def test_bad_requests_get_openai_shaped_errors(body: bytes, status: int, code: str | None, param: str | None) -> None:
    async def main() -> None:
        async with edge_server(api_tokens=(TOKEN,)) as (_, url):
            got, headers, answer = await http(url, post("/v1/realtime/client_secrets", body))
            assert got == status, answer
            if code is not None:
                error = json.loads(answer)["error"]
                assert error["code"] == code and error["param"] == param and error["type"] == "invalid_request_error"
                assert error["message"]
            assert headers["Connection"] == "close"
            assert (await http(url, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))[0] == 200

    run(main)


def test_minting_needs_a_node_token_and_the_sdk_sees_the_error() -> None:
    async def main() -> None:
        async with edge_server(api_tokens=(TOKEN,)) as (_, url):
            for key in ("not-a-node-token-000", None):
                status, _, body = await http(url, post("/v1/realtime/client_secrets", b"{}", token=key))
                assert status == 401 and json.loads(body)["error"]["code"] == "invalid_api_key"
            client = AsyncOpenAI(api_key="not-a-node-token-000", base_url=f"http://{base(url)}/v1", max_retries=0)
            with pytest.raises(openai.AuthenticationError):
                await client.realtime.client_secrets.create()
            client = AsyncOpenAI(api_key=TOKEN, base_url=f"http://{base(url)}/v1", max_retries=0)
            with pytest.raises(openai.BadRequestError, match=r"expires_after\.seconds"):
                await client.realtime.client_secrets.create(expires_after={"anchor": "created_at", "seconds": 9000})
            default = await client.realtime.client_secrets.create()  # no body fields: 10 minutes, the default session
            assert 590 < default.expires_at - time.time() <= 601 and default.session.instructions == ""

    run(main)


def test_a_secret_carries_who_minted_it_and_no_expiry_for_its_sessions() -> None:
    async def main() -> None:
        async with edge_server(api_tokens=(TOKEN,)) as (edge, url):
            status, _, body = await http(url, post("/v1/realtime/client_secrets", b'{"session": {"type": "realtime"}}'))
            assert status == 200
            grant = edge.auth.verify(json.loads(body)["value"])
            assert grant == Grant(subject=edge.auth.verify(TOKEN).subject, session_config={"type": "realtime"})

    run(main)


def test_other_posts_and_broken_requests_are_refused_and_the_node_goes_on() -> None:
    async def main() -> None:
        async with edge_server() as (_, url):  # no tokens (loopback): anyone may mint, as anyone may connect
            status, headers, _ = await http(url, post("/healthz", b"{}", token=None))
            assert status == 405 and headers["Allow"] == "GET, HEAD"
            chunked = (b"POST /v1/realtime/client_secrets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"2\r\n{}\r\n0\r\n\r\n")
            status, _, body = await http(url, chunked)
            assert status == 200 and json.loads(body)["value"].startswith("ek_")
            status, _, body = await http(url, post("/v1/realtime/client_secrets", b"{}", "Expect: 100-continue",
                                                   token=None))
            assert status == 100 and b"HTTP/1.1 200 OK" in body  # curl's way: "100 Continue" first, then the answer
            status, _, _ = await http(url, b"POST /v1/realtime/client_secrets HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
            assert status == 400  # no Host: h11 refuses it
            # The body never finishes: the client gives up (its half of the connection ends).
            host, port = base(url).split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(post("/v1/realtime/client_secrets", b"{}")[:-1])
            writer.write_eof()
            assert (await reader.read()).startswith(b"HTTP/1.1 400")
            writer.close()
            assert (await http(url, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))[0] == 200

    run(main)


def test_a_signed_token_mints_secrets_that_expire_with_it_and_a_session_bound_one_none() -> None:
    async def main() -> None:
        async with edge_server(token_secret=b"node-secret") as (_, url):
            short = mint_token(b"node-secret", 30, subject="user-1")
            status, _, body = await http(url, post("/v1/realtime/client_secrets",
                                                   b'{"expires_after": {"seconds": 3600}}', token=short))
            assert status == 200 and json.loads(body)["expires_at"] <= time.time() + 31  # not the hour asked for
            bound = mint_token(b"node-secret", 30, session_id="abcdefghijklmnop")
            status, _, body = await http(url, post("/v1/realtime/client_secrets", b"{}", token=bound))
            assert status == 401 and "bound to one session" in json.loads(body)["error"]["message"]

    run(main)
