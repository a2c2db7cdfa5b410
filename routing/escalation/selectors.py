"""Reads for the notification bell and its page."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Team
from accounts.roles import Role, has_role

from ..models import EmailMute, Notification

PAGE_SIZE = 50
Kind = Notification.Kind
# Sent to a lead's owner, and only reps own leads.
OWNER_KINDS = (Kind.REMINDER, Kind.REASSIGNED_AWAY, Kind.REASSIGNED_TO)


def receivable_kinds(*, user) -> list[str]:
    """The notification kinds that can reach `user`, by whom each sender writes to: an
    owner's kinds reach reps; a manager alert the lead's team's managers
    (sweep.team_managers); a paused webhook its team's managers or, for a webhook of no
    team, the admins (webhooks.streaks). The e-mail preferences offer only these."""
    manages = Team.managers.through.objects.filter(user_id=user.pk).exists()
    kinds = list(OWNER_KINDS) if has_role(user, Role.REP) else []
    if manages:
        kinds.append(Kind.MANAGER_ALERT)
    if manages or has_role(user, Role.ADMIN):
        kinds.append(Kind.WEBHOOK_PAUSED)
    return [str(kind) for kind in kinds]


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
