"""A lead's live offers on its timeline: pools draws the timeline and may not read routing's
tables, so it asks (pools.signals.lead_timeline_extras) and this answers with one entry per
offer, each drawn by the offer history's own template."""

from pools.lifecycle import LeadState
from pools.selectors import TimelineEntry

from ..decisions.selectors import decision_full_view_allowed
from .selectors import lead_offer_history

HISTORY_ITEM = "routing/offers/_history_item.html"


def lead_timeline_offers(sender, *, lead, viewer, events, **kwargs) -> list[TimelineEntry]:
    # Every offer opens with a move to `offered` on the timeline: a lead without one (most)
    # costs no query here.
    if not any(e.to_state == LeadState.OFFERED for e in events):
        return []
    full = decision_full_view_allowed(user=viewer, lead=lead)
    return [
        TimelineEntry(created_at=offer["sent_at"], template=HISTORY_ITEM, item=offer)
        for offer in lead_offer_history(lead=lead, full=full, viewer=viewer)
    ]
