"""Writing a routed batch: the leads' moves and events (`pools.services`), the live
offers opened (routing.offers.send), then the decision records, intake counters and
rotations together in one round trip."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

from leadroute.shared.sql import run_batch
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.services import Move, leads_transition

from ..decisions.attribution import lead_attribution
from ..desk.notify import notify_leads_given, notify_queue_changed
from ..models import RoutingDecision
from ..offers.send import Opening, offers_send
from .facts import decisions_insert_sql, intake_bump_sql, rotation_save_sql

if TYPE_CHECKING:
    from .router import Batch, Placement, Router


def decision_record(router: Router, placement: Placement) -> RoutingDecision:
    """Why the lead went where it went (unsaved: `batch_write` inserts a batch's at once)."""
    outcome = {
        LeadState.ASSIGNED: RoutingDecision.Outcome.ASSIGNED,
        LeadState.POOLED: RoutingDecision.Outcome.POOLED,
        LeadState.OFFERED: RoutingDecision.Outcome.OFFERED,
    }.get(placement.to, RoutingDecision.Outcome.SKIMMING)
    rule = placement.rule
    method = ""
    if rule and outcome == RoutingDecision.Outcome.ASSIGNED:
        method = rule.method
    elif rule and outcome == RoutingDecision.Outcome.OFFERED:
        method = rule.offer_method
    return RoutingDecision(
        lead=router.lead,
        rule=rule,
        rule_name=rule.name if rule else "",
        method=method,
        outcome=outcome,
        winner_id=placement.owner_id,
        pool=placement.pool,
        reason=placement.reason[:500],
        details=router.trace,
        # This lead's own matching and placing, plus the reads its batch shared.
        duration_ms=round((router.elapsed + router.batch.reads_seconds) * 1000, 3),
        created_at=router.now,
    )


def batch_write(batch: Batch, routers: list[Router], placements: list[Placement]) -> None:
    """The batch's moves and events, then its decisions, counters and rotations."""
    user = get_user_model()
    moves = []
    decisions = [decision_record(r, p) for r, p in zip(routers, placements, strict=True)]
    for router, placement, decision in zip(routers, placements, decisions, strict=True):
        lead = router.lead
        # The placement decides which team answers for the lead from now on (its manager
        # sees it, its skim queue holds it), whatever team the source suggested.
        team_id = placement.team_id
        extra = {"team_id": team_id} if team_id and team_id != lead.team_id else {}
        extra |= lead_attribution(
            rule_id=decision.rule_id,
            method=decision.method,
            via=Lead.Via.PUSH if placement.to == LeadState.ASSIGNED else "",
        )
        # The territories matched now: the desk filters its queue by them.
        extra["territory_ids"] = router.trace["territories"]
        # A key-only stand-in saves a query per lead.
        owner = user(pk=placement.owner_id) if placement.owner_id else None
        moves.append(
            Move(
                lead=lead,
                to=placement.to,
                owner=owner,
                pool=placement.pool,
                reason=placement.reason[:500],
                extra=extra,
                data={"rule": placement.rule.pk if placement.rule else None},
            )
        )
    leads_transition(moves=moves, kind=LeadEvent.Kind.ROUTED)
    # Each rep given leads hears of them, and their open My leads shows them (after commit).
    notify_leads_given(
        leads=[r.lead for r, p in zip(routers, placements, strict=True) if p.owner_id]
    )
    # Desks of the teams whose skim queue got leads re-read their queue (after commit).
    queued = {p.team_id for p in placements if p.to == LeadState.SKIMMING and p.team_id}
    if queued:
        notify_queue_changed(team_ids=queued)
    for router in routers:  # `lead.owner` loads the real user if anyone asks
        Lead.owner.field.delete_cached_value(router.lead)
    offers_send(
        openings=[
            Opening(lead=r.lead, rule=p.rule, steps=p.offer.steps, visited=p.visited)
            for r, p in zip(routers, placements, strict=True)
            if p.offer is not None
        ],
        now=batch.now,
    )
    # Counters, rotations and decisions together in one round trip, after every move
    # succeeded (a LeadChanged above rolls the whole batch back anyway).
    writes = [decisions_insert_sql(decisions)]
    counts = Counter(p.owner_id for p in placements if p.owner_id)
    if counts:
        days = {user_id: batch.book.rows[user_id].day for user_id in counts}
        writes.append(intake_bump_sql(counts=counts, days=days, at=batch.now))
    writes += [
        rotation_save_sql(rule_id=rule_id, state=batch.book.rotations[rule_id], at=batch.now)
        for rule_id in sorted(batch.rotated)
    ]
    run_batch(writes)
