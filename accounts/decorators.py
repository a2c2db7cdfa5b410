from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .roles import Role, has_role
from .selectors import teams_managed_by


def role_required(*roles: Role):
    """Let a view through only for signed-in users holding one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(has_role(request.user, role) for role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def skim_queue_required(view):
    """The desk's skim queue and its assign: managers and admins, and reps given skimming
    rights for a team (RepProfile.skim_teams); anyone else signed in gets 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (
            has_role(user, Role.MANAGER)
            or has_role(user, Role.ADMIN)
            or teams_managed_by(user=user, skimming=True).exists()
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
