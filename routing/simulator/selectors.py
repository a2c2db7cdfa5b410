"""Who may replay rules and whose replays they may read: the one place every page, the
CSV and the run's websocket group ask."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Team
from accounts.roles import Role, has_role
from accounts.selectors import teams_managed_by

from ..models import RuleSet
from .models import SimulationRun

# Beside the admin role, who may change routing rules may try a change on them.
RUN_PERMISSION = "routing.change_routingrule"


def simulation_may_run(*, user) -> bool:
    """Admins, and managers who are staff allowed to change routing rules (they edit the
    drafts too): a replay is of teams they manage, read on the report pages, which are
    managers' and admins'."""
    if has_role(user, Role.ADMIN):
        return True
    return bool(
        has_role(user, Role.MANAGER)
        and getattr(user, "is_staff", False)
        and user.has_perm(RUN_PERMISSION)
    )


def simulation_teams_for(*, user) -> QuerySet[Team] | None:
    """The teams a user may replay or read replays of; None: every team (an admin)."""
    if has_role(user, Role.ADMIN):
        return None
    return teams_managed_by(user=user)


def simulation_runs_visible_to(*, user) -> QuerySet[SimulationRun]:
    """Admins read every replay; a manager (or a staff runner) those of the teams they
    manage — a replay of every team is an admin's only."""
    runs = SimulationRun.objects.all()
    teams = simulation_teams_for(user=user)
    if teams is not None:
        runs = runs.filter(team__in=teams)
    return runs


def simulation_drafts() -> QuerySet[RuleSet]:
    return RuleSet.objects.filter(state=RuleSet.State.DRAFT).order_by("name")
