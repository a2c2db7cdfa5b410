"""The router: one lead's way through the rules, and the trace its decision record keeps.

The first active rule whose conditions match wins; nobody eligible follows the rule's
fallback; no match at all falls back to the team's default pool or its skim queue. A lead
is never left unrouted. A live offer ("Offer live") is the `offered` placement with a plan
from an offer method (routing.offers.methods) over the same eligible candidates, narrowed
to reps online; when its plan runs out, `lead_offer_fallback` (routing.engine.services)
resumes here at the rule's fallback. A batch (`Batch`) holds what its leads share: the
rules, the reps' facts (routing.engine.book), the pools; the entry points that plan,
place and write a batch are in routing.engine.services.

Locks, always in this order (so routers never deadlock each other): the lead rows (taken
by the caller), the rules' rotation rows (by rule id), then the profiles of the reps with
a cap or in a rule that picks by counts (by id, in one statement), under which their
counts are read (routing.engine.book). Live offers put their offer row before all of these
(routing.offers.services). One engine call per transaction keeps that order: two calls
would lock two sets of profiles, each in order but not together.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from pools.lifecycle import LeadState
from pools.models import Lead, Pool
from pools.screening.conditions import ConditionError, conditions_match, lead_fields

from ..live.presence import users_online
from ..models import RoutingRule
from ..offers.methods import OFFER_METHODS, OfferOptions, OfferPlan
from ..rules.conditions import conditions_describe
from ..strategies import STRATEGIES, LeadSnapshot, Options
from ..strategies.quota_fill import behind_most, standing_label
from .book import RepBook, is_stateful
from .eligibility import TEMPORARY, Requirements, lead_territories, rep_exclusion


def lead_snapshot(lead: Lead, *, slug: str, territories: list[dict]) -> LeadSnapshot:
    """The lead as strategies and eligibility read it."""
    fields = lead_fields(lead, source_slug=slug)
    return LeadSnapshot(
        id=lead.pk,
        fields=fields,
        estimated_value=lead.estimated_value,
        territories=lead_territories(fields, territories),
    )


@dataclass
class Placement:
    to: str
    reason: str
    rule: RoutingRule | None = None
    owner_id: int | None = None
    pool: Pool | None = None
    team_id: int | None = None
    offer: OfferPlan | None = None  # for `offered`: the plan whose first step opens now
    visited: tuple[int, ...] = ()  # rules this lead's way went through (an offer keeps it)


@dataclass
class Batch:
    """What the leads of one batch share: the time, the rules, the reps' book, pools."""

    now: datetime
    rules: list[RoutingRule]
    territories: list[dict]
    slugs: dict[int, str]
    dry_run: bool = False
    book: RepBook | None = None
    rotated: set = field(default_factory=set)  # rule ids whose rotation state moved
    reads_seconds: float = 0.0  # the reads every lead of the batch waited for
    _pools: dict = field(default_factory=dict)
    _online: frozenset[int] | None = None

    def __post_init__(self):
        self.rules_by_id = {r.pk: r for r in self.rules}

    def reachable(self, matched: list[RoutingRule]) -> list[RoutingRule]:
        """The matched rules and every rule their fallbacks lead to, in priority order."""
        seen = {}
        for rule in matched:
            while rule is not None and rule.pk not in seen:
                seen[rule.pk] = rule
                rule = (
                    self.rules_by_id.get(rule.fallback_rule_id)
                    if rule.fallback == RoutingRule.Fallback.RULE
                    else None
                )
        return [r for r in self.rules if r.pk in seen]

    def active_pool(self, pool_id: int | None) -> Pool | None:
        if not pool_id:
            return None
        if ("pool", pool_id) not in self._pools:
            self._pools["pool", pool_id] = Pool.objects.filter(pk=pool_id, is_active=True).first()
        return self._pools["pool", pool_id]

    def online(self) -> frozenset[int]:
        """Reps online now (routing.live.presence), read once per batch, when an offer
        first asks."""
        if self._online is None:
            self._online = (
                users_online(user_ids=sorted(self.book.rows)) if self.book else frozenset()
            )
        return self._online

    def team_default_pool(self, team_id: int) -> Pool | None:
        if ("team", team_id) not in self._pools:
            self._pools["team", team_id] = Pool.objects.filter(
                team_id=team_id, is_team_default=True, is_active=True
            ).first()
        return self._pools["team", team_id]


