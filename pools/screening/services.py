"""Screening: what happens to a new lead before routing — scoring and qualification.

Dedupe is not here: it happens synchronously at capture (`pools.capture.services`), so the caller
learns at once which lead its inquiry became and a duplicate never reaches this step.
Screening runs in the intake drain (a Celery task), after the capture committed.
"""

from __future__ import annotations

from django.db import transaction

from pools.lifecycle import IllegalTransition, LeadState
from pools.models import Lead, LeadEvent, ScoringRule
from pools.screening.conditions import lead_field_values, values_hold
from pools.services import Move, lead_transition, leads_transition
from pools.signals import leads_waiting_on_commit

Op = ScoringRule.Operator
TEST_LEAD_REASON = "Test lead (sent as test data): kept out of routing and reports"
# A scoring rule's operator as the shared evaluator names it (pools.screening.conditions).
_OPERATORS = {
    Op.EQUALS: "equals",
    Op.NOT_EQUALS: "not_equals",
    Op.CONTAINS: "contains",
    Op.IN: "in",
    Op.GTE: "gte",
    Op.LTE: "lte",
    Op.GT: "gt",
    Op.LT: "lt",
    Op.IS_SET: "is_empty",
    Op.IS_BLANK: "is_empty",
}


def rule_expected(*, operator: str, value: str):
    """What a scoring rule's value means to its operator: "is one of" a comma list, "is
    filled in" and "is blank" nothing, the others the value."""
    return {Op.IN: value.split(","), Op.IS_SET: False, Op.IS_BLANK: True}.get(operator, value)


def rule_matches(rule: ScoringRule, values: list) -> bool:
    expected = rule_expected(operator=rule.operator, value=rule.value)
    return values_hold(_OPERATORS[rule.operator], values, expected)


def lead_score(*, lead: Lead, rules: list[ScoringRule]) -> tuple[int, list[dict]]:
    """The score and the breakdown of which rule gave what."""
    score, breakdown = 0, []
    for rule in rules:
        values = lead_field_values(lead, rule.field)
        if rule_matches(rule, values):
            score += rule.points
            breakdown.append(
                {
                    "rule": rule.pk,
                    "name": rule.name or str(rule),
                    "field": rule.field,
                    "value": str(values[0] or "")[:100],
                    "points": rule.points,
                }
            )
    return score, breakdown


def lead_screen(*, lead: Lead) -> Lead:
    """Score a `new` lead and move it to `screened`, or to `rejected` below its source's
    qualification threshold. Safe to call twice: any other state is left alone."""
    with transaction.atomic(savepoint=False):
        return leads_screen(leads=[lead])[0]


def leads_screen(*, leads: list[Lead]) -> list[Lead]:
    """`lead_screen` for many leads at once (an intake batch), in the caller's
    transaction: one read of the scoring rules and two round trips of writes, whatever
    the number of leads. Leads should come with `source` selected."""
    todo = [lead for lead in leads if lead.status == LeadState.NEW]
    if todo:
        every = list(ScoringRule.objects.filter(is_active=True).order_by("id"))
        moves = [
            _screening(
                lead, [r for r in every if r.source_id is None or r.source_id == lead.source_id]
            )
            for lead in todo
        ]
        leads_transition(moves=moves, kind=LeadEvent.Kind.TRANSITION)
    return leads


def _screening(lead: Lead, rules: list[ScoringRule]) -> Move:
    """Where screening sends `lead`, and why."""
    score, breakdown = lead_score(lead=lead, rules=rules)
    threshold = lead.source.qualification_threshold if lead.source_id else 0
    scored = {"score": score, "score_breakdown": breakdown}
    data = {"score": score, "breakdown": breakdown}
    if lead.is_test:
        # Test data is scored (so a test shows what a real lead would score) but never
        # routed: rejected here, it never reaches the router, and no override sends it on.
        reason = TEST_LEAD_REASON
        return Move(
            lead=lead,
            to=LeadState.REJECTED,
            reason=reason,
            data=data,
            extra={**scored, "rejection_reason": reason},
        )
    if score < threshold:
        reason = f"Unqualified: score {score} is below {lead.source.name}'s threshold {threshold}"
        return Move(
            lead=lead,
            to=LeadState.REJECTED,
            reason=reason,
            data=data,
            extra={**scored, "rejection_reason": reason[:200]},
        )
    return Move(
        lead=lead, to=LeadState.SCREENED, reason=f"Screened: score {score}", data=data, extra=scored
    )


def lead_override_rejection(*, lead: Lead, actor) -> Lead:
    """A manager sends a rejected lead back into routing. Raises LeadChanged if someone
    else moved it first (the conditional UPDATE in lead_transition decides), and
    IllegalTransition for a test lead, which is never routed."""
    if lead.is_test:
        raise IllegalTransition(lead.status, LeadState.SCREENED)
    with transaction.atomic():
        lead = lead_transition(
            lead=lead,
            to=LeadState.SCREENED,
            actor=actor,
            reason=f"Rejection overridden by {actor.display_name}",
            data={"was": lead.rejection_reason},
            extra={"rejection_reason": ""},
        )
        leads_waiting_on_commit(lead_ids=[lead.pk])  # screened, it waits like a new one
    return lead
