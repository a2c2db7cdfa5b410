from django.utils import timezone

from .intake.drain import waiting_leads_overdue
from .intake.kick import intake_kick
from .models import Heartbeat


def sweep_run() -> dict:
    """The periodic sweep. Idempotent: it re-checks everything due and records that it ran.

    Intake: leads still waiting past the grace period mean a drain went missing (a lost
    message, a publish that failed, a flag whose drain never came), so one is published
    whatever the flag says. Later capabilities (offer expiry, SLA reminders, escalation)
    add their batch steps here; each must be safe to run twice and to run late.
    """
    now = timezone.now()
    overdue = waiting_leads_overdue(now=now)
    if overdue:
        intake_kick(force=True)
    Heartbeat.objects.update_or_create(name=Heartbeat.SWEEP, defaults={"beat_at": now})
    return {"ran_at": now.isoformat(), "intake_overdue": overdue}
