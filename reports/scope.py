"""The report's scope without its period: the manager's teams and the chosen source, for
figures about now (a pool's waiting leads) or about periods of their own (an A/B test's
two periods). Test leads never count, as in `ReportFilters.leads()`."""

from __future__ import annotations

from django.db.models import Q

from reports.filters import ReportFilters


def team_source_q(filters: ReportFilters, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}is_test": False})
    if filters.team_ids is not None:
        q &= Q(**{f"{prefix}team_id__in": filters.team_ids})
    if filters.source is not None:
        q &= Q(**{f"{prefix}source_id": filters.source.pk})
    return q
