from celery import shared_task

from . import services
from .escalation.tasks import escalation_sweep, notifications_email  # noqa: F401  (likewise)
from .intake import drain
from .intake.kick import intake_drain  # noqa: F401  (registered here for the worker)
from .offers.tasks import offer_expire, offers_expire_due  # noqa: F401  (likewise)
from .simulator.runs import simulation_run  # noqa: F401  (likewise)
from .webhooks.kick import webhooks_drain  # noqa: F401  (likewise)
from .webhooks.tasks import webhooks_prune  # noqa: F401  (likewise)


@shared_task(autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def sweep() -> dict:
    return services.sweep_run()


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def lead_intake(lead_id: int) -> str:
    """Screen and route one lead, with up to INTAKE_BATCH - 1 other waiting leads. Captures
    no longer publish it (they kick `intake_drain`); it stays for in-process callers
    (seed_demo) and for messages queued before the drain existed. Safe to run twice."""
    return drain.lead_intake_run(lead_id=lead_id)


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def leads_intake(lead_ids: list[int]) -> int:
    """Screen and route the given leads together, a batch per transaction. Imports no
    longer publish it (their chunks kick `intake_drain` like captures); it stays for
    messages queued before. Safe to run twice; a failed batch rolls back whole."""
    return drain.leads_intake_run(lead_ids=lead_ids)
