"""Reads of people and teams, scoped to what a user may see."""

from django.db.models import QuerySet

from .models import Team
from .roles import Role, has_role


def teams_managed_by(*, user) -> QuerySet[Team]:
    """An admin manages every team; a manager the teams they are named on; others none."""
    if has_role(user, Role.ADMIN):
        return Team.objects.all()
    if has_role(user, Role.MANAGER):
        return user.managed_teams.all()
    return Team.objects.none()
