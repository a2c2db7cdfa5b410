"""Screening: what happens to a new lead before routing — scoring and qualification.

Dedupe is not here: it happens synchronously at capture (`pools.capture`), so the caller
learns at once which lead its inquiry became and a duplicate never reaches this step.
Screening runs in the intake drain (a Celery task), after the capture committed.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.db import transaction

from leadroute.tasks import intake_kick_on_commit

from .lifecycle import LeadState
from .models import Lead, LeadEvent, ScoringRule
from .services import Move, lead_transition, leads_transition

Op = ScoringRule.Operator
NUMERIC_OPERATORS = frozenset({Op.GTE, Op.LTE, Op.GT, Op.LT})
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _number(value) -> Decimal | None:
    """The first number in a value: 1000 for "1000+", 11 for the band "11-50"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    match = _NUMBER.search(str(value).replace(",", ""))
    try:
        return Decimal(match.group()) if match else None
    except InvalidOperation:
        return None


def lead_field_values(lead: Lead, field: str) -> list:
    """The value(s) a rule's field names on `lead`; `source` matches by name or slug."""
    if field.startswith("attributes."):
        return [(lead.attributes or {}).get(field.removeprefix("attributes."))]
    if field == "source":
        return [lead.source.name, lead.source.slug] if lead.source_id else [""]
    return [getattr(lead, field, None)]


def rule_matches(rule: ScoringRule, values: list) -> bool:
    def one(actual) -> bool:
        text = "" if actual is None else str(actual).strip().lower()
        expected = rule.value.strip().lower()
        if rule.operator == Op.IS_SET:
            return bool(text)
        if rule.operator == Op.IS_BLANK:
            return not text
        if rule.operator == Op.EQUALS:
            return text == expected
        if rule.operator == Op.NOT_EQUALS:
            return text != expected
        if rule.operator == Op.CONTAINS:
            return bool(expected) and expected in text
        if rule.operator == Op.IN:
            return text in {v.strip() for v in expected.split(",")}
        left, right = _number(actual), _number(rule.value)
        if left is None or right is None:
            return False
        return {
            Op.GTE: left >= right,
            Op.LTE: left <= right,
            Op.GT: left > right,
            Op.LT: left < right,
        }[rule.operator]

    if rule.operator == Op.NOT_EQUALS:
        return all(one(v) for v in values)
    return any(one(v) for v in values)


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
    else moved it first (the conditional UPDATE in lead_transition decides)."""
    with transaction.atomic():
        lead = lead_transition(
            lead=lead,
            to=LeadState.SCREENED,
            actor=actor,
            reason=f"Rejection overridden by {actor.display_name}",
            data={"was": lead.rejection_reason},
            extra={"rejection_reason": ""},
        )
        intake_kick_on_commit()  # a screened lead waits for intake, like a new one
    return lead
