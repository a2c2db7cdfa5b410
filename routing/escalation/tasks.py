from celery import shared_task

from .mail import notifications_email  # noqa: F401  (registered here for the worker)
from .sweep import escalation_sweep_run


# acks_late: a worker killed mid-sweep leaves the message for another; the batch it was
# writing rolled back, and its leads are still due.
# Named as beat names it (settings.CELERY_BEAT_SCHEDULE): without the name it registered
# under this module's path, and the worker discarded every beat message.
@shared_task(
    name="routing.tasks.escalation_sweep",
    acks_late=True,
    autoretry_for=(Exception,),
    max_retries=3,
    retry_backoff=True,
)
def escalation_sweep() -> dict:
    return escalation_sweep_run()
