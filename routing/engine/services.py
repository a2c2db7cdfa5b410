"""The engine's entry points: what callers use to route leads (intake's drain, escalation's
reroutes, a live offer's fallback), preview one ("Test a lead") or recheck reps for an offer.

Leads are routed in batches: whatever waits when an intake drain runs (one lead, or a
burst's or an import's hundreds). A batch reads the rules' version, the territories
and its sources in one round trip (an edit in the admin applies to the next batch, see
routing.rules.cache), matches each lead against the rules (pure Python, routing.engine.router),
reads every fact about the reps the matched rules and their fallbacks can reach in one more
(routing.engine.book), places the leads one by one in arrival order — keeping counts and
rotations current in memory — and writes the moves, events, counters, rotations and
decision records in a few round trips (routing.engine.record), whatever the number of leads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import Lead

from ..models import RoutingDecision, RoutingRule, RuleSet
from ..rules.cache import active_rules
from .book import RepBook
from .eligibility import Requirements, rep_exclusion
from .facts import lead_context
from .record import batch_write, decision_record
from .router import Batch, Router, lead_snapshot


def _plan(
    leads: list[Lead],
    *,
    now: datetime,
    dry_run: bool,
    source_slug: str | None = None,
    resume: dict | None = None,
    resumes: list[dict] | None = None,
    rules: list[RoutingRule] | None = None,
) -> tuple[Batch, list[Router]]:
    """Match every lead, then read the facts of every rep the matches can reach. `rules`
    (a preview's draft) stand in for the live ones."""
    started = time.perf_counter()
    version, territories, slugs = lead_context(
        source_ids=[lead.source_id for lead in leads if lead.source_id], lock=not dry_run
    )
    batch = Batch(
        now=now,
        rules=active_rules(version=version) if rules is None else rules,
        territories=territories,
        slugs=slugs,
        dry_run=dry_run,
    )
    batch.reads_seconds = time.perf_counter() - started
    routers = [
        Router(
            lead=lead,
            batch=batch,
            source_slug=source_slug,
            **(resumes[i] if resumes is not None else resume or {}),
        )
        for i, lead in enumerate(leads)
    ]
    reachable = batch.reachable([r.matched for r in routers if r.matched is not None])
    started = time.perf_counter()
    batch.book = RepBook.load(
        rules=[r for r in reachable if r.picks_reps],
        leads=[r.snapshot for r in routers],
        now=now,
        lock=not dry_run,
    )
    batch.reads_seconds += time.perf_counter() - started
    return batch, routers


def leads_route(*, leads: list[Lead], now: datetime | None = None) -> list[Lead]:
    """Place the `screened` leads among `leads`, in order; others are left alone.

    Called with the lead rows locked (routing.tasks), so a task run twice routes each lead
    once: the second run finds it no longer `screened`.
    """
    todo = [lead for lead in leads if lead.status == LeadState.SCREENED]
    if not todo:
        return leads
    # No savepoint of our own: the caller's transaction (lead rows locked) is the unit.
    with transaction.atomic(savepoint=False):
        batch, routers = _plan(todo, now=now or timezone.now(), dry_run=False)
        placements = [router.place() for router in routers]
        batch_write(batch, routers, placements)
    return leads


def lead_route(*, lead: Lead, now: datetime | None = None) -> Lead:
    """Place one `screened` lead (a batch of one); see `leads_route`."""
    return leads_route(leads=[lead], now=now)[0]


def lead_route_preview(
    *,
    lead: Lead,
    now: datetime | None = None,
    source_slug: str | None = None,
    rule_set: RuleSet | None = None,
) -> RoutingDecision:
    """Which rule matches and who would get the lead, writing nothing (the "Test a lead"
    page), by the live rules or `rule_set`'s (a draft). The lead may be unsaved (pasted
    fields). Nothing is locked or counted, so a preview can differ from the real run if
    the rotation moves in between."""
    rules = None if rule_set is None else list(rule_set.rules.routing_order())
    batch, (router,) = _plan(
        [lead], now=now or timezone.now(), dry_run=True, source_slug=source_slug, rules=rules
    )
    decision = decision_record(router, router.place())
    decision.lead_id = lead.pk
    return decision


def lead_offer_fallback(
    *,
    lead: Lead,
    rule: RoutingRule | None,
    why: str,
    visited: tuple[int, ...] = (),
    now: datetime | None = None,
) -> Lead:
    """Place a lead whose live offer ended without a winner: the offer's rule's fallback
    (another rule — never one its way went through —, a pool, the skim queue), written and
    recorded as any routing is. `rule` None (deleted since): the team's default placement.

    Called with the lead row locked, inside the caller's transaction."""
    if lead.status != LeadState.OFFERED:
        return lead
    with transaction.atomic(savepoint=False):
        batch, routers = _plan(
            [lead],
            now=now or timezone.now(),
            dry_run=False,
            resume={"resume": rule, "resume_why": why, "resume_visited": tuple(visited)},
        )
        batch_write(batch, routers, [routers[0].place()])
    return lead


@dataclass(frozen=True)
class Reroute:
    lead: Lead
    rule_id: int | None  # the rule that placed it; None, gone or inactive: the rules now
    why: str  # leads the decision's reason ("Reassigned from Ana: no touch in 15 min")


def leads_reroute(*, reroutes: list[Reroute], now: datetime | None = None) -> list[Lead]:
    """Place untouched assigned leads, or aged pooled ones, again — each by its rule: the
    next eligible rep (never one who owned it before, the owner now included), a live
    offer, else the rule's fallback. One batch, as intake routes one: the reps' facts are
    read once for all. Written and recorded as any routing is.

    Called with the lead rows locked, inside the caller's transaction; leads no longer
    assigned or pooled are left alone."""
    todo = [r for r in reroutes if r.lead.status in (LeadState.ASSIGNED, LeadState.POOLED)]
    if not todo:
        return []
    with transaction.atomic(savepoint=False):
        batch, routers = _plan(
            [r.lead for r in todo],
            now=now or timezone.now(),
            dry_run=False,
            resumes=[{"reroute_rule_id": r.rule_id, "reroute_why": r.why} for r in todo],
        )
        batch_write(batch, routers, [router.place() for router in routers])
    return [r.lead for r in todo]


@dataclass(frozen=True)
class Recheck:
    exclusion: tuple[str, str] | None  # (code, reason), None when eligible
    day: date | None = None  # the rep's own today: the intake counter a lead counts on


def lead_offer_recheck(
    *, lead: Lead, rule: RoutingRule, rep_ids: list[int], now: datetime, lock: bool
) -> dict[int, Recheck]:
    """Each rep's exclusion from `lead` under `rule` now — the engine's own eligibility
    (rep_exclusion over the facts RepBook reads) — or None when still eligible. With
    `lock`, the profiles of the reps with a cap are locked first, as routing locks them,
    so the counts read cannot move until the caller's transaction ends (an accept)."""
    _, territories, slugs = lead_context(source_ids=[lead.source_id] if lead.source_id else [])
    snapshot = lead_snapshot(lead, slug=slugs.get(lead.source_id, ""), territories=territories)
    book = RepBook.load(
        rules=[rule],
        leads=[snapshot],
        now=now,
        lock=lock,
        only_reps=rep_ids,
        eligibility_only=True,
    )
    rows = {row.user_id: row for row in book.rows_for(rule, snapshot)}
    needs = Requirements.of(rule)
    return {
        rep_id: Recheck(rep_exclusion(rows[rep_id], lead=snapshot, needs=needs), rows[rep_id].day)
        if rep_id in rows
        else Recheck(("target", "No longer one of the rule's reps"))
        for rep_id in rep_ids
    }
