from celery import shared_task

from .deliveries import deliveries_prune
from .send import deliveries_drain


@shared_task(name="routing.tasks.webhooks_drain", acks_late=True)
def webhooks_drain() -> dict:
    """Send every due webhook delivery. Kicked after a commit that wrote deliveries and run
    by beat every sweep interval (the sweep: retries come due, a lost kick, a worker killed
    mid-delivery). Safe to run twice and in parallel: rows are leased with SKIP LOCKED and
    written back only under their lease. No autoretry: what fails waits in its row."""
    drained = deliveries_drain()
    return {"delivered": drained.delivered, "failed": drained.failed}


@shared_task(name="routing.tasks.webhooks_prune", acks_late=True)
def webhooks_prune() -> int:
    return deliveries_prune()
