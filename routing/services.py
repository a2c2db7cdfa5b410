from django.utils import timezone

from .models import Heartbeat


def sweep_run() -> dict:
    """The periodic sweep. Idempotent: it re-checks everything due and records that it ran.

    Later capabilities (offer expiry, SLA reminders, escalation) add their batch steps
    here; each must be safe to run twice and to run late.
    """
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=Heartbeat.SWEEP, defaults={"beat_at": now})
    return {"ran_at": now.isoformat()}
