from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.roles import Role
from pools.selectors import leads_visible_to

from ..offers.selectors import lead_offer_history
from .selectors import (
    decision_full_view_allowed,
    decision_view_model,
    lead_decisions,
    owner_claim,
)


@role_required(Role.REP, Role.MANAGER, Role.ADMIN)
@require_GET
def decision(request, lead_id: int):
    """ "Why this rep?" for one lead: 404 for leads the user may not see."""
    lead = get_object_or_404(
        leads_visible_to(user=request.user).select_related("owner__rep_profile", "team"), pk=lead_id
    )
    decisions = list(lead_decisions(lead=lead)[:1])
    full = decision_full_view_allowed(user=request.user, lead=lead)
    context = {
        "lead": lead,
        "claim": owner_claim(lead=lead, after=decisions[0].created_at if decisions else None),
        "r": decision_view_model(decision=decisions[0], full=full, viewer=request.user)
        if decisions
        else None,
        "earlier": lead.routing_decisions.count() - 1 if decisions else 0,
        "offers": lead_offer_history(lead=lead, full=full, viewer=request.user),
    }
    template = "routing/decision.html#panel" if request.htmx else "routing/decision.html"
    return render(request, template, context)
