from celery import shared_task
from django.db import transaction

from pools.models import Lead
from pools.screening import lead_screen, leads_screen

from . import services
from .engine import lead_route, leads_route

# Leads per transaction when many arrive together: large enough that the per-batch reads
# and writes are spread thin, small enough that locks are held for a moment only.
INTAKE_BATCH = 100


@shared_task(autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def sweep() -> dict:
    return services.sweep_run()


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def lead_intake(lead_id: int) -> str:
    """Screen and route one new lead. Enqueued on commit by whatever captured the lead
    (pools enqueue it by name: pools sits below routing). Safe to run twice: screening and
    routing act only on leads still in the state they expect."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None:
            return "missing"
        lead = lead_screen(lead=lead)
        lead = lead_route(lead=lead)
    return lead.status


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def leads_intake(lead_ids: list[int]) -> int:
    """Screen and route many leads together (an import's chunk): each batch of leads is one
    transaction with a constant number of round trips (routing.engine.leads_route). Safe to
    run twice, as lead_intake is; a batch that fails rolls back whole and is retried."""
    for start in range(0, len(lead_ids), INTAKE_BATCH):
        with transaction.atomic():
            leads = list(Lead.objects.select_for_update(of=("self",)).select_related("source")
                         .filter(pk__in=lead_ids[start:start + INTAKE_BATCH]).order_by("id"))
            leads_route(leads=leads_screen(leads=leads))
    return len(lead_ids)
