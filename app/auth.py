"""Who may open a session: static API tokens and short-lived signed tokens.

- Static tokens (desktop clients, services) are long random strings; the server keeps only
  their SHA-256 digests and compares in constant time.
- Signed tokens are minted by the operator's web backend for one browser, in the spirit of
  OpenAI Realtime's ephemeral client secrets: ``ev1.<payload>.<signature>``, where the payload is
  base64url JSON ``{"exp": unix_s, "sid": optional session id}`` and the signature is
  HMAC-SHA256 over ``ev1.<payload>`` with a secret shared by the backend and every node.
  A token with ``sid`` can only open or resume that one session.

- Client secrets (``ek_<payload>.<signature>``) are what ``POST /v1/realtime/client_secrets``
  mints for an OpenAI Realtime client: signed like the tokens above (``ek_`` is part of what is
  signed, so neither kind passes for the other), with the minter's subject and a session
  configuration applied when a ``/v1/realtime`` connection opens. They open sessions until they
  expire; a session opened keeps going after that, as OpenAI's do.

A client presents its token as ``Authorization: Bearer <token>``, as the websocket subprotocol
``bearer.<token>`` (what browsers can set; OpenAI's browser clients offer
``openai-insecure-api-key.<token>``), or as ``?token=<token>``. Tokens are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.http11 import Request

from app.store.base import validate_session_id

SUBPROTOCOL = "edgevoice.v1"
"""The subprotocol the server selects when a browser offers ``[SUBPROTOCOL, "bearer.<token>"]``."""
_PREFIX = "ev1"
CLIENT_SECRET_PREFIX = "ek_"
"""How a client secret begins (OpenAI's SDKs let an ``ek_`` key into a browser)."""
MAX_CLIENT_SECRET_CHARS = 6000
"""Longest client secret: it must fit one header line (websockets reads up to 8 KiB) next to
``Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.``."""
SUBPROTOCOL_PREFIXES = ("bearer.", "openai-insecure-api-key.")
"""Subprotocol offers that carry a token: the node's browser form and OpenAI's."""


class AuthError(Exception):
    """The request carries no valid credentials; the message is safe to show (no token in it)."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid token allows."""

    session_id: str | None = None
    """The only session this connection may open or resume; None: any."""
    expires_at: float | None = None
    subject: str | None = None
    """Who holds the token: the sessions it creates are theirs alone ("key-..." for a static
    token, a signed token's ``sub``); None: nobody in particular (no auth, or a signed token
    without a subject)."""
    session_config: Mapping[str, Any] | None = None
    """A client secret's Realtime session configuration (the ``session`` of a ``session.update``,
    applied when the connection opens); None for every other token."""

    @property
    def client_secret(self) -> bool:
        """Whether the token was a client secret (it opens ``/v1/realtime`` only)."""
        return self.session_config is not None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_token(secret: bytes, ttl_s: float, *, session_id: str | None = None, subject: str | None = None,
               now: float | None = None) -> str:
    """A signed token valid for ``ttl_s`` seconds, optionally bound to one session id (raises
    ``InvalidSessionId``, a ValueError, for an id no session can have, such as an e-mail address)
    and naming its holder (``subject``, your user id: the sessions it creates are theirs)."""
    payload: dict[str, object] = {"exp": int((now if now is not None else time.time()) + ttl_s)}
    if session_id is not None:
        payload["sid"] = validate_session_id(session_id)
    if subject is not None:
        if not 0 < len(subject) <= 128:
            raise ValueError("a subject must have 1-128 characters")
        payload["sub"] = subject
    body = f"{_PREFIX}.{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
    signature = hmac.new(secret, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(signature)}"


class Authenticator:
    """Checks a websocket handshake's credentials."""

    def __init__(self, api_tokens: Iterable[str] = (), secret: bytes | None = None) -> None:
        self._digests = {hashlib.sha256(t.encode()).digest() for t in api_tokens if t}
        self._secret = secret or None
        # Client secrets are signed with the nodes' shared secret when there is one (any node of
        # the fleet takes them), else with a key of this process alone.
        self._client_key = self._secret or secrets.token_bytes(32)

    @property
    def enabled(self) -> bool:
        """False when no token or secret is configured: anyone may connect."""
        return bool(self._digests) or self._secret is not None

    def check(self, request: Request, now: float | None = None) -> Grant:
        """The grant of the request's token; raises AuthError when auth is on and it is missing or bad."""
        token = token_from(request)
        if not self.enabled:
            # Anyone may connect, but a client secret still brings its configuration (or is refused).
            is_secret = token is not None and token.startswith(CLIENT_SECRET_PREFIX)
            return self.verify(token, now) if is_secret and token is not None else Grant()
        if token is None:
            raise AuthError("authentication required: send a token (Authorization: Bearer, subprotocol or ?token=)")
        return self.verify(token, now)

    def verify(self, token: str, now: float | None = None) -> Grant:
        """Validate one token (static or signed)."""
        digest = hashlib.sha256(token.encode()).digest()
        # Constant-time against every static token, so timing says nothing about which exists.
        if any(hmac.compare_digest(digest, d) for d in self._digests):
            return Grant(subject=f"key-{digest.hex()[:16]}")  # the token itself, never stored
        if token.startswith(CLIENT_SECRET_PREFIX):
            return self._verify_client_secret(token, now)
        if self._secret is None or not token.startswith(f"{_PREFIX}."):
            raise AuthError("invalid token")
        try:
            body, signature = token.rsplit(".", 1)
            expected = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                raise AuthError("invalid token")
            payload = json.loads(_unb64(body.split(".", 1)[1]))
            expires_at = float(payload["exp"])
            session_id, subject = payload.get("sid"), payload.get("sub")
        except AuthError:
            raise
        except (ValueError, KeyError, TypeError, IndexError):
            raise AuthError("invalid token") from None
        if expires_at < (now if now is not None else time.time()):
            raise AuthError("token expired")
        if not all(v is None or (isinstance(v, str) and 0 < len(v) <= 128) for v in (session_id, subject)):
            raise AuthError("invalid token")
        owner = None if subject is None else f"sub-{subject}"
        return Grant(session_id=session_id, expires_at=expires_at, subject=owner)

    def mint_client_secret(self, ttl_s: float, session_config: Mapping[str, Any], *, owner: str | None = None,
                           now: float | None = None) -> tuple[str, int]:
        """A client secret valid for ``ttl_s`` seconds, carrying ``session_config`` (JSON values)
        and ``owner`` (the minter's ``Grant.subject``: the sessions it opens are theirs); returns
        it with its expiry (unix s). Raises ValueError when it would exceed ``MAX_CLIENT_SECRET_CHARS``."""
        expires_at = int((now if now is not None else time.time()) + ttl_s)
        payload = json.dumps({"exp": expires_at, "own": owner, "cfg": dict(session_config)},
                             separators=(",", ":"), ensure_ascii=False).encode()
        body = CLIENT_SECRET_PREFIX + _b64(zlib.compress(payload, 9))  # instructions compress 2-3x
        value = f"{body}.{_b64(hmac.new(self._client_key, body.encode(), hashlib.sha256).digest())}"
        if len(value) > MAX_CLIENT_SECRET_CHARS:
            raise ValueError(f"the session configuration makes a client secret over {MAX_CLIENT_SECRET_CHARS} "
                             "characters (shorten the instructions)")
        return value, expires_at

    def _verify_client_secret(self, token: str, now: float | None) -> Grant:
        try:
            body, signature = token.rsplit(".", 1)
            expected = hmac.new(self._client_key, body.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                raise AuthError("invalid client secret")
            payload = json.loads(zlib.decompressobj().decompress(_unb64(body[len(CLIENT_SECRET_PREFIX):]), 1 << 16))
            expires_at, owner, config = float(payload["exp"]), payload.get("own"), payload["cfg"]
        except AuthError:
            raise
        except (ValueError, KeyError, TypeError, IndexError, zlib.error):
            raise AuthError("invalid client secret") from None
        if not isinstance(config, dict) or not (owner is None or (isinstance(owner, str) and len(owner) <= 160)):
            raise AuthError("invalid client secret")
        if expires_at < (now if now is not None else time.time()):
            raise AuthError("client secret expired")
        # The session it opens may outlive the secret (OpenAI's rule): no expiry in the grant.
        return Grant(subject=owner, session_config=config)


def token_from(request: Request) -> str | None:
    """The token a handshake carries, from the header, the subprotocol offer or the query."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    for offer in request.headers.get_all("Sec-WebSocket-Protocol"):
        for protocol in offer.split(","):
            protocol = protocol.strip()
            for prefix in SUBPROTOCOL_PREFIXES:
                if protocol.startswith(prefix):
                    return protocol[len(prefix) :] or None
    values = parse_qs(urlsplit(request.path).query).get("token")
    return values[0] if values else None


MIN_TOKEN_CHARS = 16
"""Shortest static token a node accepts (``new_api_token`` makes 43 characters)."""


def parse_api_tokens(text: str, source: str) -> list[str]:
    """Static tokens, one per line of ``text`` (``source`` names it in errors): blank lines and
    comments (``#``, also indented) are skipped; raises ValueError for a token shorter than
    ``MIN_TOKEN_CHARS``, naming its line, never its value."""
    tokens = []
    for number, line in enumerate(text.splitlines(), start=1):
        token = line.strip()
        if not token or token.startswith("#"):
            continue
        if len(token) < MIN_TOKEN_CHARS:
            raise ValueError(f"{source} line {number}: a token must have at least {MIN_TOKEN_CHARS} characters")
        tokens.append(token)
    return tokens


def new_api_token() -> str:
    """A fresh random static token (print it once, store it in the token file)."""
    return secrets.token_urlsafe(32)


def main(argv: list[str] | None = None) -> int:
    """``python -m app.auth``: make a static API token, or mint a signed one as a backend would."""
    import argparse
    import os
    import sys

    parser = argparse.ArgumentParser(prog="python -m app.auth", description="Edge voice access tokens.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("new-api-token", help="print a new random static API token")
    mint = sub.add_parser("mint", help="mint a signed, expiring token (secret from EDGE_VOICE_TOKEN_SECRET)")
    mint.add_argument("--ttl", type=float, default=300.0, help="seconds the token is valid (default %(default)s)")
    mint.add_argument("--session-id", help="bind the token to this one session")
    mint.add_argument("--subject", help="the user the token is for: the sessions it creates are theirs alone")
    args = parser.parse_args(argv)
    if args.command == "new-api-token":
        print(new_api_token())
        return 0
    secret = os.environ.get("EDGE_VOICE_TOKEN_SECRET", "")
    if not secret:
        print("error: set EDGE_VOICE_TOKEN_SECRET to the nodes' signing secret", file=sys.stderr)
        return 2
    try:
        print(mint_token(secret.encode(), args.ttl, session_id=args.session_id, subject=args.subject))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
