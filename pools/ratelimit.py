"""A fixed-window rate limit counted in Redis, shared by every web process."""

from __future__ import annotations

import logging
import math
import threading
import time

import redis
from django.conf import settings

log = logging.getLogger(__name__)
_client: redis.Redis | None = None
_client_lock = threading.Lock()


def _redis() -> redis.Redis:
    # One client (and connection pool) per process. Django's cache objects are per thread,
    # and under ASGI every request runs in a new thread, so going through the cache would
    # open a fresh Redis connection for each request.
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1,
                                               socket_connect_timeout=1)
    return _client


def rate_limit_hit(*, bucket: str, limit: int, period: int = 60) -> int | None:
    """Count one request in `bucket`; return the seconds to wait if it is over `limit`,
    else None."""
    now = time.time()
    window = int(now // period)
    prefix = getattr(settings, "CACHES", {}).get("default", {}).get("KEY_PREFIX", "")
    key = f"{prefix}:ratelimit:{bucket}:{window}"
    try:
        # INCR is atomic, so concurrent requests all count; the expiry (set in the same
        # round trip) means a window's counter never outlives it.
        pipe = _redis().pipeline(transaction=False)
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
