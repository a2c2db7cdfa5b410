"""Helpers every app uses to hand work to Celery without telling anyone about a rollback."""

import threading
from functools import partial

from django.db import transaction

from .celery import app


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` only once the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(partial(task.apply_async, args=args, kwargs=kwargs))


def enqueue_by_name_on_commit(task_name: str, *args, **kwargs) -> None:
    """The same for a task of a higher layer (pools → routing.tasks.lead_intake), which
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


LEAD_INTAKE_TASK = "routing.tasks.lead_intake"
LEADS_INTAKE_TASK = "routing.tasks.leads_intake"
