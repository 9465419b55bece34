"""The session store interface: a record of one conversation, its JSON form, and the errors.

Edge nodes are ephemeral, so what a session needs to resume elsewhere (its conversation history
and its settings) lives in a store keyed by the session id, for a TTL. No audio is ever stored;
transcripts are stored only as conversation history and only for the TTL.

Store methods are *synchronous* and may block briefly (a file, a socket with a short timeout);
the server calls them from a worker thread, never on the event loop.

Versioning: ``SessionRecord.version`` counts saves. A writer loads a record at version *n* and
saves its successor at *n + 1* (``record.next_version(...)``); a save whose version is not higher
than the stored one raises ``StaleWrite`` and changes nothing. Two nodes resuming the same
session can therefore never overwrite each other's newer history with an older one.

Fencing (stores shared by nodes, see ``app.store.lease``): a connection serving a session holds
its lease, and saves carry the lease's generation (``SessionRecord.fence``). A save whose fence is
older than the newest lease taken on that session raises ``FencedWrite``: a connection that was
taken over can never write its stale copy on top of the new one, nor resurrect a forgotten one.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from app.chat import ChatMessage

SettingValue = str | int | float | bool
"""What a session setting may hold (JSON scalars, no null)."""

ROLES = frozenset({"system", "user", "assistant"})
"""Roles a stored chat message may have."""

RECORD_FORMAT = 2
"""Version of the JSON layout written by ``encode_record`` (2 added ``timers``; 1 is still read)."""
MAX_TIMERS = 20
"""Pending timers a record may hold."""

SESSION_ID_MIN = 16
SESSION_ID_MAX = 128
_SESSION_ID = re.compile(rf"[A-Za-z0-9_-]{{{SESSION_ID_MIN},{SESSION_ID_MAX}}}")


# ------------------------------------------------------------------ errors


class StoreError(Exception):
    """Base of every session store error."""


class StoreUnavailable(StoreError):
    """The backend cannot be reached or did not answer in time; retrying later may work."""


class InvalidSessionId(StoreError, ValueError):
    """A session id is not a string of 16-128 URL-safe characters (A-Z a-z 0-9 _ -)."""


class CorruptRecord(StoreError):
    """Stored data is not a valid session record."""


class StaleWrite(StoreError):
    """A save lost a version race: the store already holds this version or a newer one."""

    def __init__(self, session_id: str, attempted: int, stored: int | None, message: str | None = None) -> None:
        super().__init__(message or (
            f"session {short_id(session_id)}: version {attempted} is not newer than stored version {stored}"
        ))
        self.session_id = session_id
        self.attempted = attempted
        self.stored = stored


class FencedWrite(StaleWrite):
    """A write from a connection that no longer holds the session: a newer lease was taken since.

    ``attempted`` is the writer's lease generation, ``stored`` the newest one (None if unknown)."""

    def __init__(self, session_id: str, attempted: int, stored: int | None) -> None:
        newer = "" if stored is None else f" (lease {attempted} < {stored})"
        super().__init__(session_id, attempted, stored,
                         f"session {short_id(session_id)}: not written, another connection holds it now{newer}")


# ------------------------------------------------------------------ session ids


def new_session_id() -> str:
    """A fresh random session id: 22 URL-safe characters (128 bits)."""
    return secrets.token_urlsafe(16)


def validate_session_id(session_id: object) -> str:
    """Return ``session_id`` if it is a valid id, else raise ``InvalidSessionId``.

    Valid: a str of 16-128 characters from A-Z a-z 0-9 _ - (``new_session_id()`` and
    ``uuid4().hex`` both qualify). The offending value is not echoed (it is client input)."""
    if not isinstance(session_id, str) or _SESSION_ID.fullmatch(session_id) is None:
        raise InvalidSessionId(
            f"a session id must be {SESSION_ID_MIN}-{SESSION_ID_MAX} characters of A-Z a-z 0-9 _ -"
        )
    return session_id


def short_id(session_id: str) -> str:
    """The first 8 characters of a session id: all that logs may show."""
    return session_id[:8]


