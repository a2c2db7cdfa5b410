from .roles import Role, has_role


def roles(request) -> dict:
    user = request.user
    return {
        "is_rep": has_role(user, Role.REP),
        "is_manager": has_role(user, Role.MANAGER),
        "is_admin_role": has_role(user, Role.ADMIN),
    }
