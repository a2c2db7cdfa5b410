from .roles import Role, has_role
from .selectors import teams_managed_by


def roles(request) -> dict:
    user = request.user
    return {
        "is_rep": has_role(user, Role.REP),
        "is_manager": has_role(user, Role.MANAGER),
        "is_admin_role": has_role(user, Role.ADMIN),
        # A rep with skimming rights gets the Desk link. Callable: read only where a page
        # asks (the nav, after the manager checks), not on every response.
        "can_skim": lambda: (
            has_role(user, Role.REP) and teams_managed_by(user=user, skimming=True).exists()
        ),
    }
