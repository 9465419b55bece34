"""Static and signed tokens, and where a handshake may carry them."""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.datastructures import Headers
from websockets.http11 import Request

from app.__main__ import parse_settings
from app.auth import (
    MAX_CLIENT_SECRET_CHARS,
    Authenticator,
    AuthError,
    Grant,
    mint_token,
    parse_api_tokens,
    token_from,
)

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
        # OpenAI's browser clients (the Node SDK's OpenAIRealtimeWebSocket; older ones add the beta offer).
        ("/v1/realtime", {"Sec-WebSocket-Protocol": "realtime, openai-insecure-api-key.ek_tok4"}, "ek_tok4"),
        ("/v1/realtime", {"Sec-WebSocket-Protocol": "realtime, openai-insecure-api-key.tok5, openai-beta.realtime-v1"},
         "tok5"),
        ("/v1/realtime", {"Sec-WebSocket-Protocol": "realtime, openai-beta.realtime-v1"}, None),
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


CONFIG = {"type": "realtime", "instructions": "Speak slowly."}


def test_a_client_secret_carries_its_session_and_minter_and_lets_the_session_outlive_it() -> None:
    auth = Authenticator(["static-token-0123456789"], secret=SECRET)
    value, expires_at = auth.mint_client_secret(60, CONFIG, owner="key-abc", now=1000)
    assert value.startswith("ek_") and expires_at == 1060
    grant = auth.verify(value, now=1059)
    assert grant == Grant(subject="key-abc", session_config=CONFIG) and grant.client_secret
    assert grant.expires_at is None  # OpenAI's rule: the secret expires for opening sessions only
    with pytest.raises(AuthError, match="client secret expired"):
        auth.verify(value, now=1061)
    # Any node with the shared secret takes it; another secret, or none, does not.
    assert Authenticator(secret=SECRET).verify(value, now=1000).session_config == CONFIG
    for other in (Authenticator(secret=b"other"), Authenticator(["static-token-0123456789"])):
        with pytest.raises(AuthError, match="invalid client secret"):
            other.verify(value, now=1000)


def test_without_a_shared_secret_client_secrets_are_this_nodes_alone() -> None:
    auth = Authenticator(["static-token-0123456789"])
    value, _ = auth.mint_client_secret(60, CONFIG)
    assert auth.verify(value).session_config == CONFIG
    with pytest.raises(AuthError):
        Authenticator(["static-token-0123456789"]).verify(value)  # another process: another key


def test_a_client_secret_and_a_signed_token_never_pass_for_each_other() -> None:
    auth = Authenticator(secret=SECRET)
    value, _ = auth.mint_client_secret(60, CONFIG)
    body, signature = value.rsplit(".", 1)
    with pytest.raises(AuthError):
        auth.verify(f"ev1.{body.removeprefix('ek_')}.{signature}")
    token = mint_token(SECRET, 60)
    with pytest.raises(AuthError):
        auth.verify("ek_" + token.removeprefix("ev1."))
    with pytest.raises(AuthError):
        auth.verify(value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))


def test_with_auth_off_a_client_secret_is_still_checked_and_applied() -> None:
    auth = Authenticator()
    value, _ = auth.mint_client_secret(60, CONFIG, now=1000)
    offer = {"Sec-WebSocket-Protocol": f"realtime, openai-insecure-api-key.{value}"}
    assert auth.check(Request("/v1/realtime", Headers(offer)), now=1000).session_config == CONFIG
    with pytest.raises(AuthError, match="expired"):
        auth.check(Request("/v1/realtime", Headers(offer)), now=2000)
    assert auth.check(Request("/ws?token=anything", Headers())) == Grant()  # other tokens: ignored, as before


def test_a_client_secret_too_long_for_a_header_is_refused() -> None:
    auth = Authenticator(secret=SECRET)
    random_text = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(4000))  # does not compress
    with pytest.raises(ValueError, match=f"over {MAX_CLIENT_SECRET_CHARS} characters"):
        auth.mint_client_secret(60, {"type": "realtime", "instructions": random_text})
    english = " ".join(["Answer briefly, in plain words, and never read out lists."] * 68)[:4000]
    assert len(auth.mint_client_secret(60, {"type": "realtime", "instructions": english})[0]) < 2000