# ------------------------------------------------------------------ the record


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What a store keeps of one session. Immutable; build the next one with ``next_version``."""

    session_id: str
    history: tuple[ChatMessage, ...] = ()
    """Conversation so far, oldest first (no system prompt)."""
    settings: Mapping[str, SettingValue] = field(default_factory=lambda: MappingProxyType({}))
    """Session settings such as ``{"pipeline": "fast"}``; kept as a read-only mapping."""
    updated_at: float = 0.0
    """Wall-clock time of the save, unix seconds."""
    version: int = 0
    """Number of saves so far; 0 means never saved. A save must carry a higher version."""
    timers: tuple[Mapping[str, SettingValue], ...] = ()
    """The session's pending timers and reminders, each a flat JSON object (see app.tools.Timer)."""
    fence: int = field(default=0, compare=False)
    """Lease generation of the connection saving it (0: none). Checked by a store shared by nodes
    and never stored itself, so a loaded record has 0 and equality ignores it."""

    def __post_init__(self) -> None:
        validate_session_id(self.session_id)
        history = tuple(self.history)
        for message in history:
            if not isinstance(message, ChatMessage):
                raise TypeError(f"history items must be ChatMessage, not {type(message).__name__}")
            if message.role not in ROLES or not isinstance(message.content, str):
                raise ValueError(f"invalid chat message (role {message.role!r})")
        settings = dict(self.settings)
        for key, value in settings.items():
            if not isinstance(key, str) or not _is_setting_value(value):
                raise ValueError(f"setting {key!r} must map a str to a str, int, finite float or bool")
        if not is_number(self.updated_at) or not math.isfinite(self.updated_at):
            raise ValueError("updated_at must be a finite number")
        for name in ("version", "fence"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be an int >= 0")
        timers = tuple(MappingProxyType(_flat_object(t, "timer")) for t in self.timers)
        if len(timers) > MAX_TIMERS:
            raise ValueError(f"at most {MAX_TIMERS} timers")
        object.__setattr__(self, "history", history)
        object.__setattr__(self, "settings", MappingProxyType(settings))
        object.__setattr__(self, "timers", timers)

    def next_version(
        self,
        *,
        history: Iterable[ChatMessage] | None = None,
        settings: Mapping[str, SettingValue] | None = None,
        timers: Iterable[Mapping[str, SettingValue]] | None = None,
        now: float | None = None,
        fence: int | None = None,
    ) -> SessionRecord:
        """The record to save next: version + 1, ``updated_at`` = now, and the given changes
        (``fence``: the writer's lease generation; by default this record's)."""
        return SessionRecord(
            session_id=self.session_id,
            history=self.history if history is None else tuple(history),
            settings=self.settings if settings is None else settings,
            updated_at=time.time() if now is None else now,
            version=self.version + 1,
            timers=self.timers if timers is None else tuple(timers),
            fence=self.fence if fence is None else fence,
        )


def _flat_object(value: object, what: str) -> dict[str, SettingValue]:
    if not isinstance(value, Mapping):
        raise ValueError(f"a {what} must be an object")
    flat = dict(value)
    for key, item in flat.items():
        if not isinstance(key, str) or not _is_setting_value(item):
            raise ValueError(f"{what} field {key!r} must map a str to a str, int, finite float or bool")
    return flat


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_setting_value(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int)  # bool is an int


def check_saveable(record: SessionRecord) -> None:
    """Stores call this first in ``save``: a record must be a ``SessionRecord`` of version >= 1."""
    if not isinstance(record, SessionRecord):
        raise TypeError(f"expected a SessionRecord, not {type(record).__name__}")
    if record.version < 1:
        raise ValueError("save a record with version >= 1 (use record.next_version(...))")


# ------------------------------------------------------------------ the interface


class SessionStore(Protocol):
    """Where session records live between connections. All methods are synchronous.

    Every method taking a session id raises ``InvalidSessionId`` for a malformed one, and
    ``StoreUnavailable`` when the backend cannot be reached."""

    @property
    def ttl_s(self) -> float:
        """Seconds a record lives after its last save."""
        ...

    def load(self, session_id: str) -> SessionRecord | None:
        """The stored record, or None if unknown or expired. ``CorruptRecord`` if unreadable."""
        ...

    def save(self, record: SessionRecord) -> None:
        """Store ``record`` and (re)start its TTL.

        ``StaleWrite`` (and nothing stored) unless ``record.version`` is higher than the stored
        version; an unknown or expired session accepts any version >= 1. A store shared by nodes
        also raises ``FencedWrite`` when ``record.fence`` is older than the session's newest lease."""
        ...

    def delete(self, session_id: str) -> bool:
        """Forget a session (works on corrupt records too). Whether one was stored."""
        ...

    def ping(self) -> bool:
        """Whether the backend answers (health check); never raises."""
        ...

    def close(self) -> None:
        """Release connections. Idempotent."""
        ...
