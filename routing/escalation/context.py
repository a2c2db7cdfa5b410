"""The bell's unread count on every page, read only if the page draws the bell."""

from .selectors import unread_count


def notification_bell(request) -> dict:
    user = request.user
    if not user.is_authenticated:
        return {}
    # A callable: templates call it when they use it, so fragments pay no query.
    return {"notifications_unread": lambda: unread_count(user=user)}
