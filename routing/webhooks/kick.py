"""The drain kick: after a transaction that wrote deliveries commits, publish one drain
unless one is pending already — a flag in Redis, as routing.intake.kick does for leads, and
for the same reason no delivery waits on a flag: a drain clears it before its first look,
so a kick that finds the flag set is covered by a drain that has not looked yet. Whatever a
lost publish leaves, the beat sweep drains."""

from __future__ import annotations

import logging

import redis
from celery import shared_task
from django.db import transaction

from leadroute.shared.on_commit import BROKER_DOWN

from .pending import pending_clear, pending_set
from .send import deliveries_drain

log = logging.getLogger(__name__)


def deliveries_kick_on_commit() -> None:
    transaction.on_commit(deliveries_kick, robust=True)


def deliveries_kick(*, force: bool = False) -> bool:
    """Publish a drain unless one is pending; True if it published. Never raises: the
    deliveries are committed, and the sweep sends what a failed publish leaves."""
    try:
        if not pending_set(force=force):
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


@shared_task(name="routing.tasks.webhooks_drain", acks_late=True)
def webhooks_drain() -> dict:
    """Send every due webhook delivery; stopped by its time budget, kick a successor.
    Kicked after a commit that wrote deliveries, and run by beat every sweep interval (the
    sweep: retries come due, a lost kick, a worker killed mid-delivery). Safe to run twice
    and in parallel: rows are leased with SKIP LOCKED and written back only under their
    lease. No autoretry: what fails waits in its row. Defined beside the kick that
    publishes it, so the modules import one way."""
    drained = deliveries_drain()
    if not drained.finished:
        deliveries_kick(force=True)
    return {"delivered": drained.delivered, "failed": drained.failed}
