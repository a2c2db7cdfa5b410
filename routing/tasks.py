from celery import shared_task
from django.db import transaction

from pools.lifecycle import LeadState
from pools.models import Lead
from pools.screening import leads_screen

from . import services
from .engine import leads_route

# Leads per transaction when many arrive together: large enough that the per-batch reads
# and writes are spread thin, small enough that locks are held for a moment only.
INTAKE_BATCH = 100


@shared_task(autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def sweep() -> dict:
    return services.sweep_run()


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def lead_intake(lead_id: int) -> str:
    """Screen and route a new lead. Enqueued on commit by whatever captured the lead
    (pools enqueue it by name: pools sits below routing).

    In a burst, leads arrive faster than one-lead transactions can route them, so the task
    also takes up to INTAKE_BATCH - 1 other leads already waiting for their own intake
    (skipping any another task holds) and routes them together: whichever task runs first
    clears the backlog; the later ones find their lead done. Safe to run twice: screening
    and routing act only on leads still in the state they expect."""
    with transaction.atomic():
        lead = _locked().filter(pk=lead_id).first()
        if lead is None:
            return "missing"
        waiting = list(_locked(skip_locked=True)
                       .filter(status__in=(LeadState.NEW, LeadState.SCREENED))
                       .exclude(pk=lead_id).order_by("id")[:INTAKE_BATCH - 1])
        batch = sorted([lead, *waiting], key=lambda x: x.pk)  # arrival order
        leads_route(leads=leads_screen(leads=batch))
    return lead.status


def _locked(*, skip_locked: bool = False):
    # Only the leads' rows are locked (not their sources), and each lead comes with its
    # source, which screening reads.
    return Lead.objects.select_for_update(of=("self",), skip_locked=skip_locked) \
        .select_related("source")


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def leads_intake(lead_ids: list[int]) -> int:
    """Screen and route many leads together (an import's chunk): each batch of leads is one
    transaction with a constant number of round trips (routing.engine.leads_route). Safe to
    run twice, as lead_intake is; a batch that fails rolls back whole and is retried."""
    for start in range(0, len(lead_ids), INTAKE_BATCH):
        with transaction.atomic():
            leads = list(_locked().filter(pk__in=lead_ids[start:start + INTAKE_BATCH])
                         .order_by("id"))
            leads_route(leads=leads_screen(leads=leads))
    return len(lead_ids)
