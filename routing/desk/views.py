"""The desk's pages and actions: thin adapters over routing.desk's selectors and services.

Managers and admins; a rep given skimming rights for a team (RepProfile.skim_teams) may
open the desk and assign that team's waiting leads, nothing else (any other rep gets 403).
A lead outside the user's scope is a 404, on every URL and action, whatever the action
would have said."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required, skim_queue_required
from accounts.models import RepProfile
from accounts.roles import Role, has_role
from accounts.selectors import reps_managed_by
from accounts.services import rep_availability_set
from leadroute.shared.live import BOARD_CHANGED, live_toast
from pools.models import Lead
from pools.selectors import lead_timeline, leads_managed_by

from . import selectors, services
from .suggestions import lead_suggestions

MANAGERS = (Role.MANAGER, Role.ADMIN)
TIMELINE_ON_DESK = 8


def _managed_lead(request, lead_id, *, skimming: bool = False, or_none: bool = False) -> Lead:
    lead = (
        leads_managed_by(user=request.user, skimming=skimming)
        .select_related("source", "team", "owner")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None and not or_none:
        raise Http404("No such lead in your teams.")
    return lead


def _desk_context(request, filters, *, lead: Lead | None, error: str = "", done: str = ""):
    queue = selectors.desk_queue(user=request.user, filters=filters)
    # The first page once: the current lead and the next one are mostly on it.
    rows = list(queue.select_related("source", "team")[: selectors.QUEUE_PAGE])
    if lead is None and rows:
        lead = rows[0]
    context = {
        "filters": filters,
        "query": filters.query(),
        # Each queue row links with the filters: built once, not per row.
        "desk_url": reverse("desk:desk"),
        "query_tail": "&" + urlencode(filters.query()) if filters.query() else "",
        "queue": rows,
        "waiting": queue.count(),
        "lead": lead,
        "error": error,
        "done": done,
        "orders": selectors.ORDERS,
        "sources": selectors.desk_sources(user=request.user),
        "territories": selectors.desk_territories(),
        "reps": selectors.desk_reps(user=request.user),
        "pools": selectors.desk_pools(user=request.user),
        # A rep with skimming rights works the queue lead by lead: no bulk, no pools.
        "can_manage": has_role(request.user, Role.MANAGER) or has_role(request.user, Role.ADMIN),
    }
    if lead is not None:
        context.update(
            suggestions=lead_suggestions(lead=lead),
            events=lead_timeline(lead=lead)[:TIMELINE_ON_DESK],
            seen=services.lead_seen(lead),
            next_lead=_following(queue, rows, lead, filters.order),
        )
    return context


def _following(queue, rows: list[Lead], lead: Lead, order: str) -> Lead | None:
    """The lead after `lead` in the queue: from the page read, else one keyset read."""
    ids = [row.pk for row in rows]
    if lead.pk in ids[:-1]:
        return rows[ids.index(lead.pk) + 1]
    if lead.status != "skimming":
        return None
    return selectors.queue_after(queue=queue, lead=lead, order=order)


def _render(request, context, part: str | None = None):
    template = "routing/desk/desk.html"
    if request.htmx and part:
        template += f"#{part}"
    return render(request, template, context)


@skim_queue_required
@require_GET
def desk(request):
    filters = selectors.QueueFilters.parse(request.GET)
    lead_id = request.GET.get("lead")
    lead = _managed_lead(request, lead_id, skimming=True) if lead_id else None
    context = _desk_context(request, filters, lead=lead)
    target = request.headers.get("HX-Target", "")
    return _render(request, context, "desk-main" if target == "desk-main" else None)


@skim_queue_required
@require_GET
def desk_queue(request):
    """The queue alone: what a live frame or a reconnecting socket re-reads."""
    filters = selectors.QueueFilters.parse(request.GET)
    context = _desk_context(request, filters, lead=None)
    return render(request, "routing/desk/desk.html#desk-queue", context)


def _act(request, lead_id: int, action, done: str, *, skimming: bool = False):
    """Run one lead's action; answer the desk (htmx: its next lead), or go back to `next`."""
    lead = _managed_lead(request, lead_id, skimming=skimming, or_none=skimming)
    filters = selectors.QueueFilters.parse(request.POST)
    try:
        if lead is None:
            # A skimmer's scope is the queue: their team's lead that left it since their
            # page showed it gets the calm message; any other lead is a 404.
            if not selectors.lead_of_skim_teams(user=request.user, lead_id=lead_id):
                raise Http404("No such lead in your teams.")
            raise services.DeskError(services.TAKEN)
        moved = action(lead)
    except services.DeskError as exc:
        if not request.htmx:
            messages.error(request, exc.message)
            return redirect(_next_url(request, lead))
        return _render(
            request,
            _desk_context(
                request,
                filters,
                # Not in a skimmer's scope once taken: the desk shows the next lead.
                lead=_managed_lead(request, lead_id, skimming=skimming, or_none=True),
                error=exc.message,
            ),
            "desk-main",
        )
    text = done.format(lead=moved.lead.display_name, owner=_owner_name(moved.lead))
    if not request.htmx or request.POST.get("next"):
        messages.success(request, text)
        return redirect(_next_url(request, lead))
    # The next lead: the one after this in the queue the manager was reading.
    following = selectors.queue_after(
        queue=selectors.desk_queue(user=request.user, filters=filters),
        lead=lead,
        order=filters.order,
    )
    context = _desk_context(request, filters, lead=following, done=text)
    context["gone"] = lead.pk  # its queue row leaves with this answer, frame or not
    return _render(request, context, "desk-main")


