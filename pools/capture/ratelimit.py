"""A fixed-window rate limit counted in Redis, shared by every web process."""

from __future__ import annotations

import logging
import math
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
        # Losing leads is worse than not limiting for a while.
        log.exception("Rate limiter unavailable; letting the request through")
        return None
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))
