"""The routing engine: decides where a screened lead goes, and records why.

Every lead checks whether the rules changed (routing.rules), so an edit applies to the next
lead. The first active rule whose conditions match wins; nobody eligible follows the rule's
fallback; no match at all falls back to the team's default pool or its skim queue. A lead
is never left unrouted. A new kind of placement (the live offers to come: shotgun,
sequential, cascade) is a new `Placement` target state plus a branch in `Router.apply`;
the strategies, eligibility and the decision record are shared.

Locks, always in this order (so routers never deadlock each other): the lead row (taken
by the caller), the rule's rotation row (stateful methods only), then the chosen rep's
profile row, under which caps are re-read and the rep's intake counter is bumped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent, Pool
from pools.services import lead_transition

from .conditions import ConditionError, conditions_describe, conditions_match, lead_fields
from .eligibility import (
    TEMPORARY,
    RepRow,
    Requirements,
    cap_exclusion,
    lead_territories,
    periods,
    rep_exclusion,
    rep_rows_load,
)
from .facts import (
    decision_insert_sql,
    intake_bump_sql,
    lead_context,
    rep_lock_and_count,
    rotation_save_sql,
    run_batch,
    savepoint_rollback,
)
from .models import RoutingDecision, RoutingRule, RuleRotation
from .rules import active_rules
from .strategies import STRATEGIES, LeadSnapshot, Options

STATEFUL = frozenset({RoutingRule.Method.ROUND_ROBIN, RoutingRule.Method.WEIGHTED})

RESERVE_SAVEPOINT = "routing_reserve"


@dataclass
class Placement:
    to: str
    reason: str
    rule: RoutingRule | None = None
    owner_id: int | None = None
    pool: Pool | None = None
    team_id: int | None = None


@dataclass
class Router:
    lead: Lead
    now: datetime
    dry_run: bool = False
    source_slug: str | None = None  # for unsaved leads pasted in the admin
    trace: dict = field(default_factory=lambda: {"rules": [], "steps": []})
    # Writes that wait for the choice, sent together in one round trip.
    pending: list = field(default_factory=list)

    def __post_init__(self):
        self.rules_version, territories, slug = lead_context(source_id=self.lead.source_id)
        fields = lead_fields(self.lead, source_slug=self.source_slug
                             if self.source_slug is not None else slug)
        self.snapshot = LeadSnapshot(id=self.lead.pk, fields=fields,
                                     estimated_value=self.lead.estimated_value,
                                     territories=lead_territories(fields, territories))
        self.trace["territories"] = sorted(self.snapshot.territories)

    def run(self) -> Placement:
        rules = active_rules(version=self.rules_version)
        self.rules_by_id = {r.pk: r for r in rules}
        for rule in rules:
            try:
                matched = conditions_match(rule.conditions, self.snapshot.fields)
            except (ConditionError, KeyError, TypeError) as exc:
                self.trace["rules"].append({"id": rule.pk, "name": rule.name, "matched": False,
                                            "error": str(exc)})
                continue
            self.trace["rules"].append({"id": rule.pk, "name": rule.name, "matched": matched,
                                        "when": conditions_describe(rule.conditions)})
            if matched:
                return self.apply(rule, visited=set())
        return self.default_placement("No rule matched")

    # -- placements ---------------------------------------------------------------------

    def default_placement(self, why: str, team_id: int | None = None) -> Placement:
        team_id = team_id or self.lead.team_id
        pool = Pool.objects.filter(team_id=team_id, is_team_default=True,
                                   is_active=True).first() if team_id else None
        if pool is not None:
            return Placement(LeadState.POOLED, f"{why}: team default pool {pool}", pool=pool,
                             team_id=team_id)
        return Placement(LeadState.SKIMMING, f"{why}: manager's skim queue", team_id=team_id)

    def apply(self, rule: RoutingRule, *, visited: set) -> Placement:
        visited.add(rule.pk)
        step = {"rule": rule.pk, "name": rule.name, "action": rule.action,
                "method": rule.method if rule.action == RoutingRule.Action.ASSIGN else ""}
        self.trace["steps"].append(step)
        pool = _active_pool(rule.pool_id) if rule.action == RoutingRule.Action.POOL else None
        if pool is not None:
            step["result"] = f"pool {pool}"
            return Placement(LeadState.POOLED, f"Rule “{rule.name}”: pool {pool}",
                             rule=rule, pool=pool, team_id=rule.team_id or pool.team_id)
        if rule.action == RoutingRule.Action.SKIM:
            step["result"] = "skim queue"
            return Placement(LeadState.SKIMMING, f"Rule “{rule.name}”: manager's skim queue",
                             rule=rule, team_id=rule.team_id)
        if rule.action == RoutingRule.Action.POOL:
            step["result"] = "pool missing or inactive"
        else:
            placement = self.assign(rule, step)
            if placement is not None:
                return placement
        return self.fallback(rule, visited)

    def fallback(self, rule: RoutingRule, visited: set) -> Placement:
        why = f"Rule “{rule.name}”: nobody eligible"
        if rule.fallback == RoutingRule.Fallback.RULE and rule.fallback_rule_id:
            nxt = self.rules_by_id.get(rule.fallback_rule_id)
            if nxt is not None and nxt.pk not in visited:
                self.trace["steps"][-1]["fallback"] = f"rule {nxt.name}"
                return self.apply(nxt, visited=visited)
        pool = (_active_pool(rule.fallback_pool_id)
                if rule.fallback == RoutingRule.Fallback.POOL else None)
        if pool is not None:
            self.trace["steps"][-1]["fallback"] = f"pool {pool}"
            return Placement(LeadState.POOLED, f"{why}; fallback pool {pool}", rule=rule,
                             pool=pool, team_id=rule.team_id or pool.team_id)
        self.trace["steps"][-1]["fallback"] = "skim queue"
        return Placement(LeadState.SKIMMING, f"{why}; fallback to the manager's skim queue",
                         rule=rule, team_id=rule.team_id)

    # -- assignment ---------------------------------------------------------------------

    def assign(self, rule: RoutingRule, step: dict) -> Placement | None:
        stateful = rule.method in STATEFUL
        rows, state = rep_rows_load(rule=rule, lead=self.snapshot, now=self.now,
                                    rotation=stateful, lock=not self.dry_run)
        if stateful and state is None:  # rule saved without its rotation row (rare)
            state = self.rotation_create_and_lock(rule)
        state = state or {}
        needs = Requirements.of(rule)
        verdicts, eligible, unavailable = {}, [], set()
        for row in rows:
            excluded = rep_exclusion(row, lead=self.snapshot, needs=needs)
            verdicts[row.user_id] = {"rep": row.user_id, "name": row.name,
                                     "eligible": excluded is None,
                                     "code": excluded[0] if excluded else "",
                                     "reason": excluded[1] if excluded else "Eligible",
                                     "open": row.open_leads, "today": row.today}
            if excluded is None:
                eligible.append(row.candidate())
            elif excluded[0] in TEMPORARY:
                unavailable.add(row.user_id)
        options = Options(
            keep_turn=rule.keep_turn, min_sample=rule.performance_min_sample,
            value_tiers=tuple(rule.value_tiers or ()), direct_rep_id=rule.direct_rep_id)
        roster = [row.user_id for row in rows]
        capped = {row.user_id: any(v is not None for v in row.caps.values()) for row in rows}
        choose = STRATEGIES[rule.method]
        step.update(candidates=list(verdicts.values()), state_before=state)
        while True:
            choice = choose(lead=self.snapshot, eligible=eligible, roster=roster,
                            unavailable=frozenset(unavailable), state=state, options=options)
            if choice.rep_id is None:
                step.update(result=choice.reason, state_after=state)
                return None
            refused = None if self.dry_run else self.reserve(choice.rep_id,
                                                             capped=capped[choice.rep_id])
            if refused is None:
                break
            # A parallel router took the rep's last slot: exclude and ask again.
            verdicts[choice.rep_id].update(eligible=False, code=refused[0],
                                           reason=f"{refused[1]} (re-checked under lock)")
            eligible = [c for c in eligible if c.rep_id != choice.rep_id]
        winner = verdicts[choice.rep_id]
        winner["winner"] = True
        step.update(result=choice.reason, winner=choice.rep_id, state_after=choice.state)
        if stateful and not self.dry_run:
            self.pending.append(rotation_save_sql(rule_id=rule.pk, state=choice.state,
                                                  at=self.now))
        row = next(r for r in rows if r.user_id == choice.rep_id)
        return Placement(LeadState.ASSIGNED, f"Rule “{rule.name}”: {choice.reason}", rule=rule,
                         owner_id=choice.rep_id,
                         team_id=rule.team_id or row.team_id)

    def rotation_create_and_lock(self, rule: RoutingRule) -> dict:
        RuleRotation.objects.bulk_create([RuleRotation(rule=rule)], ignore_conflicts=True)
        qs = RuleRotation.objects.filter(rule=rule)
        rotation = (qs if self.dry_run else qs.select_for_update()).first()
        return rotation.state if rotation else {}

    def reserve(self, rep_id: int, *, capped: bool) -> tuple[str, str] | None:
        """Lock the rep's profile, re-read their caps, and count the lead against them.

        Under the lock no other router can count a lead for this rep until we commit, so
        a cap can never be overshot by parallel routers. For a rep with caps the lock is
        taken inside a savepoint, rolled back on refusal: a refused rep's lock is released
        at once, so a router never holds one rep's lock while waiting for another's (two
        routers each refused by the other's rep would deadlock). A rep without caps
        cannot be refused, so no savepoint is spent."""
        today, week, month = periods(self.now)
        savepoint = RESERVE_SAVEPOINT if capped else None
        locked = rep_lock_and_count(user_id=rep_id, today=today, week=week, month=month,
                                    savepoint=savepoint)
        refused = ("missing", "Rep profile deleted") if locked is None else cap_exclusion(
            RepRow(user_id=rep_id, name="", caps=locked["caps"], today=locked["today"],
                   week=locked["week"], month=locked["month"],
                   untouched=locked["untouched"]))
        if refused:
            if savepoint:
                savepoint_rollback(savepoint)
            return refused
        # Written in one batch with the rotation (flush_writes); the lock is held
        # until commit either way.
        if savepoint:
            self.pending.append((f"RELEASE SAVEPOINT {savepoint}", []))
        self.pending.append(intake_bump_sql(user_id=rep_id, day=today, at=self.now))
        return None

    def flush_writes(self) -> None:
        if self.pending:
            run_batch(self.pending)
            self.pending = []


def _active_pool(pool_id: int | None) -> Pool | None:
    return Pool.objects.filter(pk=pool_id, is_active=True).first() if pool_id else None


def _decision(router: Router, placement: Placement, started: float) -> RoutingDecision:
    outcome = {LeadState.ASSIGNED: RoutingDecision.Outcome.ASSIGNED,
               LeadState.POOLED: RoutingDecision.Outcome.POOLED}.get(
        placement.to, RoutingDecision.Outcome.SKIMMING)
    rule = placement.rule
    return RoutingDecision(
        lead=router.lead, rule=rule, rule_name=rule.name if rule else "",
        method=rule.method if rule and outcome == RoutingDecision.Outcome.ASSIGNED else "",
        outcome=outcome, winner_id=placement.owner_id, pool=placement.pool,
        reason=placement.reason[:500], details=router.trace,
        duration_ms=round((time.perf_counter() - started) * 1000, 3), created_at=router.now)


def lead_route(*, lead: Lead, now: datetime | None = None) -> Lead:
    """Place a `screened` lead; a lead in any other state is left alone (idempotent).

    Called with the lead row locked (routing.tasks.lead_intake), so a task run twice
    routes the lead once: the second run finds it no longer `screened`.
    """
    if lead.status != LeadState.SCREENED:
        return lead
    started = time.perf_counter()
    # No savepoint of our own: the caller's transaction (lead row locked) is the unit.
    with transaction.atomic(savepoint=False):
        router = Router(lead=lead, now=now or timezone.now())
        placement = router.run()
        team_id = placement.team_id
        extra = {"team_id": team_id} if team_id and not lead.team_id else {}
        # A key-only stand-in saves a query; the cached relation is dropped afterwards so
        # `lead.owner` loads the real user if anyone asks.
        owner = get_user_model()(pk=placement.owner_id) if placement.owner_id else None
        lead_transition(lead=lead, to=placement.to, owner=owner,
                        pool=placement.pool, kind=LeadEvent.Kind.ROUTED,
                        reason=placement.reason[:500], extra=extra,
                        data={"rule": placement.rule.pk if placement.rule else None})
        if owner is not None:
            Lead.owner.field.delete_cached_value(lead)
        # The counter, the rotation and the decision go together in one round trip, after
        # the move succeeded (a LeadChanged above rolls everything back anyway).
        router.pending.append(decision_insert_sql(_decision(router, placement, started)))
        router.flush_writes()
    return lead


def lead_route_preview(*, lead: Lead, now: datetime | None = None,
                       source_slug: str | None = None) -> RoutingDecision:
    """Which rule matches and who would get the lead, writing nothing (the "Test a lead"
    page). The lead may be unsaved (pasted fields). Nothing is locked or counted, so a
    preview can differ from the real run if the rotation moves in between."""
    started = time.perf_counter()
    router = Router(lead=lead, now=now or timezone.now(), dry_run=True, source_slug=source_slug)
    placement = router.run()
    decision = _decision(router, placement, started)
    decision.lead_id = lead.pk
    return decision
