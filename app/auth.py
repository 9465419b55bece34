"""Who may open a session: static API tokens and short-lived signed tokens.

- Static tokens (desktop clients, services) are long random strings; the server keeps only
  their SHA-256 digests and compares in constant time.
- Signed tokens are minted by the operator's web backend for one browser, in the spirit of
  OpenAI Realtime's ephemeral client secrets: ``ev1.<payload>.<signature>``, where the payload is
  base64url JSON ``{"exp": unix_s, "sid": optional session id}`` and the signature is
  HMAC-SHA256 over ``ev1.<payload>`` with a secret shared by the backend and every node.
  A token with ``sid`` can only open or resume that one session.

A client presents its token as ``Authorization: Bearer <token>``, as the websocket subprotocol
``bearer.<token>`` (what browsers can set), or as ``?token=<token>``. Tokens are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from websockets.http11 import Request

from app.store.base import validate_session_id

SUBPROTOCOL = "edgevoice.v1"
"""The subprotocol the server selects when a browser offers ``[SUBPROTOCOL, "bearer.<token>"]``."""
_PREFIX = "ev1"


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

    @property
    def enabled(self) -> bool:
        """False when no token or secret is configured: anyone may connect."""
        return bool(self._digests) or self._secret is not None

    def check(self, request: Request, now: float | None = None) -> Grant:
        """The grant of the request's token; raises AuthError when auth is on and it is missing or bad."""
        if not self.enabled:
            return Grant()
        token = token_from(request)
        if token is None:
            raise AuthError("authentication required: send a token (Authorization: Bearer, subprotocol or ?token=)")
        return self.verify(token, now)

    def verify(self, token: str, now: float | None = None) -> Grant:
        """Validate one token (static or signed)."""
        digest = hashlib.sha256(token.encode()).digest()
        # Constant-time against every static token, so timing says nothing about which exists.
        if any(hmac.compare_digest(digest, d) for d in self._digests):
            return Grant(subject=f"key-{digest.hex()[:16]}")  # the token itself, never stored
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


def token_from(request: Request) -> str | None:
    """The token a handshake carries, from the header, the subprotocol offer or the query."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    for offer in request.headers.get_all("Sec-WebSocket-Protocol"):
        for protocol in offer.split(","):
            protocol = protocol.strip()
            if protocol.startswith("bearer."):
                return protocol[len("bearer.") :] or None
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
