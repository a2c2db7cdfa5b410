from celery import shared_task

from .deliveries import deliveries_prune
from .kick import webhooks_drain  # noqa: F401  (registered here for the worker)


@shared_task(name="routing.tasks.webhooks_prune", acks_late=True)
def webhooks_prune() -> int:
    """The delivery log's hourly prune (beat)."""
    return deliveries_prune()
