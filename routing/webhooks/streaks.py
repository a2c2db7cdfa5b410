"""A subscription's failure streak, and pausing: after WEBHOOK_FAILURES_BEFORE_PAUSE
failures in a row the drain pauses it and its managers are told; an admin may pause too."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Team
from accounts.roles import Role

from ..escalation.notify import Notice, notify
from ..models import Notification
from .models import WebhookSubscription


def subscriptions_failures_record(*, runs: dict[int, list[bool]], now: datetime) -> None:
    """Each subscription's outcomes of a batch, in the order they finished: a success ends
    its failure streak; a streak of WEBHOOK_FAILURES_BEFORE_PAUSE pauses it and notifies
    its team's managers (the admins, for a subscription of every team). Inside the
    batch's transaction."""
    for sub_id, oks in sorted(runs.items()):
        if not oks:
            continue
        tail = len(oks) - (max(i for i, ok in enumerate(oks) if ok) + 1) if any(oks) else None
        subs = WebhookSubscription.objects.filter(pk=sub_id)
        if tail is None:
            subs.update(
                consecutive_failures=F("consecutive_failures") + len(oks), last_failure_at=now
            )
        else:
            subs.update(
                consecutive_failures=tail,
                last_success_at=now,
                **({"last_failure_at": now} if tail else {}),
            )
        limit = settings.WEBHOOK_FAILURES_BEFORE_PAUSE
        sub = subs.filter(consecutive_failures__gte=limit, paused_at__isnull=True).first()
        if sub is not None:
            subscription_pause(
                subscription=sub,
                reason=f"Paused automatically after {sub.consecutive_failures} failed "
                "deliveries in a row",
                now=now,
            )


def subscription_pause(*, subscription: WebhookSubscription, reason: str, now=None) -> bool:
    """Pause it (events are still recorded, and wait); notify whoever answers for it.
    False if it was paused already (the conditional UPDATE decides between two pausers)."""
    now = now or timezone.now()
    with transaction.atomic():
        paused = WebhookSubscription.objects.filter(
            pk=subscription.pk, paused_at__isnull=True
        ).update(paused_at=now, paused_reason=reason[:300])
        if not paused:
            return False
        subscription.paused_at, subscription.paused_reason = now, reason[:300]
        text = (
            f"Webhook “{subscription.name}” is paused: {reason}. Its events wait; check the "
            "receiver and resume it in the admin."
        )
        notify(
            notices=[
                Notice(user_id, Notification.Kind.WEBHOOK_PAUSED, text)
                for user_id in _answerable(subscription)
            ]
        )
    return True


def _answerable(subscription: WebhookSubscription) -> list[int]:
    if subscription.team_id:
        return sorted(
            Team.managers.through.objects.filter(team_id=subscription.team_id)
            .filter(user__is_active=True)
            .values_list("user_id", flat=True)
        )
    return sorted(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=Role.ADMIN.value))
        .values_list("pk", flat=True)
        .distinct()
    )
