"""Beat publishes its tasks by name: each must be a task the worker registers."""

from django.conf import settings

from leadroute.celery import app


def test_every_beat_entry_names_a_task_the_worker_registers():
    """The escalation sweep registered under its module's path while beat sent
    "routing.tasks.escalation_sweep": the worker discarded it every 30 s and no SLA step
    or pool aging ever ran outside the tests, which call the task object."""
    app.loader.import_default_modules()  # as a worker does at start: autodiscovery
    registered = set(app.tasks)
    for entry, spec in settings.CELERY_BEAT_SCHEDULE.items():
        assert spec["task"] in registered, f"beat entry {entry!r}: {spec['task']} is unknown"
