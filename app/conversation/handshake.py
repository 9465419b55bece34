"""The session's opening: ``hello``, resuming a stored conversation, and the ``ready`` answer.

Sans-I/O like the rest of the conversation: a resume asks the connection to load the stored
history (``LoadSession``) and is finished by :meth:`Handshake.resumed` with the store's answer.
"""

from __future__ import annotations

import enum
import logging

from app import protocol as p
from app.audio import INPUT_FORMAT, INPUT_SAMPLE_RATE, AudioFormat
from app.store.base import InvalidSessionId, new_session_id, validate_session_id

log = logging.getLogger(__name__)


class Phase(enum.Enum):
    AWAITING_HELLO = "awaiting_hello"
    RESUMING = "resuming"
    """Waiting for the store to return the history of the session being resumed."""
    OPEN = "open"
    CLOSED = "closed"


class Handshake:
    """Which session this connection is, and how far its opening has got."""

    def __init__(self, output: AudioFormat, session_id: str | None, bound_session_id: str | None) -> None:
        """``bound_session_id``: the connection's token allows only this session."""
        self.id = session_id or new_session_id()
        self.phase = Phase.AWAITING_HELLO
        self.pipeline = "fast"
        self._bound = bound_session_id
        self._output = output

    def hello(self, hello: p.Hello) -> bool:
        """Check ``hello``; True if the stored session must be loaded before the session opens
        (then ``phase`` is RESUMING), False if it is a new one. Raises ProtocolError."""
        if self.phase is not Phase.AWAITING_HELLO:
            raise p.ProtocolError(p.ErrorCode.DUPLICATE_HELLO, "the session is already open")
        if hello.protocol != p.PROTOCOL_VERSION:
            raise p.ProtocolError(
                p.ErrorCode.UNSUPPORTED_PROTOCOL,
                f"protocol {hello.protocol} is not supported; this server speaks {p.PROTOCOL_VERSION}",
                p.CloseCode.PROTOCOL_ERROR,
            )
        if hello.sample_rate != INPUT_SAMPLE_RATE:
            raise p.ProtocolError(
                p.ErrorCode.UNSUPPORTED_SAMPLE_RATE,
                f"sample_rate {hello.sample_rate} is not supported; send 16000 Hz mono PCM16",
                p.CloseCode.UNSUPPORTED_DATA,
            )
        self.pipeline = hello.pipeline
        if self._bound is not None:
            try:
                validate_session_id(self._bound)  # a token minted for an id no session can have
            except InvalidSessionId as exc:
                raise p.ProtocolError(p.ErrorCode.INVALID_SESSION_ID, f"this token's session: {exc}",
                                      p.CloseCode.POLICY_VIOLATION) from None
            if hello.session_id not in (None, self._bound):
                raise p.ProtocolError(p.ErrorCode.FORBIDDEN, "this token is for another session",
                                      p.CloseCode.POLICY_VIOLATION)
            self.id = self._bound  # resumed if it exists, otherwise created with that id
        elif hello.session_id is not None:
            try:
                validate_session_id(hello.session_id)
            except InvalidSessionId as exc:
                raise p.ProtocolError(p.ErrorCode.INVALID_SESSION_ID, str(exc), p.CloseCode.POLICY_VIOLATION) from None
            self.id = hello.session_id
        else:
            return False
        self.phase = Phase.RESUMING
        return True

    def resumed(self, found: bool) -> bool:
        """The store answered: True if the session opens resumed, False if it opens new (a token
        bound to a session id that has nothing stored yet). Raises ProtocolError if unknown."""
        if found:
            return True
        if self._bound is not None:
            return False
        raise p.ProtocolError(
            p.ErrorCode.SESSION_NOT_FOUND,
            "no such session (unknown or expired); connect without session_id to start a new one",
            p.CloseCode.POLICY_VIOLATION,
        )

    def open(self, *, resumed: bool) -> p.Ready:
        """Mark the session open; the ``ready`` message that says so."""
        self.phase = Phase.OPEN
        log.info("session %s (pipeline=%s)", "resumed" if resumed else "opened", self.pipeline)
        return p.Ready(
            session_id=self.id,
            input={**INPUT_FORMAT.as_wire(), "frame_ms": 20},
            output=self._output.as_wire(),
            pipeline=self.pipeline,
            resumed=resumed,
        )
