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
from celery import shared_task

from leadroute.shared.on_commit import BROKER_DOWN
from routing.intake import drain
from routing.intake.pending import intake_pending_clear, intake_pending_set

log = logging.getLogger(__name__)


def intake_kick(*, force: bool = False) -> bool:
    """Publish one drain task unless one is already pending; True if it published.
    `force` publishes anyway (the sweep: the flag may outlive a lost drain).

    Never raises: the caller's lead has committed, so failing its request (a 500 for a
    lead that exists) would only make the client post it again. If Redis cannot tell
    whether a drain is pending, publish; if the publish fails too, the sweep finds the lead
    waiting and drains it."""
    try:
        pending = not intake_pending_set(force=force)
    except redis.RedisError:
        log.warning("Redis unreachable for the intake flag; publishing a drain anyway")
        pending = False
    if pending:
        return False
    try:
        intake_drain.apply_async()
    except BROKER_DOWN:
        log.exception("Could not publish the intake drain; the sweep will drain the leads")
        intake_pending_clear()  # so the next capture tries to publish again
        return False
    return True


@shared_task(
    name="routing.tasks.intake_drain", autoretry_for=(Exception,), max_retries=5, retry_backoff=True
)
def intake_drain() -> int:
    """Screen and route every lead waiting for intake; stopped early by its caps, kick a
    successor. Published by an intake kick, at most one pending at a time, and by the
    sweep for leads that waited too long. Safe to run twice and in parallel
    (drain.waiting_leads_drain). Defined beside the kick that publishes it, so that the
    drain, the kick and the tasks module import one way."""
    drained = drain.waiting_leads_drain()
    if not drained.finished:
        intake_kick()
    return drained.routed


def leads_waiting_kick(sender, *, lead_ids: list[int], **kwargs) -> None:
    """Receiver of pools.signals.leads_waiting (sent after commit): one kick serves them
    all, however many leads the commit left waiting."""
    intake_kick()
