"""The notification list, marking read, and which kinds come by e-mail. Thin: each view
calls one selector or service; every query is scoped to the signed-in user."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from pools.selectors import leads_visible_to

from ..models import Notification
from .notify import email_mutes_set, notifications_mark_read
from .selectors import email_choices, notifications_for


@login_required
@require_GET
def notifications(request):
    context = {
        "notifications": list(notifications_for(user=request.user)),
        "choices": email_choices(user=request.user),
    }
    template = "routing/escalation/notifications.html"
    return render(request, template + "#notification-list" if request.htmx else template, context)


@login_required
@require_POST
def notifications_read(request):
    notifications_mark_read(user=request.user)
    return redirect("routing:notifications")


@login_required
@require_GET
def notification_open(request, pk: int):
    """A notification's link: read now (the bell counts one less), then its lead. A GET,
    as a link is followed; it only ever marks the signed-in user's own notification."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    # A lead taken from the rep is no longer theirs to open: the list, not a 404.
    lead_id = notification.lead_id
    if lead_id and leads_visible_to(user=request.user).filter(pk=lead_id).exists():
        return redirect("pools:lead_detail", lead_id)
    return redirect("routing:notifications")


@login_required
@require_POST
def notifications_email(request):
    email_mutes_set(user=request.user, emailed_kinds=request.POST.getlist("kind"))
    messages.success(request, "E-mail preferences saved.")
    return redirect("routing:notifications")
