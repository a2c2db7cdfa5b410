"""The report's scope without its period: the manager's teams and the chosen source, for
figures about now (a pool's waiting leads) or about periods of their own (an A/B test's
two periods). Test leads never count, as in `ReportFilters.leads()`."""

from __future__ import annotations

from django.db.models import Q

from accounts.models import RepProfile
from reports.filters import ReportFilters


def team_source_q(filters: ReportFilters, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}is_test": False})
    if filters.team_ids is not None:
        q &= Q(**{f"{prefix}team_id__in": filters.team_ids})
    if filters.source is not None:
        q &= Q(**{f"{prefix}source_id": filters.source.pk})
    return q


def scope_reps(filters: ReportFilters) -> list[dict]:
    """Every active rep of the scope's teams, ordered by team and name, with the fields a
    report row names them by (`label` added): one query."""
    reps = RepProfile.objects.filter(user__is_active=True)
    if filters.team_ids is not None:
        reps = reps.filter(team_id__in=filters.team_ids)
    rows = list(
        reps.values(
            "user_id",
            "user__first_name",
            "user__last_name",
            "user__username",
            "weight",
            "team__name",
            "team__currency",
        ).order_by("team__name", "user__first_name", "user__username")
    )
    for r in rows:
        name = f"{r['user__first_name']} {r['user__last_name']}".strip()
        r["label"] = name or r["user__username"]
    return rows
