from django.utils import timezone

from .intake.drain import waiting_leads_overdue
from .intake.kick import intake_kick
from .models import Heartbeat
from .offers.services import offers_expire_due
from .offers.tasks import offers_expire_due as offers_expire_due_task
from .simulator.runs import simulation_runs_stale_fail


def sweep_run() -> dict:
    """The periodic sweep. Idempotent: it re-checks everything due and records that it ran.

    Intake: leads still waiting past the grace period mean a drain went missing (a lost
    message, a publish that failed, a flag whose drain never came), so one is published
    whatever the flag says. Later capabilities (offer expiry, SLA reminders, escalation)
    add their batch steps here; each must be safe to run twice and to run late.

    Live offers: every offer past its expiry is expired and its lead moved on, whether or
    not its countdown task ran (a dead worker, a lost message), in batches.
    """
    now = timezone.now()
    overdue = waiting_leads_overdue(now=now)
    if overdue:
        intake_kick(force=True)
    expired, finished = offers_expire_due()
    if not finished:
        offers_expire_due_task.apply_async()
    # Replays whose worker died: failed, never "running" for ever.
    replays_failed = simulation_runs_stale_fail(now=now)
    Heartbeat.objects.update_or_create(name=Heartbeat.SWEEP, defaults={"beat_at": now})
    return {
        "ran_at": now.isoformat(),
        "intake_overdue": overdue,
        "offers_expired": expired,
        "replays_failed": replays_failed,
    }
