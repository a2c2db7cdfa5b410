"""One Redis client per process for the request path's own Redis work (rate limits, the
API key cache's revocation stamp, one-use tokens)."""

from __future__ import annotations

import logging
import threading

import redis
from django.conf import settings

log = logging.getLogger(__name__)
_client: redis.Redis | None = None
_client_lock = threading.Lock()


def redis_client() -> redis.Redis:
    # One client (and connection pool) per process. Django's cache objects are per thread,
    # and under ASGI every page request runs in a new thread, so going through the cache
    # would open a fresh Redis connection for each request. Short timeouts: callers treat
    # an unreachable Redis as "cannot tell" and fall back to something safe.
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = redis.Redis.from_url(
                    settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
                )
    return _client


def redis_key(*parts: object) -> str:
    """A key under this deployment's CACHE_KEY_PREFIX, so deployments can share a Redis."""
    prefix = settings.CACHES.get("default", {}).get("KEY_PREFIX", "")
    return ":".join(str(p) for p in (prefix, *parts))


def first_use(*parts: object, seconds: int) -> bool:
    """Mark the token `parts` names used; False if it was already (a form sent twice). One
    SET NX: of two sends at once, one wins. An unreachable Redis lets the use through: the
    callers would rather risk a duplicate than refuse a person."""
    try:
        return bool(redis_client().set(redis_key(*parts), 1, nx=True, ex=seconds))
    except redis.RedisError:
        log.exception("One-use token store unavailable; accepting the use")
        return True
