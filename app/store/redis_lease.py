"""Session leases in Redis (see ``app.store.lease``), next to the records of ``RedisStore``.

Two keys per session beside its record:

- ``<prefix>lease:<id>``, a hash {gen, wanted}: who holds the session now, with a short TTL that
  renewals push back, so a dead node's lease lapses by itself;
- ``<prefix>gen:<id>``, the newest generation ever taken, kept as long as the record can live.
  It survives a ``forget`` (which deletes the record), so a save fenced with an older generation
  is refused even when there is no record left to compare versions with.

A generation is the Redis server's clock in microseconds (or the last one + 1 if that is not
higher): it grows across a Redis restart that lost every key, so an old holder's generation stays
older than every lease taken since. Every step is one Lua script, atomic on the server.
"""

from __future__ import annotations

import time

import redis

from app.store.base import validate_session_id
from app.store.lease import HANDOVER_S, LeaseState
from app.store.redis_errors import mapped

LEASE_S = 5.0
"""A lease not renewed for this long lapses (its node died or lost Redis)."""
RENEW_EVERY_S = 0.5
"""Renewal period: how soon an old holder sees that a new connection wants the session."""
POLL_S = 0.05
"""How often a claim looks whether the old holder has let go."""

# KEYS = lease, generation; ARGV = lease ms, generation ms. Returns the new generation.
_ACQUIRE = """
local now = redis.call('TIME')
local clock = tonumber(now[1]) * 1000000 + tonumber(now[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local gen = string.format('%.0f', math.max(last + 1, clock))
redis.call('SET', KEYS[2], gen, 'PX', ARGV[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'gen', gen)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return gen
"""

# KEYS = lease. Marks a held lease as wanted; returns 1 if it was held.
_REQUEST = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'wanted', '1')
return 1
"""

# KEYS = lease, generation; ARGV = generation, lease ms, generation ms.
# Returns 1 held, 2 held and wanted, 0 lost.
_RENEW = """
local held = redis.call('HGET', KEYS[1], 'gen')
if ARGV[1] == '0' then
  if held or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
  return 1
end
if held and held ~= ARGV[1] then return 0 end
if not held then
  local last = redis.call('GET', KEYS[2])
  if last and last ~= ARGV[1] then return 0 end
  redis.call('HSET', KEYS[1], 'gen', ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
if redis.call('HEXISTS', KEYS[1], 'wanted') == 1 then return 2 end
return 1
"""

# KEYS = lease; ARGV = generation. Returns 1 if released.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'gen') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

_STATES = {0: LeaseState.LOST, 1: LeaseState.HELD, 2: LeaseState.WANTED}


class RedisLeases:
    """The ``SessionLeases`` of a ``RedisStore`` (same client, same key prefix).

    ``keep_ms``: how long the newest generation is kept (the store's TTL plus a lease)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        keep_ms: int,
        *,
        lease_s: float = LEASE_S,
        renew_every_s: float = RENEW_EVERY_S,
    ) -> None:
        if not 0 < renew_every_s < lease_s:
            raise ValueError("renew_every_s must be > 0 and shorter than lease_s")
        self._client = client
        self._prefix = prefix
        self._lease_ms = max(1, round(lease_s * 1000))
        self._keep_ms = max(1, keep_ms) + self._lease_ms
        self._renew_every_s = renew_every_s
        self._acquire = client.register_script(_ACQUIRE)
        self._request = client.register_script(_REQUEST)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @property
    def renew_every_s(self) -> float:
        return self._renew_every_s

    @property
    def keep_ms(self) -> int:
        """Milliseconds the newest generation outlives its last use."""
        return self._keep_ms

    def lease_key(self, session_id: str) -> str:
        return f"{self._prefix}lease:{validate_session_id(session_id)}"

    def generation_key(self, session_id: str) -> str:
        return f"{self._prefix}gen:{validate_session_id(session_id)}"

    def claim(self, session_id: str, handover_s: float = HANDOVER_S) -> tuple[int, bool]:
        lease, newest = self.lease_key(session_id), self.generation_key(session_id)
        with mapped():
            held = bool(self._request(keys=[lease]))
            deadline = time.monotonic() + handover_s
            waiting = held
            while waiting and time.monotonic() < deadline:
                time.sleep(POLL_S)  # the holder hands over at its next renewal
                waiting = bool(self._client.exists(lease))
            generation = int(self._acquire(keys=[lease, newest], args=[self._lease_ms, self._keep_ms]))
        return generation, held

    def renew(self, session_id: str, generation: int) -> LeaseState:
        keys = [self.lease_key(session_id), self.generation_key(session_id)]
        with mapped():
            state = int(self._renew(keys=keys, args=[generation, self._lease_ms, self._keep_ms]))
        return _STATES[state]

    def release(self, session_id: str, generation: int) -> bool:
        with mapped():
            return bool(self._release(keys=[self.lease_key(session_id)], args=[generation]))
