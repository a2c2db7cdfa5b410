"""A fixed-window rate limit counted in Redis, shared by every web process."""

from __future__ import annotations

import logging
import math
import threading
import time

import redis

from leadroute.shared.redis_client import redis_client, redis_key

log = logging.getLogger(__name__)


def rate_limit_hit(*, bucket: str, limit: int, period: int = 60) -> int | None:
    """Count one request in `bucket`; return the seconds to wait if it is over `limit`,
    else None."""
    now = time.time()
    window = int(now // period)
    key = redis_key("ratelimit", bucket, window)
    try:
        # INCR is atomic, so concurrent requests all count; the expiry (set in the same
        # round trip) means a window's counter never outlives it.
        pipe = redis_client().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, period + 1)
        count = pipe.execute()[0]
    except redis.RedisError:
        # Degrade, don't open: each process counts on its own until Redis is back. Losing
        # a burst of leads would be worse than refusing nothing, so not closed either.
        log.warning("Rate limiter's Redis unavailable; counting in this process", exc_info=True)
        count = _local_count(key)
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))


_local: dict[str, int] = {}  # key (with its window) -> count, while Redis is away
_local_lock = threading.Lock()


def _local_count(key: str) -> int:
    with _local_lock:
        if len(_local) > 10_000:  # old windows' keys, mostly
            _local.clear()
        _local[key] = _local.get(key, 0) + 1
        return _local[key]
