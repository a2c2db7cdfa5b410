"""Which webhook types each lead event is (a pure rule: no database)."""

import pytest

from pools.lifecycle import LeadState as S
from pools.models import LeadEvent
from routing.webhooks.events import MAPPED_KINDS, webhook_types

K = LeadEvent.Kind


@pytest.mark.parametrize(
    ("kind", "from_state", "to_state", "data", "expected"),
    [
        (K.CREATED, "", S.NEW, {}, ["lead.created"]),
        (K.ROUTED, S.SCREENED, S.POOLED, {}, ["lead.routed"]),
        (K.ROUTED, S.SCREENED, S.ASSIGNED, {}, ["lead.routed", "lead.assigned"]),
        # Escalation's reassignment goes through the engine again, from an owner.
        (
            K.ROUTED,
            S.ASSIGNED,
            S.ASSIGNED,
            {},
            ["lead.routed", "lead.assigned", "lead.reassigned"],
        ),
        (K.CLAIMED, S.POOLED, S.ASSIGNED, {}, ["lead.assigned", "lead.claimed"]),
        (K.ASSIGNED, S.OFFERED, S.ASSIGNED, {"offer": 3}, ["lead.assigned", "lead.offer_accepted"]),
        (K.ASSIGNED, S.SKIMMING, S.ASSIGNED, {}, ["lead.assigned"]),
        (K.ASSIGNED, S.CONTACTED, S.ASSIGNED, {}, ["lead.assigned", "lead.reassigned"]),
        (K.TOUCH, S.ASSIGNED, S.CONTACTED, {}, ["lead.touched"]),
        (K.TOUCH, "", "", {}, ["lead.touched"]),
        (K.DISPOSITION, S.CONTACTED, S.QUALIFIED, {}, ["lead.disposition_changed"]),
        (K.DISPOSITION, S.QUALIFIED, S.WON, {}, ["lead.disposition_changed", "lead.won"]),
        (K.DISPOSITION, S.CONTACTED, S.LOST, {}, ["lead.disposition_changed", "lead.lost"]),
        (K.ESCALATED, "", "", {}, ["lead.escalated"]),
        (K.ESCALATED, S.ASSIGNED, S.POOLED, {}, ["lead.escalated"]),
        (K.NOTE, "", "", {}, []),
        (K.RELEASED, S.ASSIGNED, S.POOLED, {}, []),
        (K.INQUIRY, "", "", {}, []),
        (K.TRANSITION, S.NEW, S.SCREENED, {}, []),
    ],
)
def test_each_lead_event_is_the_webhook_types_its_change_means(
    kind, from_state, to_state, data, expected
):
    assert webhook_types(kind=kind, from_state=from_state, to_state=to_state, data=data) == expected


def test_kinds_outside_the_mapped_set_are_never_a_webhook():
    for kind in set(K.values) - MAPPED_KINDS:
        for to in [*S.values, ""]:
            assert webhook_types(kind=kind, from_state=S.ASSIGNED, to_state=to, data={}) == []
