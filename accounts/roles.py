"""The three roles. A role is a Django group carrying permissions, so admins can grant a
role in the admin and code asks one question (`has_role`) instead of reading flags."""

from enum import StrEnum


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


def has_role(user, role: Role) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if role is Role.ADMIN and user.is_superuser:
        return True
    # One query per request at most: the names are cached on the user object.
    names = getattr(user, "_role_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._role_names = names
    return role.value in names
