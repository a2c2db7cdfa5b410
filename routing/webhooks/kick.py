"""The drain kick: after a transaction that wrote deliveries commits, publish one drain
unless one is pending already (a flag in Redis, as routing.intake.kick does for leads, and
for the same reason no delivery waits on a flag: a drain clears it before it looks).
Whatever a lost publish leaves, the beat sweep drains."""

from __future__ import annotations

import logging

import redis
from django.db import transaction

from leadroute.shared.on_commit import BROKER_DOWN
from leadroute.shared.redis_client import redis_client, redis_key

log = logging.getLogger(__name__)

PENDING_TTL = 60


def pending_key() -> str:
    return redis_key("webhooks", "pending")


def deliveries_kick_on_commit() -> None:
    transaction.on_commit(deliveries_kick, robust=True)


def deliveries_kick(*, force: bool = False) -> bool:
    """Publish a drain unless one is pending; True if it published. Never raises: the
    deliveries are committed, and the sweep sends what a failed publish leaves."""
    from .tasks import webhooks_drain  # the task module imports the drain, which kicks

    try:
        if not redis_client().set(pending_key(), 1, nx=not force, ex=PENDING_TTL):
            return False
    except redis.RedisError:
        log.warning("Redis unreachable for the webhook drain flag; publishing anyway")
    try:
        webhooks_drain.apply_async()
    except BROKER_DOWN:
        log.exception("Could not publish the webhook drain; the sweep will send")
        pending_clear()
        return False
    return True


def pending_clear() -> None:
    try:
        redis_client().delete(pending_key())
    except redis.RedisError:
        log.warning("Redis unreachable: could not clear the webhook drain flag")
