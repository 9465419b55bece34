"""Session records in Redis, shared by every edge node that points at the same instance.

One hash per session, ``<prefix><session id>`` = {version, record}, with a TTL. Saves run as a
Lua script, so the version check and the write are one atomic step on the server. Socket
timeouts are short so a dead or hung Redis fails a call fast instead of stalling a turn.
"""

from __future__ import annotations

import logging

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.store.base import (
    CorruptRecord,
    FencedWrite,
    SessionRecord,
    StaleWrite,
    StoreError,
    check_saveable,
    short_id,
    validate_session_id,
)
from app.store.codec import decode_record, encode_record
from app.store.redis_errors import mapped as _mapped
from app.store.redis_lease import LEASE_S, RedisLeases

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 0.5

# KEYS = record key, generation key (see redis_lease); ARGV = version, record JSON, ttl in ms,
# fence, generation ms. Returns {1, version} when written, {0, stored version} when stale,
# {-2, newest generation} when fenced, {-1, 0} when the stored version field is unreadable.
_SAVE_SCRIPT = """
local newest = redis.call('GET', KEYS[2])
if newest and tonumber(ARGV[4]) < (tonumber(newest) or 0) then return {-2, newest} end
local stored = redis.call('HGET', KEYS[1], 'version')
if stored then
  local n = tonumber(stored)
  if not n then return {-1, 0} end
  if tonumber(ARGV[1]) <= n then return {0, n} end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'record', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '0' then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5]) end
return {1, tonumber(ARGV[1])}
"""


class RedisStore:
    """Session records in Redis (``redis://host:port/db``, ``rediss://``, ``unix://``).

    The client connects lazily: constructing one with Redis down succeeds, and the first call
    raises ``StoreUnavailable``. Each command gets ``timeout_s`` to connect and to answer, and
    one immediate retry (which rides over a pooled connection broken by a Redis restart).
    ``leases`` keeps one live connection per session across the nodes (``lease_s``: how long an
    unrenewed lease lasts)."""

    def __init__(
        self,
        url: str,
        ttl_s: float,
        prefix: str = "edgevoice:",
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        lease_s: float = LEASE_S,
    ) -> None:
        if not ttl_s > 0:
            raise ValueError("ttl_s must be > 0")
        self._ttl_s = float(ttl_s)
        self._ttl_ms = max(1, round(self._ttl_s * 1000))
        self._prefix = prefix
        self._client: redis.Redis = redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1),
        )
        self._save_script = self._client.register_script(_SAVE_SCRIPT)
        self._leases = RedisLeases(
            self._client, prefix, self._ttl_ms, lease_s=lease_s, renew_every_s=min(0.5, lease_s / 4)
        )

    @property
    def leases(self) -> RedisLeases:
        """Who serves each session now (``app.store.lease``)."""
        return self._leases

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    @property
    def client(self) -> redis.Redis:
        """The underlying client (tests and diagnostics)."""
        return self._client

    def key(self, session_id: str) -> str:
        """The Redis key of a session."""
        return self._prefix + validate_session_id(session_id)

    def load(self, session_id: str) -> SessionRecord | None:
        key = self.key(session_id)
        with _mapped():
            version, data = self._client.hmget(key, ["version", "record"])
        if version is None and data is None:
            return None
        if version is None or data is None:
            raise CorruptRecord("stored session lacks its version or record field")
        record = decode_record(data, session_id=session_id)
        if str(record.version).encode() != version:
            raise CorruptRecord("stored version field does not match the record")
        return record

    def save(self, record: SessionRecord) -> None:
        check_saveable(record)
        key = self.key(record.session_id)
        data = encode_record(record)
        keys = [key, self._leases.generation_key(record.session_id)]
        args = [record.version, data, self._ttl_ms, record.fence, self._leases.keep_ms]
        with _mapped():
            status, stored = self._save_script(keys=keys, args=args)
        if status == -2:
            raise FencedWrite(record.session_id, record.fence, int(stored))
        if status == 0:
            raise StaleWrite(record.session_id, record.version, int(stored))
        if status != 1:
            raise CorruptRecord("stored version field is not a number")
        log.debug("saved session %s v%d", short_id(record.session_id), record.version)

    def delete(self, session_id: str) -> bool:
        key = self.key(session_id)
        with _mapped():
            return bool(self._client.delete(key))

    def ping(self) -> bool:
        try:
            with _mapped():
                return bool(self._client.ping())
        except StoreError:
            return False

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RedisStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
