"""The intake kick: how a committed lead asks for a drain, one publish per burst.

A captured lead does not get a task of its own: one drain task screens and routes every
lead waiting at the time it runs (routing.intake.drain). The first kick after a drain
started sets a flag in Redis and publishes; the others see the flag and publish nothing.

Why no lead is stranded: a lead kicks after it committed. If its SET finds the flag
already there, the kicker that set it published a drain, and that drain deletes the flag
before its first SELECT, so it deletes it after our SET saw it, and its SELECT (a fresh
READ COMMITTED snapshot) sees our committed lead. The flag only expires (TTL) or is
deleted by a drain: never by anyone who has not yet looked for waiting leads. What the
flag cannot cover (a lost message, a publish that failed after the SET, a lead locked by
someone else while a drain passed) the beat sweep covers: leads still waiting after
INTAKE_SWEEP_GRACE_SECONDS get a drain of their own (routing.services.sweep_run).
"""

from __future__ import annotations

import logging

import redis
from kombu.exceptions import OperationalError

from leadroute.shared.redis_client import redis_client, redis_key

log = logging.getLogger(__name__)

# Short, so a flag whose drain was lost stops suppressing kicks soon even without a sweep.
INTAKE_PENDING_TTL = 60


def intake_pending_key() -> str:
    return redis_key("intake", "pending")


def intake_kick(*, force: bool = False) -> bool:
    """Publish one drain task unless one is already pending; True if it published.
    `force` publishes anyway (the sweep: the flag may outlive a lost drain).

    Never raises: the caller's lead has committed, so failing its request (a 500 for a
    lead that exists) would only make the client post it again. If Redis cannot tell
    whether a drain is pending, publish; if the publish fails too, the sweep finds the lead
    waiting and drains it."""
    # routing.tasks imports the drain, which kicks its successor: imported when used.
    from routing.tasks import intake_drain

    try:
        pending = not redis_client().set(
            intake_pending_key(), 1, nx=not force, ex=INTAKE_PENDING_TTL
        )
    except redis.RedisError:
        log.warning("Redis unreachable for the intake flag; publishing a drain anyway")
        pending = False
    if pending:
        return False
    try:
        intake_drain.apply_async()
    except (OperationalError, redis.RedisError, OSError):  # the broker is unreachable
        log.exception("Could not publish the intake drain; the sweep will drain the leads")
        intake_pending_clear()  # so the next capture tries to publish again
        return False
    return True


def intake_pending_clear() -> None:
    """Called by a drain before it looks for waiting leads (see the ordering above)."""
    try:
        redis_client().delete(intake_pending_key())
    except redis.RedisError:
        # The flag expires by itself; meanwhile kicks are suppressed and the sweep covers.
        log.warning("Redis unreachable: could not clear the intake flag")


def leads_waiting_kick(sender, *, lead_ids: list[int], **kwargs) -> None:
    """Receiver of pools.signals.leads_waiting (sent after commit): one kick serves them
    all, however many leads the commit left waiting."""
    intake_kick()
