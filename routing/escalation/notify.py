"""Escalation's notifications: a row per person (the bell and its list page), a frame to
their open pages after commit (the bell's count and a toast), and e-mail by a Celery task
after commit (routing.escalation.mail) — never inside the sweep's transaction, so a slow
mail server holds no lock."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from leadroute.shared.live import broadcast_on_commit, user_group
from leadroute.shared.on_commit import enqueue_on_commit

from ..models import EmailMute, Notification
from .mail import notifications_email
from .selectors import receivable_kinds

Kind = Notification.Kind
# Kinds that also pop up as a toast on the person's open pages.
TOAST_KINDS = frozenset({Kind.REMINDER, Kind.REASSIGNED_AWAY, Kind.REASSIGNED_TO})


@dataclass(frozen=True)
class Notice:
    user_id: int
    kind: str
    text: str
    lead_id: int | None = None


def notify(*, notices: list[Notice]) -> list[Notification]:
    """Store the notices, and after commit push each person's bell (one frame per person)
    and publish one e-mail task for them all. Inside the caller's transaction."""
    if not notices:
        return []
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user_id=n.user_id, kind=n.kind, lead_id=n.lead_id, text=n.text[:300], created_at=now
            )
            for n in notices
        ]
    )
    unread = unread_counts(user_ids=sorted({n.user_id for n in notices}))
    mine: dict[int, list[Notification]] = {}
    for row in rows:
        mine.setdefault(row.user_id, []).append(row)
    for user_id, theirs in mine.items():
        broadcast_on_commit(
            user_group(user_id),
            html=render_to_string(
                "routing/escalation/_push.html",
                {
                    "unread": unread.get(user_id, 0),
                    "toasts": [r for r in theirs if r.kind in TOAST_KINDS],
                },
            ),
        )
    enqueue_on_commit(notifications_email, [r.pk for r in rows])
    return rows


def unread_counts(*, user_ids: list[int]) -> dict[int, int]:
    return dict(
        Notification.objects.filter(user_id__in=user_ids, read_at__isnull=True)
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (`ids`, or all); only ever their own."""
    mine = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        mine = mine.filter(pk__in=ids)
    return mine.update(read_at=timezone.now())


def email_mutes_set(*, user, emailed_kinds: list[str]) -> None:
    """Mute e-mail for every kind the user may receive that is not in `emailed_kinds`
    (unknown kinds are ignored; the others' choices stay as they were)."""
    kinds = set(receivable_kinds(user=user))
    muted = kinds - set(emailed_kinds)
    with transaction.atomic():
        EmailMute.objects.filter(user=user, kind__in=kinds).exclude(kind__in=muted).delete()
        EmailMute.objects.bulk_create(
            [EmailMute(user=user, kind=k) for k in sorted(muted)], ignore_conflicts=True
        )
