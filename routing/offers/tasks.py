"""The offers' timers: a countdown task per expiry, and the sweep's batches."""

from celery import shared_task

from . import services
from .send import OFFER_EXPIRE_TASK, offer_timer_start

# Beyond this, a task that woke early leaves the offer to the sweep rather than hold a
# long ETA in a worker's memory.
RESCHEDULE_LIMIT_SECONDS = 300


@shared_task(name=OFFER_EXPIRE_TASK, autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def offer_expire(offer_id: int) -> str:
    """Expire the offer and move its lead on, if it is open and due. Safe to run twice (and
    beside the sweep): only one run closes it. Woken early (a clock a little ahead), it
    sets itself again for the time left."""
    expiry = services.offer_expire(offer_id=offer_id)
    if expiry.outcome == "not due" and expiry.due_in <= RESCHEDULE_LIMIT_SECONDS:
        offer_timer_start(offer_id=offer_id, seconds=expiry.due_in)
    return expiry.outcome


@shared_task(
    name="routing.offers.tasks.offers_expire_due",
    autoretry_for=(Exception,),
    max_retries=3,
    retry_backoff=True,
)
def offers_expire_due() -> int:
    """Expire every due offer in batches; more than one run's worth, and it publishes its
    successor. Published by the sweep when its own pass did not finish."""
    expired, finished = services.offers_expire_due()
    if not finished:
        offers_expire_due.apply_async()
    return expired
