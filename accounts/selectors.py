"""Reads of people and teams, scoped to what a user may see."""

from django.db.models import Q, QuerySet

from .models import Team, User
from .roles import Role, has_role


def teams_managed_by(*, user, skimming: bool = False) -> QuerySet[Team]:
    """An admin manages every team; a manager the teams they are named on; others none.

    `skimming`: for working a skim queue (the desk's queue and its assign), also the teams
    a rep was given skimming rights for (RepProfile.skim_teams) — that one power only."""
    if has_role(user, Role.ADMIN):
        return Team.objects.all()
    managed = Q(managers=user) if has_role(user, Role.MANAGER) else Q(pk__in=[])
    if skimming and has_role(user, Role.REP):
        return Team.objects.filter(managed | Q(skimmers__user=user)).distinct()
    if has_role(user, Role.MANAGER):
        return user.managed_teams.all()
    return Team.objects.none()


def reps_managed_by(*, user, skimming: bool = False) -> QuerySet:
    """Active members of the teams `user` manages, by name: whom a manager can hand leads
    (`skimming`: also the members of teams whose skim queue `user` may work)."""
    teams = teams_managed_by(user=user, skimming=skimming)
    return (
        User.objects.filter(is_active=True, rep_profile__team__in=teams)
        .select_related("rep_profile__team")
        .order_by("first_name", "last_name", "id")
    )
