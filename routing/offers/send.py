"""Opening an offer: the row of one step of a lead's plan, and its timer.

The engine opens the first step of each offered lead of a batch (routing.engine.record);
moving on opens the next (routing.offers.services). Either way the caller holds the lead
row and moves the lead to `offered` in the same transaction, so an offer and its lead's
state commit together.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.db import transaction

from pools.models import Lead

from ..models import Offer, RoutingRule
from .methods import OfferStep
from .notify import notify_offer_opened

log = logging.getLogger(__name__)

# The expiry task, published by name: its module imports the services that move leads on,
# which import the engine, which opens offers through this module.
OFFER_EXPIRE_TASK = "routing.offers.tasks.offer_expire"


@dataclass
class Opening:
    """Step `step` of a plan, for one lead."""

    lead: Lead
    rule: RoutingRule | None
    steps: tuple[OfferStep, ...]
    step: int = 0
    visited: tuple[int, ...] = ()  # rules the lead's way went through (the fallback skips them)
    series: uuid.UUID = field(default_factory=uuid.uuid4)
    recipients: tuple[int, ...] | None = None  # the step's reps still worth offering to


def offers_send(*, openings: list[Opening], now: datetime) -> list[Offer]:
    """Insert the offers (one statement); once they commit, start their timers and show
    each recipient the card."""
    if not openings:
        return []
    offers = Offer.objects.bulk_create(
        [
            Offer(
                lead=o.lead,
                rule=o.rule,
                series=o.series,
                method=o.rule.offer_method if o.rule else "",
                step=o.step,
                label=o.steps[o.step].label[:100],
                recipient_ids=list(
                    o.recipients if o.recipients is not None else o.steps[o.step].rep_ids
                ),
                plan={"steps": [s.as_dict() for s in o.steps], "visited": list(o.visited)},
                sent_at=now,
                expires_at=now + timedelta(seconds=o.steps[o.step].seconds),
            )
            for o in openings
        ]
    )
    for offer, opening in zip(offers, openings, strict=True):
        offer_timer_start(offer_id=offer.pk, seconds=(offer.expires_at - now).total_seconds())
        notify_offer_opened(offer=offer, lead=opening.lead, rule=opening.rule)
    return offers


def offer_timer_start(*, offer_id: int, seconds: float) -> None:
    """A countdown task fires the expiry on time, once the offer has committed. Only a
    fast path: the expiry lives in the row, and the beat sweep expires whatever is due, so
    a lost task or a dead worker delays it by one sweep interval at most. (Not run by
    CELERY_TASK_ALWAYS_EAGER: an eager countdown would expire the offer at once.)"""
    if current_app.conf.task_always_eager:
        # send_task would ignore eagerness and leave the message in the broker for
        # whichever worker starts next, to expire an offer that is not this one.
        return
    transaction.on_commit(partial(_publish, offer_id=offer_id, seconds=seconds))


def _publish(*, offer_id: int, seconds: float) -> None:
    # After the commit: a broker that is down must not fail the request or task that
    # opened the offer; the sweep expires it instead.
    try:
        current_app.send_task(OFFER_EXPIRE_TASK, args=[offer_id], countdown=max(seconds, 0))
    except Exception:
        log.warning("Could not publish offer %s's expiry; the sweep will", offer_id, exc_info=True)
