"""Helpers every app uses to hand work to Celery without telling anyone about a rollback."""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` only once the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(partial(task.apply_async, args=args, kwargs=kwargs))
