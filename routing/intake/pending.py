"""The intake's "a drain is pending" flag in Redis: a kick sets it and publishes, a drain
clears it before it looks (routing.intake.kick says why that order strands no lead)."""

import logging

import redis

from leadroute.shared.redis_client import redis_client, redis_key

log = logging.getLogger(__name__)

# Short, so a flag whose drain was lost stops suppressing kicks soon even without a sweep.
INTAKE_PENDING_TTL = 60


def intake_pending_key() -> str:
    return redis_key("intake", "pending")


def intake_pending_set(*, force: bool) -> bool:
    """Set the flag; False if it was set already (a drain is pending), unless `force`.
    Raises RedisError when Redis cannot tell."""
    return bool(redis_client().set(intake_pending_key(), 1, nx=not force, ex=INTAKE_PENDING_TTL))


def intake_pending_clear() -> None:
    """Called by a drain before it looks for waiting leads (see the ordering above)."""
    try:
        redis_client().delete(intake_pending_key())
    except redis.RedisError:
        # The flag expires by itself; meanwhile kicks are suppressed and the sweep covers.
        log.warning("Redis unreachable: could not clear the intake flag")
