"""Plain HTTP routes and the browser Origin check."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from websockets.datastructures import Headers
from websockets.http11 import Request

from app.http_routes import malformed, origin_allowed, own_names, route


def request(path: str, **headers: str) -> Request:
    return Request(path, Headers(headers))


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "ok"),
    [
        (None, "edge:8765", (), True),  # native clients send no Origin
        ("http://edge:8765", "edge:8765", (), True),
        ("http://evil.example", "edge:8765", (), False),
        ("https://app.example", "edge:8765", ("https://app.example",), True),
        ("http://edge:8765", "edge:8765", ("https://app.example",), False),
        ("http://anything", "edge:8765", ("*",), True),
    ],
)
def test_origin_allowlist(origin: str | None, host: str, allowed: tuple[str, ...], ok: bool) -> None:
    assert origin_allowed(origin, host, allowed, frozenset({"edge"})) is ok


def test_a_dns_rebound_name_is_not_the_node_although_origin_and_host_agree() -> None:
    # evil.example resolved to this node's address: the browser sends both headers as evil.example.
    names = own_names("127.0.0.1")
    assert not origin_allowed("http://evil.example:8765", "evil.example:8765", (), names)
    assert origin_allowed("http://127.0.0.1:8765", "127.0.0.1:8765", (), names)
    assert origin_allowed("http://localhost:8765", "localhost:8765", (), names)
    assert origin_allowed("http://[::1]:8765", "[::1]:8765", (), names)
    named = own_names("0.0.0.0", ("Edge.Example.com",))
    assert origin_allowed("https://edge.example.com", "edge.example.com", (), named)
    assert not origin_allowed("http://evil.example", "evil.example", (), named)
    assert socket.gethostname().lower() in own_names("0.0.0.0")  # a wildcard bind: this machine's names


def test_cross_site_websocket_is_refused_with_403(tmp_path: Path) -> None:
    response = route(request("/ws", Upgrade="websocket", Origin="http://evil.example", Host="edge:1"), tmp_path, dict)
    assert response is not None and response.status_code == 403


def test_same_host_websocket_goes_ahead(tmp_path: Path) -> None:
    same = request("/ws", Upgrade="websocket", Origin="http://edge:1", Host="edge:1")
    assert route(same, tmp_path, dict, (), frozenset({"edge"})) is None


def test_static_files_and_traversal(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>hi</h1>")
    (tmp_path.parent / "secret.txt").write_text("no")
    index = route(request("/"), tmp_path, dict)
    assert index is not None and index.status_code == 200 and index.body == b"<h1>hi</h1>"
    assert index.headers["Content-Type"].startswith("text/html")
    assert route(request("/../secret.txt"), tmp_path, dict).status_code == 404
    assert route(request("/missing.js"), tmp_path, dict).status_code == 404


def test_healthz_and_info(tmp_path: Path) -> None:
    assert route(request("/healthz"), tmp_path, dict).body == b'{"status": "ok"}'
    assert route(request("/info"), tmp_path, lambda: {"x": 1}).body == b'{"x": 1}'


def test_requests_that_crashed_the_handler_get_a_clear_answer(tmp_path: Path) -> None:
    # Once: 500 and a traceback each (a path segment too long for the file system, a NUL, two Upgrades).
    long_name = route(request("/" + "a" * 300), tmp_path, dict)
    assert long_name is not None and long_name.status_code == 404
    assert malformed(request("/a\x00b")) == "control character in the path"
    assert malformed(request("/" + "a" * 3000)) == "path too long"
    doubled = Request("/ws", Headers([("Upgrade", "websocket"), ("Upgrade", "websocket")]))
    assert malformed(doubled) == "Upgrade header given more than once"
    assert malformed(request("/index.html", Host="edge:1")) is None
