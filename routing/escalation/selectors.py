"""Reads for the notification bell and its page."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import EmailMute, Notification

PAGE_SIZE = 50


def notifications_for(*, user) -> QuerySet[Notification]:
    """The user's newest notifications (only ever their own)."""
    return Notification.objects.filter(user=user).select_related("lead")[:PAGE_SIZE]


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def email_choices(*, user) -> list[dict]:
    """Each kind with whether the user gets it by e-mail, for the preferences form."""
    muted = set(EmailMute.objects.filter(user=user).values_list("kind", flat=True))
    return [
        {"kind": kind, "label": label, "emailed": kind not in muted}
        for kind, label in Notification.Kind.choices
    ]
