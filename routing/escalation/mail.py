"""E-mail for notifications: Django's backend as EMAIL_URL configures it, sent by a Celery
task after the notifications commit, skipping the kinds a person muted."""

from __future__ import annotations

from collections import Counter

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from ..models import EmailMute, Notification


def notifications_email_send(*, notification_ids: list[int]) -> Counter:
    """E-mail each of the notifications not e-mailed yet, unless its person muted its kind
    or has no address. Each row is claimed by a conditional UPDATE before its mail goes
    out, so a task run twice (acks_late, a retry) sends each once; a mail that fails
    rolls its claim back and raises, for the task's retry."""
    done = Counter()
    rows = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("user")
        .order_by("pk")
    )
    muted = set(
        EmailMute.objects.filter(user_id__in={r.user_id for r in rows}).values_list(
            "user_id", "kind"
        )
    )
    for row in rows:
        with transaction.atomic():
            if not Notification.objects.filter(pk=row.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            ):
                continue  # another run has it
            if (row.user_id, row.kind) in muted or not row.user.email:
                done["skipped"] += 1
                continue
            # Inside the claim's transaction: if sending raises, the claim rolls back.
            send_mail(
                subject=f"LeadRoute: {row.get_kind_display()}",
                message=f"{row.text}\n\nSee your notifications in LeadRoute.",
                from_email=None,
                recipient_list=[row.user.email],
            )
            done["sent"] += 1
    return done


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def notifications_email(notification_ids: list[int]) -> dict:
    """E-mail these notifications; safe to run twice (each row is claimed once)."""
    return dict(notifications_email_send(notification_ids=notification_ids))
