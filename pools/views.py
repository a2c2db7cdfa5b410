from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role

from . import selectors


@role_required(Role.REP)
@require_GET
def my_leads(request):
    leads = selectors.rep_open_leads(user=request.user)
    context = {"leads": leads, "counts": selectors.rep_lead_counts(user=request.user)}
    template = "pools/my_leads.html#lead-table" if request.htmx else "pools/my_leads.html"
    return render(request, template, context)


@role_required(Role.REP, Role.MANAGER, Role.ADMIN)
@require_GET
def lead_detail(request, lead_id: int):
    # 404, not 403, for a lead outside the user's scope: its existence is not their business.
    lead = get_object_or_404(
        selectors.leads_visible_to(user=request.user).select_related(
            "owner", "pool", "team", "source"),
        pk=lead_id,
    )
    context = {"lead": lead, "events": selectors.lead_timeline(lead=lead)}
    template = "pools/lead_detail.html#timeline" if request.htmx else "pools/lead_detail.html"
    return render(request, template, context)
