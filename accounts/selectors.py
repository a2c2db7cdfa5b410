"""Reads of people and teams, scoped to what a user may see."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet

from .models import Quota, Team, User
from .roles import Role, has_role


def teams_managed_by(*, user) -> QuerySet[Team]:
    """An admin manages every team; a manager the teams they are named on; others none."""
    if has_role(user, Role.ADMIN):
        return Team.objects.all()
    if has_role(user, Role.MANAGER):
        return user.managed_teams.all()
    return Team.objects.none()


def reps_managed_by(*, user) -> QuerySet:
    """Active members of the teams `user` manages, by name: whom a manager can hand leads."""
    return (
        User.objects.filter(is_active=True, rep_profile__team__in=teams_managed_by(user=user))
        .select_related("rep_profile__team")
        .order_by("first_name", "last_name", "id")
    )


@dataclass(frozen=True)
class RepQuota:
    """One quota as it applies to one rep: the team's default or their own override."""

    rep_id: int
    time_zone: str
    metric: str
    period: str
    target: Decimal
    overridden: bool  # the rep's own target, not the team's default


def rep_quotas(*, user_ids: list[int], metrics: Iterable[str] | None = None) -> list[RepQuota]:
    """The quotas each rep is measured against: their team's defaults, each replaced by the
    rep's own row for the same metric and period. A rep's overrides count only on their
    current team (one moved to another team takes that team's targets). One query."""
    rows = (
        # One filter() call: both conditions on the same join of the team's members.
        Quota.objects.filter(
            Q(rep__isnull=True) | Q(rep_id=F("team__members__user_id")),
            team__members__user_id__in=user_ids,
        ).values_list(
            "team__members__user_id",
            "team__members__time_zone",
            "rep_id",
            "metric",
            "period",
            "target",
        )
    )
    if metrics is not None:
        rows = rows.filter(metric__in=list(metrics))
    chosen: dict[tuple, RepQuota] = {}
    for user_id, zone, rep_id, metric, period, target in rows:
        key = (user_id, metric, period)
        if key in chosen and chosen[key].overridden:
            continue
        chosen[key] = RepQuota(user_id, zone, metric, period, target, rep_id is not None)
    order = {m: i for i, m in enumerate(Quota.Metric.values)}
    periods = {p: i for i, p in enumerate(Quota.Period.values)}
    return sorted(chosen.values(), key=lambda q: (q.rep_id, order[q.metric], periods[q.period]))
