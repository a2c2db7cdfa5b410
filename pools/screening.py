"""Screening: what happens to a new lead before routing (dedupe, scoring, qualification)."""

from .lifecycle import LeadState
from .models import Lead
from .services import lead_transition


def lead_screen(*, lead: Lead) -> Lead:
    """Move a `new` lead to `screened` (or `rejected`). Safe to call twice."""
    if lead.status != LeadState.NEW:
        return lead
    return lead_transition(lead=lead, to=LeadState.SCREENED, reason="Screened")
