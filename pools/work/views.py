from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from accounts.selectors import reps_managed_by, teams_managed_by
from pools import selectors
from pools.lifecycle import HAND_MOVABLE_STATES, OPEN_OWNED_STATES, LeadState, can_transition
from pools.models import Pool
from pools.money import money_format_for
from pools.pull import release
from pools.timezones import lead_time_zone
from pools.work import services as workspace

CLOSED_PAGE = 50


@role_required(Role.REP)
@require_GET
def my_leads(request):
    """The rep's open leads, or (?show=closed) their won and lost ones, a page at a time."""
    closed = request.GET.get("show") == "closed"
    context = {"closed": closed, "counts": selectors.rep_lead_counts(user=request.user)}
    if closed:
        page = Paginator(selectors.rep_closed_leads(user=request.user), CLOSED_PAGE).get_page(
            request.GET.get("page")
        )
        for lead in page:
            lead.won_shown = _money_format(request, lead).show(lead.won_value)
        context.update(page=page, leads=page.object_list)
    else:
        context["leads"] = selectors.rep_open_leads(user=request.user)
    template = "pools/my_leads.html#lead-table" if request.htmx else "pools/my_leads.html"
    return render(request, template, context)


def _visible_lead(request, lead_id: int):
    # 404, not 403, for a lead outside the user's scope: its existence is not their business.
    return get_object_or_404(
        selectors.leads_visible_to(user=request.user).select_related(
            "owner", "pool", "team", "source"
        ),
        pk=lead_id,
    )


def _money_format(request, lead):
    """The lead's team's amounts, else the browser's: how the won value is typed."""
    return money_format_for(
        team=lead.team, accept_language=request.headers.get("Accept-Language", "")
    )


def _workspace_context(request, lead) -> dict:
    is_owner = lead.owner_id == request.user.pk and lead.status in OPEN_OWNED_STATES
    money = _money_format(request, lead)
    context = {
        "lead": lead,
        "money_format": money,
        # Amounts as the team writes them, with its currency (the won value's too).
        "estimated_value": money.show(lead.estimated_value),
        "won_value": money.show(lead.won_value),
        # The lead's clock, for a rep about to call (their zone by state, else country).
        "lead_zone": lead_time_zone(country=lead.country, state=lead.state),
        "now": timezone.now(),
        "events": selectors.lead_timeline_with_extras(lead=lead, viewer=request.user),
        "is_owner": is_owner,
        # The owner of a closed lead (won, lost) may still add notes to it.
        "can_note": lead.owner_id == request.user.pk,
        "touch_kinds": workspace.TOUCH_KINDS,
        "dispositions": [
            (s, label)
            for s, label in workspace.DISPOSITIONS.items()
            if is_owner and s != lead.status and can_transition(lead.status, s)
        ],
    }
    if (
        lead.status in HAND_MOVABLE_STATES
        and (request.user.is_manager or request.user.is_admin_role)
        and selectors.leads_managed_by(user=request.user).filter(pk=lead.pk).exists()
    ):
        # The manager's panel: its forms post to routing's desk (pools cannot import it).
        context["hand_reps"] = reps_managed_by(user=request.user).exclude(pk=lead.owner_id)
        context["can_skim"] = can_transition(lead.status, LeadState.SKIMMING)
    if (
        lead.status in OPEN_OWNED_STATES
        and lead.owner_id != request.user.pk
        and (request.user.is_manager or request.user.is_admin_role)
    ):
        context["return_pools"] = Pool.objects.filter(
            team__in=teams_managed_by(user=request.user), is_active=True
        )
    return context


@role_required(Role.REP, Role.MANAGER, Role.ADMIN)
@require_GET
def lead_detail(request, lead_id: int):
    lead = _visible_lead(request, lead_id)
    context = _workspace_context(request, lead)
    template = "pools/lead_detail.html#timeline" if request.htmx else "pools/lead_detail.html"
    return render(request, template, context)


def _after_action(request, lead_id: int, *, error: str = "", done: str = ""):
    """htmx: re-render the workspace (and the timeline out of band); else redirect, or on
    an error re-render the page. An error keeps what was typed (`typed`) in the forms."""
    if not request.htmx and not error:
        if done:
            messages.success(request, done)
        return redirect("pools:lead_detail", lead_id=lead_id)
    lead = _visible_lead(request, lead_id)
    context = {
        **_workspace_context(request, lead),
        "error": error,
        "done": done,
        "typed": request.POST if error else {},
    }
    if not request.htmx:
        return render(request, "pools/lead_detail.html", context, status=400)
    return render(request, "pools/partials/_workspace_response.html", context)


def _act(request, lead_id: int, action, done: str):
    _visible_lead(request, lead_id)  # scope first: 404 outside it
    try:
        action()
    except (workspace.WorkError, release.ReleaseError) as exc:
        return _after_action(request, lead_id, error=exc.message)
    return _after_action(request, lead_id, done=done)


@role_required(Role.REP)
@require_POST
def lead_touch(request, lead_id: int):
    kind = request.POST.get("kind", "")
    return _act(
        request,
        lead_id,
        lambda: workspace.lead_touch(
            user=request.user, lead_id=lead_id, kind=kind, note=request.POST.get("note", "")
        ),
        done=f"{workspace.TOUCH_KINDS.get(kind, 'Touch')} logged.",
    )


@role_required(Role.REP)
@require_POST
def lead_dispose(request, lead_id: int):
    disposition = request.POST.get("disposition", "")
    # The won value is read in the lead's team's number format (else the browser's).
    money = _money_format(request, _visible_lead(request, lead_id))
    return _act(
        request,
        lead_id,
        lambda: workspace.lead_dispose(
            user=request.user,
            lead_id=lead_id,
            disposition=disposition,
            won_value=request.POST.get("won_value", ""),
            lost_reason=request.POST.get("lost_reason", ""),
            money=money,
        ),
        done="Disposition saved.",
    )


@role_required(Role.REP)
@require_POST
def lead_note(request, lead_id: int):
    return _act(
        request,
        lead_id,
        lambda: workspace.lead_add_note(
            user=request.user, lead_id=lead_id, text=request.POST.get("text", "")
        ),
        done="Note added.",
    )


@role_required(Role.REP)
@require_POST
def lead_release(request, lead_id: int):
    _visible_lead(request, lead_id)
    try:
        release.lead_release(
            user=request.user, lead_id=lead_id, reason=request.POST.get("reason", "")
        )
    except release.ReleaseError as exc:
        return _after_action(request, lead_id, error=exc.message)
    # The lead is no longer the rep's: back to their list, not to a page they cannot see.
    messages.success(request, "Lead released to the pool.")
    if request.htmx:
        from django.urls import reverse
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(reverse("pools:my_leads"))
    return redirect("pools:my_leads")


@role_required(Role.MANAGER, Role.ADMIN)
@require_POST
def lead_return(request, lead_id: int):
    try:
        pool_id = int(request.POST.get("pool", ""))
    except ValueError:
        pool_id = 0
    return _act(
        request,
        lead_id,
        lambda: release.lead_return_to_pool(
            user=request.user,
            lead_id=lead_id,
            pool_id=pool_id,
            reason=request.POST.get("reason", ""),
        ),
        done="Lead returned to the pool.",
    )
