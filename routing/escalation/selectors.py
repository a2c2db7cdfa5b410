"""Reads for the notification bell and its page."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.roles import Role, has_role

from ..models import EmailMute, Notification

PAGE_SIZE = 50
Kind = Notification.Kind
# Whom each kind is sent to (by role): the e-mail preferences offer a user only these.
KIND_ROLES = {
    Kind.REMINDER: (Role.REP,),
    Kind.REASSIGNED_AWAY: (Role.REP,),
    Kind.REASSIGNED_TO: (Role.REP,),
    Kind.MANAGER_ALERT: (Role.MANAGER,),
    Kind.WEBHOOK_PAUSED: (Role.MANAGER, Role.ADMIN),  # a team's managers; else the admins
}


def receivable_kinds(*, user) -> list[str]:
    """The notification kinds `user`'s roles may bring them."""
    return [k for k in Kind.values if any(has_role(user, role) for role in KIND_ROLES[k])]


def notifications_for(*, user) -> QuerySet[Notification]:
    """The user's newest notifications (only ever their own)."""
    return Notification.objects.filter(user=user).select_related("lead")[:PAGE_SIZE]


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def email_choices(*, user) -> list[dict]:
    """Each kind with whether the user gets it by e-mail, for the preferences form."""
    muted = set(EmailMute.objects.filter(user=user).values_list("kind", flat=True))
    return [
        {"kind": kind, "label": Kind(kind).label, "emailed": kind not in muted}
        for kind in receivable_kinds(user=user)
    ]
