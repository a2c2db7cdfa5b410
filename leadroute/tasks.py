"""Helpers every app uses to hand work to Celery without telling anyone about a rollback,
and the intake kick that hands captured leads to routing (one drain per burst)."""

import logging
import threading
from functools import partial

import redis
from django.db import transaction
from kombu.exceptions import OperationalError

from .celery import app
from .redis_client import redis_client, redis_key

log = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` only once the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(partial(task.apply_async, args=args, kwargs=kwargs))


def enqueue_by_name_on_commit(task_name: str, *args, **kwargs) -> None:
    """The same for a task of a higher layer (pools → routing.tasks.leads_intake), which
    the lower layer may not import."""
    # Looked up in the registry (not `send_task`) so eager mode in unit tests applies too.
    transaction.on_commit(lambda: _send(task_name, args, kwargs))


_discovery = threading.Lock()


def task_by_name(task_name: str):
    """A registered task of any app, or None. Only a worker autodiscovers the apps' tasks
    modules; a web process that never imported routing.tasks would otherwise raise
    NotRegistered. Discovery runs once, under a lock (request threads raced it)."""
    if task_name not in app.tasks:
        with _discovery:
            if task_name not in app.tasks:
                app.loader.import_default_modules()
    return app.tasks.get(task_name)


def _send(task_name: str, args, kwargs) -> None:
    task = task_by_name(task_name)
    if task is not None:
        task.apply_async(args=args, kwargs=kwargs)
    else:
        app.send_task(task_name, args=args, kwargs=kwargs)


LEADS_INTAKE_TASK = "routing.tasks.leads_intake"


# --- Intake kicks ---------------------------------------------------------------------
# A captured lead does not get a task of its own: one drain task screens and routes every
# lead waiting at the time it runs (routing.intake). A burst of captures therefore needs
# one publish, not one per lead: the first capture after a drain started sets a flag in
# Redis and publishes; the others see the flag and publish nothing.
#
# Why no lead is stranded: a capture kicks after its lead committed. If its SET finds the
# flag already there, the kicker that set it published a drain, and that drain deletes the
# flag before its first SELECT, so it deletes it after our SET saw it, and its SELECT
# (a fresh READ COMMITTED snapshot) sees our committed lead. The flag only expires (TTL)
# or is deleted by a drain: never by anyone who has not yet looked for waiting leads.
# What the flag cannot cover (a lost message, a publish that failed after the SET, a lead
# locked by someone else while a drain passed) the beat sweep covers: leads still waiting
# after INTAKE_SWEEP_GRACE_SECONDS get a drain of their own (routing.services.sweep_run).

INTAKE_DRAIN_TASK = "routing.tasks.intake_drain"
# Short, so a flag whose drain was lost stops suppressing kicks soon even without a sweep.
INTAKE_PENDING_TTL = 60


def intake_pending_key() -> str:
    return redis_key("intake", "pending")


def intake_kick_on_commit() -> None:
    """Ask for a drain of the waiting leads once the surrounding transaction commits."""
    transaction.on_commit(intake_kick)


def intake_kick(*, force: bool = False) -> bool:
    """Publish one drain task unless one is already pending; True if it published.
    `force` publishes anyway (the sweep: the flag may outlive a lost drain).

    Never raises: the caller's lead has committed, so failing its request (a 500 for a
    lead that exists) would only make the client post it again. If Redis cannot tell
    whether a drain is pending, publish; if the publish fails too, the sweep finds the lead
    waiting and drains it."""
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
        _send(INTAKE_DRAIN_TASK, (), {})
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
