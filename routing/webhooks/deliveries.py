"""Writes to the delivery log: resend by hand, and the prune of old entries."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .kick import deliveries_kick_on_commit
from .models import WebhookDelivery

Status = WebhookDelivery.Status


def deliveries_resend(*, ids: list[int]) -> int:
    """Send these again (the same body, the same event id), whatever they did: due now,
    with a fresh 24-hour retry window. One still being sent is left to its sender."""
    now = timezone.now()
    with transaction.atomic():
        n = (
            WebhookDelivery.objects.filter(pk__in=ids)
            .exclude(status=Status.SENDING)
            .update(
                status=Status.PENDING,
                next_attempt_at=now,
                give_up_at=now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS),
            )
        )
        if n:
            deliveries_kick_on_commit()
    return n


def deliveries_prune(*, now=None, batch: int = 5000) -> int:
    """Delete delivered and failed entries older than WEBHOOK_LOG_DAYS, in batches; open
    ones (the outbox itself) are never pruned."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_LOG_DAYS)
    old = WebhookDelivery.objects.filter(
        created_at__lt=cutoff, status__in=[Status.DELIVERED, Status.FAILED]
    )
    total = 0
    while True:
        ids = list(old.order_by("created_at").values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        total += WebhookDelivery.objects.filter(pk__in=ids).delete()[0]
