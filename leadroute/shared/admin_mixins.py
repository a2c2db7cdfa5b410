"""Admin pieces every app uses (they sit below the apps, like leadroute.shared.live)."""


class AppendOnlyAdminMixin:
    """For records written only by services (timelines, decisions): viewable, never added,
    edited or deleted by hand, so the history stays the true one."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
