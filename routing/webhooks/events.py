"""Which webhook types a lead event is: one rule, pure, so the outbox, the admin's choices
and the README's table agree."""

from __future__ import annotations

from django.db import models

from pools.lifecycle import OWNED_STATES, LeadState
from pools.models import LeadEvent


class WebhookType(models.TextChoices):
    CREATED = "lead.created", "Lead created"
    ROUTED = "lead.routed", "Routed"
    ASSIGNED = "lead.assigned", "Assigned (a new owner, any way)"
    CLAIMED = "lead.claimed", "Claimed from a pool"
    OFFER_ACCEPTED = "lead.offer_accepted", "Live offer accepted"
    TOUCHED = "lead.touched", "Touched"
    DISPOSITION_CHANGED = "lead.disposition_changed", "Disposition changed"
    WON = "lead.won", "Won"
    LOST = "lead.lost", "Lost"
    ESCALATED = "lead.escalated", "Escalated (SLA)"
    REASSIGNED = "lead.reassigned", "Reassigned"


T = WebhookType
K = LeadEvent.Kind


def webhook_types(*, kind: str, from_state: str, to_state: str, data: dict) -> list[str]:
    """The webhook types a lead event with these fields is, general first (each subscribed
    type is delivered on its own, with its own id). Events that are none (a note, a
    release, a screening step) give []."""
    new_owner = to_state == LeadState.ASSIGNED and kind in (K.ROUTED, K.ASSIGNED, K.CLAIMED)
    # From an owned state to an owner: someone else's lead now (no path re-gives a lead
    # to the rep who has it: escalation's reroute skips past owners, the desk refuses).
    handed_over = new_owner and from_state in OWNED_STATES
    types: list[str] = []
    if kind == K.CREATED:
        types.append(T.CREATED)
    elif kind == K.ROUTED:
        types.append(T.ROUTED)
    elif kind == K.TOUCH:
        types.append(T.TOUCHED)
    elif kind == K.DISPOSITION:
        types.append(T.DISPOSITION_CHANGED)
        if to_state == LeadState.WON:
            types.append(T.WON)
        elif to_state == LeadState.LOST:
            types.append(T.LOST)
    elif kind == K.ESCALATED:
        types.append(T.ESCALATED)
    if new_owner:
        types.append(T.ASSIGNED)
        if kind == K.CLAIMED:
            types.append(T.CLAIMED)
        elif kind == K.ASSIGNED and (data or {}).get("offer"):
            types.append(T.OFFER_ACCEPTED)
        if handed_over:
            types.append(T.REASSIGNED)
    return [str(t) for t in types]


# The lead event kinds that can be a webhook type at all: others cost the outbox nothing.
MAPPED_KINDS = frozenset(
    {K.CREATED, K.ROUTED, K.ASSIGNED, K.CLAIMED, K.TOUCH, K.DISPOSITION, K.ESCALATED}
)
