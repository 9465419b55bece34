"""Plain HTTP on the real ``EdgeServer`` (fake engine, loopback), sent byte for byte: requests that
once crashed the handler, methods other than GET, and the operator endpoints behind the token."""

from __future__ import annotations

import asyncio

from tests.unit.test_admission import edge_server, run

TOKEN = "operator-token-0123456789"


async def http(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send one raw request to the server of ``url``; its status, headers and body."""
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    raw = await reader.read()  # the server closes after a plain HTTP answer
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def get(path: str, *extra: str, method: str = "GET") -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *extra, "", ""]).encode()


def test_malformed_requests_get_400_or_404_and_the_node_keeps_serving() -> None:
    async def main() -> None:
        async with edge_server() as (_, url):
            assert (await http(url, get("/" + "a" * 300)))[0] == 404  # a name too long for the file system
            status, _, body = await http(url, get("/a%00b".replace("%00", "\x00")))
            assert status == 400 and b"control character" in body
            status, _, body = await http(url, get("/ws", "Upgrade: websocket", "Upgrade: websocket"))
            assert status == 400 and b"Upgrade header given more than once" in body
            assert (await http(url, get("/healthz")))[0] == 200

    run(main)


def test_other_methods_get_405_and_head_gets_no_body() -> None:
    async def main() -> None:
        async with edge_server() as (_, url):
            for method in ("POST", "PUT", "DELETE", "OPTIONS", "TRACE"):
                status, headers, _ = await http(url, get("/info", method=method))
                assert status == 405 and headers["Allow"] == "GET, HEAD", method
            status, headers, body = await http(url, get("/healthz", method="HEAD"))
            assert status == 200 and int(headers["Content-Length"]) > 0 and body == b""

    run(main)


def test_info_and_metrics_need_the_token_when_tokens_are_configured() -> None:
    async def main() -> None:
        async with edge_server(api_tokens=(TOKEN,)) as (_, url):
            for path in ("/info", "/metrics"):
                assert (await http(url, get(path)))[0] == 401, path
                assert (await http(url, get(path, "Authorization: Bearer wrong-token-0123456789")))[0] == 401
                assert (await http(url, get(path, f"Authorization: Bearer {TOKEN}")))[0] == 200, path
            assert (await http(url, get("/healthz")))[0] == 200  # load balancers need no token
            assert (await http(url, get("/readyz")))[0] == 200

    run(main)


def test_a_dns_rebound_page_cannot_open_a_websocket() -> None:
    upgrade = ("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")

    def handshake(host: str, origin: str) -> bytes:
        return "\r\n".join(["GET /ws HTTP/1.1", f"Host: {host}", f"Origin: {origin}", *upgrade, "", ""]).encode()

    async def main() -> None:
        async with edge_server() as (_, url):
            port = url.removeprefix("ws://").split("/")[0].split(":")[1]
            status, _, body = await http(url, handshake(f"evil.example:{port}", f"http://evil.example:{port}"))
            assert status == 403 and b"origin_not_allowed" in body
            reader, writer = await asyncio.open_connection("127.0.0.1", int(port))
            writer.write(handshake(f"127.0.0.1:{port}", f"http://127.0.0.1:{port}"))
            assert (await reader.readline()).startswith(b"HTTP/1.1 101")  # the node's own page may
            writer.close()

    run(main)
