"""Helpers every app uses to hand work to Celery without telling anyone about a rollback."""

from functools import partial

import redis
from django.db import transaction
from kombu.exceptions import OperationalError

# What publishing a task raises when the broker cannot be reached: the caller keeps the
# work in the database for a sweep to publish again.
BROKER_DOWN = (OperationalError, redis.RedisError, OSError)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` only once the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(partial(task.apply_async, args=args, kwargs=kwargs))
