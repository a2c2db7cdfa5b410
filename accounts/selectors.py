"""Reads of people and teams, scoped to what a user may see."""

from django.db.models import QuerySet

from .models import Team, User
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
