"""Static and signed tokens, and where a handshake may carry them."""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.datastructures import Headers
from websockets.http11 import Request

from app.__main__ import parse_settings
from app.auth import Authenticator, AuthError, Grant, mint_token, parse_api_tokens, token_from

SECRET = b"node-secret"


def test_no_configuration_means_no_auth() -> None:
    auth = Authenticator()
    assert not auth.enabled
    assert auth.check(Request("/", Headers())) == Grant()


def test_static_token() -> None:
    auth = Authenticator(["alpha", "beta"])
    beta = auth.verify("beta")
    assert beta.session_id is None and beta.expires_at is None
    assert beta.subject is not None and beta.subject.startswith("key-") and "beta" not in beta.subject
    assert auth.verify("alpha").subject != beta.subject  # each token holder is someone else
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


def test_token_file_skips_comments_and_blank_lines_even_indented() -> None:
    text = "# desktop clients\n   # an indented comment is a comment\n\n  static-desktop-token-0123456789  \n"
    assert parse_api_tokens(text, "tokens.txt") == ["static-desktop-token-0123456789"]


def test_a_short_token_is_refused_by_line_without_showing_it() -> None:
    with pytest.raises(ValueError, match=r"tokens.txt line 2: a token must have at least 16 characters") as info:
        parse_api_tokens("# ok\nhunter2\n", "tokens.txt")
    assert "hunter2" not in str(info.value)


def test_the_node_refuses_to_start_with_a_short_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("EDGE_VOICE_API_TOKENS", raising=False)
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("  # comment\nshort\n")
    with pytest.raises(SystemExit) as exit_info:
        parse_settings(["--api-token-file", str(tokens)])
    assert exit_info.value.code == 2 and "line 2: a token must have at least 16 characters" in capsys.readouterr().err
    monkeypatch.setenv("EDGE_VOICE_API_TOKENS", "a-long-enough-token-0123,tiny")
    with pytest.raises(SystemExit):
        parse_settings([])
    monkeypatch.setenv("EDGE_VOICE_API_TOKENS", "a-long-enough-token-0123, another-long-token-4567")
    assert parse_settings([]).api_tokens == ("a-long-enough-token-0123", "another-long-token-4567")


def test_a_token_cannot_be_minted_for_an_id_no_session_can_have() -> None:
    with pytest.raises(ValueError, match="a session id must be"):
        mint_token(SECRET, 60, session_id="alice@example.com")
    assert mint_token(SECRET, 60, session_id="abcdefghijklmnopqrstuv")


def test_a_signed_token_names_its_holder() -> None:
    auth = Authenticator(secret=SECRET)
    assert auth.verify(mint_token(SECRET, 60, subject="user-42")).subject == "sub-user-42"
    assert auth.verify(mint_token(SECRET, 60)).subject is None
