"""The JSON body of a delivery: the event, the lead as it was right after it, and the
routing decision behind the lead's placement. Built once, at the first attempt, and kept
(retries and resends send the same bytes, so receivers can dedupe by `id`)."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from pools.models import LeadEvent

from ..models import RoutingDecision
from .models import WebhookDelivery, public_event_id


def bodies_build(*, deliveries: list[WebhookDelivery]) -> dict[int, str]:
    """Delivery id → its body, for deliveries that have none yet; three queries a batch."""
    todo = [d for d in deliveries if not d.body]
    if not todo:
        return {}
    events = LeadEvent.objects.in_bulk([d.event_id for d in todo])
    actors = dict(
        get_user_model()
        .objects.filter(pk__in={e.actor_id for e in events.values() if e.actor_id})
        .values_list("pk", "username")
    )
    decisions: dict[int, list[RoutingDecision]] = {}
    for decision in (
        RoutingDecision.objects.filter(lead_id__in={d.lead_id for d in todo})
        .order_by("lead_id", "created_at", "id")
        .defer("details")
    ):
        decisions.setdefault(decision.lead_id, []).append(decision)
    built = {}
    for d in todo:
        event = events[d.event_id]
        # The decision in force at the event: the lead's latest up to then (decisions and
        # events are append-only, so the body is the same whenever it is built).
        decision = None
        for candidate in decisions.get(d.lead_id, ()):
            if candidate.created_at <= event.created_at:
                decision = candidate
        built[d.pk] = json.dumps(
            {
                "id": public_event_id(event.pk, d.type),
                "type": d.type,
                "created": event.created_at,
                "event": {
                    "id": event.pk,
                    "kind": event.kind,
                    "from_state": event.from_state,
                    "to_state": event.to_state,
                    "reason": event.reason,
                    "actor": (
                        {"id": event.actor_id, "username": actors.get(event.actor_id)}
                        if event.actor_id
                        else None
                    ),
                    "data": event.data,
                },
                "lead": d.lead_snapshot,
                "decision": _decision(decision),
            },
            cls=DjangoJSONEncoder,
            separators=(",", ":"),
        )
    return built


def _decision(decision: RoutingDecision | None) -> dict | None:
    if decision is None:
        return None
    return {
        "id": decision.pk,
        "at": decision.created_at,
        "outcome": decision.outcome,
        "rule": {"id": decision.rule_id, "name": decision.rule_name} if decision.rule_id else None,
        "method": decision.method,
        "winner_id": decision.winner_id,
        "pool_id": decision.pool_id,
        "reason": decision.reason,
        # The page that explains it ("Why this rep?"), for a CRM to link to.
        "explained_at": reverse("routing:decision", args=[decision.lead_id]),
    }