@dataclass
class Router:
    """One lead's way through the rules, and the trace the decision record keeps."""

    lead: Lead
    batch: Batch
    source_slug: str | None = None  # for unsaved leads pasted in the admin
    trace: dict = field(default_factory=lambda: {"rules": [], "steps": []})
    matched: RoutingRule | None = None
    # A lead whose live offer ended: no matching; it resumes at this rule's fallback,
    # not going back to rules its way has been through.
    resume: RoutingRule | None = None
    resume_why: str = ""
    resume_visited: tuple[int, ...] = ()
    # A lead escalation takes back (routing.escalation): routed again by this rule (its
    # original one; gone or inactive: the rules as they match now), its former owners
    # excluded as for any lead (RepBook marks them), the reason leading with why.
    reroute_rule_id: int | None = None
    reroute_why: str = ""

    def __post_init__(self):
        self.started = time.perf_counter()
        self.now = self.batch.now
        self.dry_run = self.batch.dry_run
        slug = (
            self.source_slug
            if self.source_slug is not None
            else self.batch.slugs.get(self.lead.source_id, "")
        )
        self.snapshot = lead_snapshot(self.lead, slug=slug, territories=self.batch.territories)
        self.trace["territories"] = sorted(self.snapshot.territories)
        if self.resume_why:
            self.matched = self.resume
        elif self.reroute_why and self.reroute_rule_id in self.batch.rules_by_id:
            self.matched = self.batch.rules_by_id[self.reroute_rule_id]
        else:
            self.matched = self.match()
        self.elapsed = time.perf_counter() - self.started

    def match(self) -> RoutingRule | None:
        for rule in self.batch.rules:
            try:
                matched = conditions_match(rule.conditions, self.snapshot.fields)
            except (ConditionError, KeyError, TypeError) as exc:
                self.trace["rules"].append(
                    {"id": rule.pk, "name": rule.name, "matched": False, "error": str(exc)}
                )
                continue
            self.trace["rules"].append(
                {
                    "id": rule.pk,
                    "name": rule.name,
                    "matched": matched,
                    "when": conditions_describe(rule.conditions),
                }
            )
            if matched:
                return rule
        return None

    def place(self) -> Placement:
        started = time.perf_counter()
        if self.resume_why and self.resume is None:  # the offer's rule was deleted since
            placement = self.default_placement(f"The offer's rule is gone; {self.resume_why}")
        elif self.resume is not None:
            rule = self.resume
            self.trace["steps"].append(
                {
                    "rule": rule.pk,
                    "name": rule.name,
                    "action": rule.action,
                    "result": self.resume_why,
                }
            )
            placement = self.fallback(rule, set(self.resume_visited) | {rule.pk})
        elif self.reroute_why:
            placement = (
                self.apply(self.matched, visited=set())
                if self.matched is not None
                else self.default_placement("No rule matched")
            )
            if placement.to == LeadState.POOLED and self.lead.status == LeadState.POOLED:
                # An aged pooled lead the rule would only pool again: a manager decides.
                placement = Placement(
                    LeadState.SKIMMING,
                    f"{placement.reason}; already pooled: manager's skim queue",
                    rule=placement.rule,
                    team_id=placement.team_id,
                )
            placement.reason = f"{self.reroute_why}; {placement.reason}"
        elif self.lead.review_reason:
            # Held at capture (e.g. a web form sent faster than a person types): a manager
            # looks before any rep spends time on it, whatever the rules say.
            placement = Placement(
                LeadState.SKIMMING,
                f"{self.lead.review_reason}: held in the manager's skim queue for review",
                team_id=self.lead.team_id,
            )
        elif self.matched is None:
            placement = self.default_placement("No rule matched")
        else:
            placement = self.apply(self.matched, visited=set())
        self.elapsed += time.perf_counter() - started
        return placement

    # -- placements ---------------------------------------------------------------------

    def default_placement(self, why: str, team_id: int | None = None) -> Placement:
        team_id = team_id or self.lead.team_id
        pool = self.batch.team_default_pool(team_id) if team_id else None
        if pool is not None:
            return Placement(
                LeadState.POOLED, f"{why}: team default pool {pool}", pool=pool, team_id=team_id
            )
        return Placement(LeadState.SKIMMING, f"{why}: manager's skim queue", team_id=team_id)

    def apply(self, rule: RoutingRule, *, visited: set) -> Placement:
        visited.add(rule.pk)
        step = {
            "rule": rule.pk,
            "name": rule.name,
            "action": rule.action,
            "method": rule.assign_method
            or (rule.offer_method if rule.action == RoutingRule.Action.OFFER else ""),
        }
        self.trace["steps"].append(step)
        pool = (
            self.batch.active_pool(rule.pool_id) if rule.action == RoutingRule.Action.POOL else None
        )
        if pool is not None:
            step["result"] = f"pool {pool}"
            return Placement(
                LeadState.POOLED,
                f"Rule “{rule.name}”: pool {pool}",
                rule=rule,
                pool=pool,
                team_id=rule.team_id or pool.team_id,
            )
        if rule.action == RoutingRule.Action.SKIM:
            step["result"] = "skim queue"
            return Placement(
                LeadState.SKIMMING,
                f"Rule “{rule.name}”: manager's skim queue",
                rule=rule,
                team_id=rule.team_id,
            )
        if rule.action == RoutingRule.Action.POOL:
            step["result"] = "pool missing or inactive"
        else:
            offer = rule.action == RoutingRule.Action.OFFER
            placement = self.offer(rule, step, visited) if offer else self.assign(rule, step)
            if placement is not None:
                return placement
        return self.fallback(rule, visited)

    def fallback(self, rule: RoutingRule, visited: set) -> Placement:
        why = f"Rule “{rule.name}”: " + (
            self.resume_why if rule is self.resume else "nobody eligible"
        )
        skipped = ""  # why a fallback rule was not followed: said, not silently passed
        if rule.fallback == RoutingRule.Fallback.RULE:
            nxt = self.batch.rules_by_id.get(rule.fallback_rule_id)
            if nxt is not None and nxt.pk not in visited:
                self.trace["steps"][-1]["fallback"] = f"rule {nxt.name}"
                return self.apply(nxt, visited=visited)
            if nxt is not None:
                skipped = f" (its fallback “{nxt.name}” was tried already: the fallbacks loop)"
            elif rule.fallback_rule_id:
                skipped = " (its fallback rule is not among the active rules)"
            else:
                skipped = " (its fallback rule was deleted)"
        pool = (
            self.batch.active_pool(rule.fallback_pool_id)
            if rule.fallback == RoutingRule.Fallback.POOL
            else None
        )
        if pool is not None:
            self.trace["steps"][-1]["fallback"] = f"pool {pool}"
            return Placement(
                LeadState.POOLED,
                f"{why}; fallback pool {pool}",
                rule=rule,
                pool=pool,
                team_id=rule.team_id or pool.team_id,
            )
        self.trace["steps"][-1]["fallback"] = f"skim queue{skipped}"
        return Placement(
            LeadState.SKIMMING,
            f"{why}; fallback to the manager's skim queue{skipped}",
            rule=rule,
            team_id=rule.team_id,
        )

    # -- assignment ---------------------------------------------------------------------

    def candidates(self, rule: RoutingRule) -> tuple[dict, list, set, list]:
        """Every rep of the rule judged by the one eligibility (rep_exclusion): the
        verdicts the record keeps, the eligible candidates, the reps only temporarily
        away, and the rows in roster order."""
        rows = self.batch.book.rows_for(rule, self.snapshot)
        needs = Requirements.of(rule)
        fills_quotas = rule.assign_method == RoutingRule.Method.QUOTA_FILL
        verdicts, eligible, unavailable = {}, [], set()
        for row in rows:
            excluded = rep_exclusion(row, lead=self.snapshot, needs=needs)
            eligible_why = "Eligible"
            if fills_quotas:  # where quota fill ranks them, for the record
                standing = behind_most(row.candidate())
                eligible_why += (
                    f" · lead quota {standing_label(standing)}"
                    if standing
                    else " · no lead quota (counts as on target)"
                )
            verdicts[row.user_id] = {
                "rep": row.user_id,
                "name": row.name,
                "eligible": excluded is None,
                "code": excluded[0] if excluded else "",
                "reason": excluded[1] if excluded else eligible_why,
                "open": row.open_leads,
                "today": row.today,
            }
            if excluded is None:
                eligible.append(row.candidate())
            elif excluded[0] in TEMPORARY:
                unavailable.add(row.user_id)
        return verdicts, eligible, unavailable, rows

    def assign(self, rule: RoutingRule, step: dict) -> Placement | None:
        stateful = is_stateful(rule)
        book = self.batch.book
        state = book.rotations.get(rule.pk, {}) if stateful else {}
        verdicts, eligible, unavailable, rows = self.candidates(rule)
        options = assign_options(rule)
        step.update(candidates=list(verdicts.values()), state_before=state)
        choice = STRATEGIES[rule.method](
            lead=self.snapshot,
            eligible=eligible,
            roster=[row.user_id for row in rows],
            unavailable=frozenset(unavailable),
            state=state,
            options=options,
        )
        if choice.rep_id is None:
            step.update(result=choice.reason, state_after=state)
            return None
        verdicts[choice.rep_id]["winner"] = True
        step.update(result=choice.reason, winner=choice.rep_id, state_after=choice.state)
        if not self.dry_run:
            book.count(choice.rep_id)
            if stateful:
                book.rotations[rule.pk] = choice.state
                self.batch.rotated.add(rule.pk)
        return Placement(
            LeadState.ASSIGNED,
            f"Rule “{rule.name}”: {choice.reason}",
            rule=rule,
            owner_id=choice.rep_id,
            team_id=rule.team_id or book.rows[choice.rep_id].team_id,
        )

    def offer(self, rule: RoutingRule, step: dict, visited: set) -> Placement | None:
        """A live offer to the eligible reps who are online, planned by the rule's offer
        method; None (the fallback) when nobody is both."""
        stateful = is_stateful(rule)
        book = self.batch.book
        state = book.rotations.get(rule.pk, {}) if stateful else {}
        verdicts, eligible, _, rows = self.candidates(rule)
        online = self.batch.online()
        reachable = []
        for candidate in eligible:
            if candidate.rep_id in online:
                reachable.append(candidate)
            else:
                verdicts[candidate.rep_id].update(
                    eligible=False, code="offline", reason="Offline (no LeadRoute page open)"
                )
        step.update(candidates=list(verdicts.values()), state_before=state)
        plan = OFFER_METHODS[rule.offer_method](
            lead=self.snapshot,
            eligible=reachable,
            roster=[row.user_id for row in rows],
            state=state,
            options=offer_options(rule),
        )
        # "Test a lead" shows who, in which order, for how long.
        step["plan"] = [s.as_dict() for s in plan.steps]
        if not plan.steps:
            step.update(result=plan.reason, state_after=state)
            return None
        step.update(result=plan.reason, state_after=plan.state)
        if not self.dry_run and stateful:
            book.rotations[rule.pk] = plan.state
            self.batch.rotated.add(rule.pk)
        return Placement(
            LeadState.OFFERED,
            f"Rule “{rule.name}”: {plan.reason}",
            rule=rule,
            team_id=rule.team_id or self.lead.team_id,
            offer=plan,
            visited=tuple(sorted(visited)),
        )


def assign_options(rule: RoutingRule) -> Options:
    return Options(
        keep_turn=rule.keep_turn,
        min_sample=rule.performance_min_sample,
        value_tiers=tuple(rule.value_tiers or ()),
        direct_rep_id=rule.direct_rep_id,
    )


def offer_options(rule: RoutingRule) -> OfferOptions:
    return OfferOptions(
        seconds=rule.offer_seconds,
        passes=rule.offer_passes,
        shark_size=rule.offer_shark_size,
        waves=rule.offer_waves,
        min_sample=rule.performance_min_sample,
    )
