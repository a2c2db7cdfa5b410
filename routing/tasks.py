from celery import shared_task

from . import intake, services


@shared_task(autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def sweep() -> dict:
    return services.sweep_run()


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def intake_drain() -> int:
    """Screen and route every lead waiting for intake. Published by an intake kick after a
    capture committed (pools publish it by name: pools sit below routing), at most one
    pending at a time, and by the sweep for leads that waited too long. Safe to run twice
    and in parallel (routing.intake.waiting_leads_drain)."""
    return intake.waiting_leads_drain().routed


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def lead_intake(lead_id: int) -> str:
    """Screen and route one lead, with up to INTAKE_BATCH - 1 other waiting leads. Captures
    no longer publish it (they kick `intake_drain`); it stays for in-process callers
    (seed_demo) and for messages queued before the drain existed. Safe to run twice."""
    return intake.lead_intake_run(lead_id=lead_id)


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def leads_intake(lead_ids: list[int]) -> int:
    """Screen and route many leads together (an import's chunk): each batch of leads is one
    transaction with a constant number of round trips (routing.engine.leads_route). Safe to
    run twice; a batch that fails rolls back whole and is retried."""
    return intake.leads_intake_run(lead_ids=lead_ids)
