from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from leadroute.shared.live import board_changed_on_commit

from .models import RepProfile, User
from .roles import Role

# What each role may do in the admin and through permission checks. Admins get everything.
ROLE_PERMISSIONS = {
    Role.REP: [],
    Role.MANAGER: [
        "pools.view_lead",
        "pools.change_lead",
        "pools.view_pool",
        "pools.view_leadsource",
        "accounts.view_team",
        "accounts.view_repprofile",
        "accounts.change_repprofile",
        "accounts.view_outofoffice",
        "accounts.add_outofoffice",
        "accounts.change_outofoffice",
    ],
}


def role_groups_ensure() -> None:
    """Create the role groups and grant their permissions (idempotent)."""
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        if role is Role.ADMIN:
            perms = Permission.objects.all()
        else:
            wanted = [p.split(".") for p in ROLE_PERMISSIONS[role]]
            perms = [
                p
                for p in Permission.objects.select_related("content_type")
                if [p.content_type.app_label, p.codename] in wanted
            ]
        group.permissions.set(perms)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    roles: list[Role],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    profile: dict | None = None,
) -> User:
    """A user with roles; reps get a profile (routing needs one)."""
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=Role.ADMIN in roles,
        is_superuser=Role.ADMIN in roles,
    )
    user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
    if Role.REP in roles or profile:
        RepProfile.objects.create(user=user, **(profile or {}))
    return user


def rep_availability_set(*, profile: RepProfile, availability: str) -> bool:
    """Set a rep's availability (routing reads it: only "available" reps get leads), with
    the time it changed; the team's board hears of it after commit. False when it was
    already so (nothing written). Who may set it is the caller's check."""
    if availability not in RepProfile.Availability.values:
        raise ValueError(f"Unknown availability “{availability}”.")
    with transaction.atomic():
        changed = (
            RepProfile.objects.filter(pk=profile.pk)
            .exclude(availability=availability)
            .update(availability=availability, availability_since=timezone.now())
        )
        if changed:
            board_changed_on_commit(profile.team_id)
    profile.refresh_from_db(fields=["availability", "availability_since"])
    return bool(changed)
