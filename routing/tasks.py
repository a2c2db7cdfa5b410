from celery import shared_task
from django.db import transaction

from pools.models import Lead
from pools.screening import lead_screen

from . import services
from .engine import lead_route


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
