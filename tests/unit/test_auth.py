"""Static and signed tokens, and where a handshake may carry them."""

from __future__ import annotations

import pytest
from websockets.datastructures import Headers
from websockets.http11 import Request

from app.auth import Authenticator, AuthError, Grant, mint_token, token_from

SECRET = b"node-secret"


def test_no_configuration_means_no_auth() -> None:
    auth = Authenticator()
    assert not auth.enabled
    assert auth.check(Request("/", Headers())) == Grant()


def test_static_token() -> None:
    auth = Authenticator(["alpha", "beta"])
    assert auth.verify("beta") == Grant()
    with pytest.raises(AuthError, match="invalid"):
        auth.verify("gamma")


def test_signed_token_round_trip_and_session_binding() -> None:
    auth = Authenticator(secret=SECRET)
    grant = auth.verify(mint_token(SECRET, 60, session_id="abcdefghijklmnop", now=1000), now=1030)
    assert grant.session_id == "abcdefghijklmnop" and grant.expires_at == 1060


def test_expired_token_is_rejected() -> None:
    auth = Authenticator(secret=SECRET)
    with pytest.raises(AuthError, match="expired"):
        auth.verify(mint_token(SECRET, 60, now=1000), now=1061)


@pytest.mark.parametrize(
    "token",
    [
        mint_token(b"other-secret", 60),
        mint_token(SECRET, 60)[:-2] + "AA",
        "ev1.e30.garbage",
        "ev1.!!!.???",
        "ev1.",
        "",
    ],
)
def test_forged_or_malformed_tokens_are_rejected(token: str) -> None:
    with pytest.raises(AuthError):
        Authenticator(["static"], secret=SECRET).verify(token)


def test_tampered_payload_is_rejected() -> None:
    token = mint_token(SECRET, 60, session_id="abcdefghijklmnop")
    prefix, payload, signature = token.split(".")
    forged = mint_token(SECRET, 60, session_id="zzzzzzzzzzzzzzzz").split(".")[1]
    with pytest.raises(AuthError):
        Authenticator(secret=SECRET).verify(f"{prefix}.{forged}.{signature}")
    assert payload != forged


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/ws", {"Authorization": "Bearer tok1"}, "tok1"),
        ("/ws", {"Sec-WebSocket-Protocol": "edgevoice.v1, bearer.tok2"}, "tok2"),
        ("/ws?token=tok3", {}, "tok3"),
        ("/ws", {}, None),
    ],
)
def test_token_locations(path: str, headers: dict[str, str], expected: str | None) -> None:
    assert token_from(Request(path, Headers(headers))) == expected


def test_missing_token_message_does_not_echo_anything_secret() -> None:
    with pytest.raises(AuthError) as info:
        Authenticator(["s3cret"]).check(Request("/ws", Headers()))
    assert "s3cret" not in str(info.value)
