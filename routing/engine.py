"""The routing engine: decides where a screened lead goes."""

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent, Pool
from pools.services import lead_transition


def lead_route(*, lead: Lead) -> Lead:
    """Place a `screened` lead; a lead in any other state is left alone (idempotent)."""
    if lead.status != LeadState.SCREENED:
        return lead
    pool = Pool.objects.filter(team_id=lead.team_id, is_team_default=True, is_active=True).first()
    if pool is not None:
        return lead_transition(lead=lead, to=LeadState.POOLED, pool=pool,
                               kind=LeadEvent.Kind.ROUTED, reason=f"Team default pool {pool}")
    return lead_transition(lead=lead, to=LeadState.SKIMMING, kind=LeadEvent.Kind.ROUTED,
                           reason="No pool for the lead's team: manager to assign")


