"""A fixed-window rate limit counted in Redis (through the Django cache), shared by every
web process."""

from __future__ import annotations

import logging
import math
import time

from django.core.cache import cache

log = logging.getLogger(__name__)


def rate_limit_hit(*, bucket: str, limit: int, period: int = 60) -> int | None:
    """Count one request in `bucket`; return the seconds to wait if it is over `limit`,
    else None."""
    now = time.time()
    window = int(now // period)
    key = f"ratelimit:{bucket}:{window}"
    try:
        # add() is SET NX with the expiry, so the counter never outlives its window;
        # incr() is atomic in Redis, so concurrent requests all count.
        cache.add(key, 0, timeout=period + 1)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 — losing leads is worse than not limiting for a while
        log.exception("Rate limiter unavailable; letting the request through")
        return None
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))
