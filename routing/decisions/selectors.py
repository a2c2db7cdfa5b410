"""Reads for the decision record ("Why this rep?")."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from accounts.roles import Role, has_role
from pools.models import Lead, LeadEvent, Pool
from pools.selectors import lead_last_claim, leads_managed_by

from ..models import RoutingDecision, RoutingRule


def lead_decisions(*, lead: Lead) -> QuerySet[RoutingDecision]:
    return lead.routing_decisions.select_related("winner", "pool", "rule").order_by(
        "-created_at", "-id"
    )


def owner_claim(*, lead: Lead, after) -> LeadEvent | None:
    """The claim by which the lead's owner pulled it from a pool, if that is how they came
    to have it: their latest, made at or after the engine's latest decision (`after`).
    Then "Why this rep?" is a pull, not a routing decision."""
    if lead.owner_id is None:
        return None
    claim = lead_last_claim(lead=lead)
    if claim is None or claim.actor_id != lead.owner_id:
        return None
    return claim if after is None or claim.created_at >= after else None


def decision_full_view_allowed(*, user, lead: Lead) -> bool:
    """Admins and managers of the lead's team see every candidate; others (a rep on their
    own lead) see the outcome and their own line only: colleagues' absences and caps are
    not theirs to read."""
    if has_role(user, Role.ADMIN):
        return True
    if has_role(user, Role.MANAGER):
        return leads_managed_by(user=user).filter(pk=lead.pk).exists()
    return False


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value or ""


def _plan_view(step: dict) -> list[dict]:
    """A live offer's steps with the reps' names: who, in which order, for how long."""
    names = {c["rep"]: c["name"] for c in step.get("candidates", [])}
    return [
        {
            "label": s.get("label", ""),
            "seconds": s["seconds"],
            "reps": ", ".join(names.get(r, f"user #{r}") for r in s["reps"]),
        }
        for s in step.get("plan", [])
    ]


def decision_view_model(*, decision: RoutingDecision, full: bool, viewer=None) -> dict:
    """A template-ready reading of a decision (saved, or an unsaved preview)."""
    details = decision.details or {}
    winner_name = ""
    if decision.winner_id:
        winner = (
            decision.winner
            if decision.pk
            else get_user_model().objects.filter(pk=decision.winner_id).first()
        )
        winner_name = winner.display_name if winner else f"user #{decision.winner_id}"
    pool = decision.pool if decision.pool_id else None
    if decision.outcome == RoutingDecision.Outcome.ASSIGNED:
        headline = f"Assigned to {winner_name}"
    elif decision.outcome == RoutingDecision.Outcome.OFFERED:
        headline = "Offered live to online reps"
    elif decision.outcome == RoutingDecision.Outcome.POOLED:
        headline = f"Placed in pool {pool or Pool.objects.filter(pk=decision.pool_id).first()}"
    else:
        headline = "Sent to the manager's skim queue"
    steps = []
    for step in details.get("steps", []):
        candidates = step.get("candidates", [])
        hidden = 0
        if not full:
            mine = [c for c in candidates if viewer is not None and c["rep"] == viewer.pk]
            hidden = len(candidates) - len(mine)
            candidates = mine
        steps.append(
            {
                "name": step.get("name", ""),
                "action": _label(RoutingRule.Action, step.get("action")),
                "method": _label(
                    RoutingRule.OfferMethod
                    if step.get("action") == RoutingRule.Action.OFFER
                    else RoutingRule.Method,
                    step.get("method"),
                ),
                "result": step.get("result", ""),
                "fallback": step.get("fallback", ""),
                "candidates": candidates,
                "eligible": sum(1 for c in step.get("candidates", []) if c.get("eligible")),
                "total": len(step.get("candidates", [])),
                "hidden": hidden,
                "state_before": json.dumps(step.get("state_before"), sort_keys=True)
                if full and step.get("state_before")
                else "",
                "state_after": json.dumps(step.get("state_after"), sort_keys=True)
                if full and step.get("state_after")
                else "",
                # A live offer's plan names colleagues in order: for the full view only.
                "plan": _plan_view(step) if full else [],
            }
        )
    return {
        "decision": decision,
        "headline": headline,
        "reason": decision.reason,
        "rule_name": decision.rule_name,
        "rules": [
            {
                "name": r.get("name", ""),
                "matched": r.get("matched", False),
                "when": r.get("when", ""),
                "error": r.get("error", ""),
            }
            for r in details.get("rules", [])
        ],
        "steps": steps,
        "full": full,
        "duration_ms": decision.duration_ms,
        # No rules were tried by a manager's hand (routing.desk; the reason says who and
        # why) nor by a rep accepting a live offer (the rule that opened it is named).
        "rules_tried": decision.method != "manual" and "offer" not in details,
    }
