"""Writes to subscriptions by hand: resume, and the secret's rotation (pausing is in
`streaks`, which the drain also calls)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .kick import deliveries_kick_on_commit
from .models import WebhookSubscription, secret_new

# How long the previous secret still signs (beside the new one) after a rotation.
PREVIOUS_SECRET_HOURS = 24


def subscription_resume(*, subscription: WebhookSubscription) -> None:
    """Resume: its waiting deliveries go out, oldest first per lead, each tried at least
    once more whatever its age."""
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            paused_at=None, paused_reason="", consecutive_failures=0
        )
        subscription.paused_at, subscription.paused_reason = None, ""
        subscription.consecutive_failures = 0
        deliveries_kick_on_commit()


def subscription_secret_rotate(*, subscription: WebhookSubscription) -> str:
    """A new secret; the old one still signs beside it for PREVIOUS_SECRET_HOURS."""
    now = timezone.now()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = now + timedelta(hours=PREVIOUS_SECRET_HOURS)
    subscription.secret = secret_new()
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return subscription.secret