def _owner_name(lead: Lead) -> str:
    return lead.owner.display_name if lead.owner_id else ""


def _next_url(request, lead: Lead) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return reverse("desk:desk")


@skim_queue_required
@require_POST
def desk_assign(request, lead_id: int):
    return _act(
        request,
        lead_id,
        lambda lead: services.lead_hand_assign(
            manager=request.user,
            lead_id=lead.pk,
            # An excluded rep's button is "override_rep": choosing them is the override.
            rep_id=request.POST.get("override_rep") or request.POST.get("rep"),
            reason=request.POST.get("reason", ""),
            override="override_rep" in request.POST or request.POST.get("override") == "1",
            seen=request.POST.get("seen") or None,
        ),
        done="{lead} → {owner}.",
        skimming=True,
    )


@role_required(*MANAGERS)
@require_POST
def desk_pool(request, lead_id: int):
    return _act(
        request,
        lead_id,
        lambda lead: services.lead_send_to_pool(
            manager=request.user,
            lead_id=lead.pk,
            pool_id=request.POST.get("pool"),
            reason=request.POST.get("reason", ""),
            seen=request.POST.get("seen") or None,
        ),
        done="{lead} sent to the pool.",
    )


@role_required(*MANAGERS)
@require_POST
def desk_skim(request, lead_id: int):
    return _act(
        request,
        lead_id,
        lambda lead: services.lead_send_to_skim(
            manager=request.user,
            lead_id=lead.pk,
            reason=request.POST.get("reason", ""),
            seen=request.POST.get("seen") or None,
        ),
        done="{lead} is in the skim queue.",
    )


@role_required(*MANAGERS)
@require_POST
def desk_bulk(request):
    ids = request.POST.getlist("leads")
    numeric = [int(i) for i in ids if str(i).isdigit()]
    if len(numeric) != len(set(ids)) or leads_managed_by(user=request.user).filter(
        pk__in=numeric
    ).count() != len(set(numeric)):
        raise Http404("No such lead in your teams.")
    filters = selectors.QueueFilters.parse(request.POST)
    try:
        result = services.leads_bulk_move(
            manager=request.user,
            lead_ids=numeric,
            action=request.POST.get("action", ""),
            rep_ids=request.POST.getlist("reps"),
            pool_id=request.POST.get("pool"),
        )
    except services.DeskError as exc:
        if request.htmx:
            # Nothing moved: say so where it shows however far the manager scrolled, and
            # leave the page (the ticked leads, the open panel) as it is to fix the choice.
            return HttpResponse(
                live_toast(exc.message, kind="error"), headers={"HX-Reswap": "none"}
            )
        error, done = exc.message, ""
    else:
        error = " ".join(result.refused)
        done = f"{result.moved} lead{'s' if result.moved != 1 else ''} moved."
    if not request.htmx:
        if error:
            messages.error(request, error)
        if done:
            messages.success(request, done)
        return redirect(reverse("desk:desk"))
    context = _desk_context(request, filters, lead=None, error=error, done=done)
    return _render(request, context, "desk-body")


@role_required(*MANAGERS)
@require_POST
def rep_availability(request, rep_id: int):
    """Set a rep of the manager's teams away or available (the team board's buttons):
    routing reads it at once. Another team's rep is a 404."""
    rep = reps_managed_by(user=request.user).filter(pk=rep_id, rep_profile__isnull=False).first()
    if rep is None:
        raise Http404("No such rep in your teams.")
    availability = request.POST.get("availability", "")
    if availability not in RepProfile.Availability.values:
        choices = ", ".join(RepProfile.Availability.values)
        return HttpResponseBadRequest(f"Choose one of: {choices}.")
    rep_availability_set(profile=rep.rep_profile, availability=availability)
    if request.htmx:
        # The board re-reads itself now, whether or not its socket is up.
        return HttpResponse(status=204, headers={"HX-Trigger": BOARD_CHANGED})
    label = RepProfile.Availability(availability).label.lower()
    messages.success(request, f"{rep.display_name} is now {label}.")
    url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = reverse("home")
    return redirect(url)
