"""redis-py errors as store errors: one mapping for the Redis records and leases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis

from app.store.base import CorruptRecord, StoreError, StoreUnavailable


@contextmanager
def mapped() -> Iterator[None]:
    """redis-py errors become store errors."""
    try:
        yield
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        raise StoreUnavailable(f"redis: {type(exc).__name__}: {exc}") from exc
    except redis.exceptions.ReadOnlyError as exc:  # a replica after a failover
        raise StoreUnavailable(f"redis: {exc}") from exc
    except redis.exceptions.ResponseError as exc:
        if "WRONGTYPE" in str(exc):
            raise CorruptRecord("the session key holds another Redis type") from exc
        raise StoreError(f"redis: {exc}") from exc
    except redis.exceptions.RedisError as exc:
        raise StoreError(f"redis: {type(exc).__name__}: {exc}") from exc
