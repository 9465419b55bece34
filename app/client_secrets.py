"""``POST /v1/realtime/client_secrets``: OpenAI's way for a backend to get a short-lived key for
one Realtime client, here minted by the node itself (see :mod:`app.auth` for the secret's form).

Request ``{"expires_after": {"anchor": "created_at", "seconds": N}, "session": {...}}`` (both
optional; ``session`` is what a ``session.update`` takes, checked by the same parser, and
carried in the secret as sent); response
``{"value": "ek_...", "expires_at": unix_s, "session": {...}}``, the session as a connection
with the secret starts. Errors have OpenAI's shape ``{"error": {"message", "type", "param",
"code"}}``. Only a holder of a node token (static or signed) may mint, and a secret minted with a
signed token expires with it at the latest; a client secret or a session-bound token may not mint.
Pure: a request in, a response out.
"""

from __future__ import annotations

import json
import logging
import secrets
from http import HTTPStatus
from typing import Any

from websockets.http11 import Request, Response

from app.auth import Authenticator, AuthError
from app.http_routes import json_response
from app.realtime.codecs import PCM24
from app.realtime.config import DEFAULT_TURN_DETECTION, SessionUpdate, describe, parse_session_update
from app.realtime.errors import RealtimeError

log = logging.getLogger(__name__)

PATH = "/v1/realtime/client_secrets"
MAX_BODY_BYTES = 64 * 1024
"""Largest request body: a session with 4,000 characters of instructions, escaped, fits."""
DEFAULT_TTL_S = 600
MIN_TTL_S, MAX_TTL_S = 10, 7200
"""OpenAI's bounds of ``expires_after.seconds`` (10 s to 2 h; 10 min when absent)."""
DEFAULT_MODEL = "edge-node"


def error(status: HTTPStatus, message: str, *, code: str | None, param: str | None = None,
          kind: str = "invalid_request_error") -> Response:
    """An error response in OpenAI's shape."""
    return json_response(status, {"error": {"message": message, "type": kind, "param": param, "code": code}})


def create(request: Request, body: bytes, auth: Authenticator, now: float) -> Response:
    """Answer one ``POST /v1/realtime/client_secrets`` (``now``: unix time, s)."""
    grant = None
    if auth.enabled:
        try:
            grant = auth.check(request, now)
        except AuthError as exc:  # its message never holds the token
            return error(HTTPStatus.UNAUTHORIZED, str(exc), code="invalid_api_key")
        if grant.client_secret or grant.session_id is not None:
            what = "a client secret" if grant.client_secret else "a token bound to one session"
            return error(HTTPStatus.UNAUTHORIZED, f"{what} cannot mint client secrets: use a node token",
                         code="invalid_api_key")
    try:
        ttl_s, session = _parse(body)
        if grant is not None and grant.expires_at is not None:
            ttl_s = min(ttl_s, int(grant.expires_at - now))  # a signed token cannot extend itself
        update = parse_session_update({"session": session}, None)
        # The session as sent, checked: the connection feeds it to the same parser, so whatever
        # session.update takes (tools too), the secret carries.
        value, expires_at = auth.mint_client_secret(ttl_s, session, owner=grant.subject if grant else None, now=now)
    except RealtimeError as exc:
        return error(HTTPStatus.BAD_REQUEST, exc.message, code=exc.code, param=exc.param)
    except ValueError as exc:  # the secret would be too long for a header
        return error(HTTPStatus.BAD_REQUEST, str(exc), code="invalid_value", param="session")
    log.info("client secret minted (valid %d s)", ttl_s)  # never the value
    model = session.get("model") if isinstance(session.get("model"), str) else None
    return json_response(HTTPStatus.OK, {"value": value, "expires_at": expires_at,
                                         "session": effective_session(update, (model or DEFAULT_MODEL)[:128])})


def _parse(body: bytes) -> tuple[int, dict[str, Any]]:
    """The TTL (s) and the session object of a request body; raises RealtimeError."""
    try:
        obj = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):  # RecursionError: nesting too deep for the decoder
        raise RealtimeError("invalid_json", "the request body is not valid JSON") from None
    if not isinstance(obj, dict):
        raise RealtimeError("invalid_type", "the request body must be a JSON object")
    unknown = sorted(set(obj) - {"expires_after", "session"})
    if unknown:
        raise RealtimeError("unknown_parameter", f"unknown parameter: '{unknown[0][:64]}'", param=unknown[0][:64])
    return _ttl(obj.get("expires_after")), _session(obj.get("session"))


def _ttl(expires: Any) -> int:
    if expires is None:
        return DEFAULT_TTL_S
    if not isinstance(expires, dict):
        raise RealtimeError("invalid_type", "'expires_after' must be an object", param="expires_after")
    anchor = expires.get("anchor", "created_at")
    if anchor != "created_at":
        raise RealtimeError("invalid_value", "expires_after.anchor must be 'created_at'", param="expires_after.anchor")
    seconds = expires.get("seconds", DEFAULT_TTL_S)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not MIN_TTL_S <= seconds <= MAX_TTL_S:
        raise RealtimeError("invalid_value", f"expires_after.seconds must be an integer from {MIN_TTL_S} to "
                            f"{MAX_TTL_S}", param="expires_after.seconds")
    return seconds


def _session(session: Any) -> dict[str, Any]:
    if session is None:
        return {"type": "realtime"}
    if not isinstance(session, dict):
        raise RealtimeError("invalid_type", "'session' must be an object", param="session")
    if session.get("type") != "realtime":  # required here (OpenAI's rule), unlike in session.update
        kind = session.get("type")
        what = "a transcription session is not supported by this node" if kind == "transcription" else \
            "session.type must be 'realtime'"
        raise RealtimeError("invalid_value", what, param="session.type")
    return session


def effective_session(update: SessionUpdate, model: str) -> dict[str, Any]:
    """The session a connection with the secret starts with (its id is not the one it will get)."""
    return describe(
        secrets.token_hex(8),
        model,
        update.instructions if update.changes("instructions") else "",
        update.input_format if update.changes("input_format") else PCM24,
        update.output_format if update.changes("output_format") else PCM24,
        update.turn_detection if update.changes("turn_detection") else DEFAULT_TURN_DETECTION,
        tools=update.tools if update.changes("tools") else (),
        tool_choice=update.tool_choice if update.changes("tool_choice") else "auto",
    )
