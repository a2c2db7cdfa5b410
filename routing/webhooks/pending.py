"""The "a drain is pending" flag in Redis (routing.webhooks.kick says how it is used)."""

from __future__ import annotations

import logging

import redis

from leadroute.shared.redis_client import redis_client, redis_key

log = logging.getLogger(__name__)

# Short, so a flag whose drain was lost stops suppressing kicks soon even without a sweep.
PENDING_TTL = 60


def pending_key() -> str:
    return redis_key("webhooks", "pending")


def pending_set(*, force: bool) -> bool:
    """Set the flag; False if it was set already, unless `force`. Raises RedisError."""
    return bool(redis_client().set(pending_key(), 1, nx=not force, ex=PENDING_TTL))


def pending_clear() -> None:
    """Called by a drain before it looks for due deliveries."""
    try:
        redis_client().delete(pending_key())
    except redis.RedisError:
        log.warning("Redis unreachable: could not clear the webhook drain flag")
