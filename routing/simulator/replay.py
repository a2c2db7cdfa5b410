"""Replay: the leads that arrived in a period, routed again in arrival order by a rule set
(live or draft) — the engine's own Router, strategies and eligibility over a virtual book
(routing.simulator.book) — writing nothing: no lead, decision, event, counter or pointer.

Each lead is routed at its arrival moment; the book advances to it first (touches and
closes due, each rep's local day, hours and absence), and the placement counts in memory
only, so the next lead sees the turn taken and the cap filled, as routing would.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef

from pools.lifecycle import LeadState
from pools.models import Lead

from ..engine.facts import lead_context
from ..engine.router import Router
from ..models import RoutingDecision, RuleSet
from .book import ASSUMPTIONS, ReplayBatch, VirtualBook

CAP_CODES = frozenset({"cap_day", "cap_week", "cap_month", "untouched"})
PROGRESS_EVERY = 500


@dataclass(frozen=True)
class ReplayedLead:
    lead_id: int
    at: datetime
    to: str  # assigned, pooled, skimming (skim queue) or offered
    rep_id: int | None
    pool_id: int | None
    rule_id: int | None
    rule_name: str
    reason: str
    fallback: bool  # a rule's fallback placed it (another rule, a pool, the skim queue)
    nobody: bool  # no rep could take it: it ended in a queue through a fallback
    capped: tuple[int, ...]  # reps left out by a cap
    recorded_to: str  # what the first recorded decision did ("" when none)
    recorded_rep_id: int | None


@dataclass
class Replay:
    rule_set_id: int
    start: datetime
    end: datetime
    team_id: int | None
    leads: list[ReplayedLead] = field(default_factory=list)
    assumptions: tuple[str, ...] = ASSUMPTIONS
    seconds: float = 0.0

    @property
    def per_rep(self) -> Counter:
        return Counter(r.rep_id for r in self.leads if r.to == LeadState.ASSIGNED)

    @property
    def cap_hits(self) -> Counter:
        """Rep -> leads they were left out of by a cap."""
        return Counter(rep for r in self.leads for rep in r.capped)

    @property
    def outcomes(self) -> Counter:
        return Counter(r.to for r in self.leads)

    @property
    def pools(self) -> Counter:
        return Counter(r.pool_id for r in self.leads if r.to == LeadState.POOLED)

    @property
    def fallbacks(self) -> int:
        return sum(r.fallback for r in self.leads)

    @property
    def nobody(self) -> int:
        return sum(r.nobody for r in self.leads)

    @property
    def same_as_recorded(self) -> int:
        return sum(r.to == r.recorded_to and r.rep_id == r.recorded_rep_id for r in self.leads)


def replay_leads(*, start: datetime, end: datetime, team_id: int | None = None):
    """The leads routed on arrival in [start, end), in arrival order (the team's: those
    whose team it is)."""
    leads = Lead.objects.filter(created_at__gte=start, created_at__lt=end).filter(
        Exists(RoutingDecision.objects.filter(lead=OuterRef("pk")))
    )
    if team_id is not None:
        leads = leads.filter(team_id=team_id)
    return leads.order_by("created_at", "id")


def rule_set_replay(
    *,
    rule_set: RuleSet,
    start: datetime,
    end: datetime,
    team_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Replay:
    """Route the period's leads again by `rule_set`; see the module docstring. `progress`
    hears (done, total) every PROGRESS_EVERY leads."""
    started = time.perf_counter()
    leads = list(replay_leads(start=start, end=end, team_id=team_id))
    recorded = _recorded(leads)
    _, territories, slugs = lead_context(
        source_ids=sorted({lead.source_id for lead in leads if lead.source_id})
    )
    rules = list(rule_set.rules.routing_order())
    batch = ReplayBatch(now=start, rules=rules, territories=territories, slugs=slugs)
    book = VirtualBook.seed(
        rules=[r for r in rules if r.picks_reps],
        territory_ids=[t["id"] for t in territories],
        start=start,
    )
    batch.book = book
    result = Replay(rule_set_id=rule_set.pk, start=start, end=end, team_id=team_id)
    for done, lead in enumerate(leads, start=1):
        batch.now = lead.created_at
        book.advance(lead.created_at)
        book.placing = lead
        router = Router(lead=lead, batch=batch)
        placement = router.place()
        steps = router.trace["steps"]
        fell_back = any("fallback" in s for s in steps)
        real_to, real_rep = recorded.get(lead.pk, ("", None))
        result.leads.append(
            ReplayedLead(
                lead_id=lead.pk,
                at=lead.created_at,
                to=placement.to,
                rep_id=placement.owner_id,
                pool_id=placement.pool.pk if placement.pool else None,
                rule_id=placement.rule.pk if placement.rule else None,
                rule_name=placement.rule.name if placement.rule else "",
                reason=placement.reason,
                fallback=fell_back,
                nobody=fell_back and placement.to not in (LeadState.ASSIGNED, LeadState.OFFERED),
                capped=tuple(
                    sorted(
                        {
                            c["rep"]
                            for s in steps
                            for c in s.get("candidates", ())
                            if c["code"] in CAP_CODES
                        }
                    )
                ),
                recorded_to=real_to,
                recorded_rep_id=real_rep,
            )
        )
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(leads)):
            progress(done, len(leads))
    result.seconds = time.perf_counter() - started
    return result


def _recorded(leads: list[Lead]) -> dict[int, tuple[str, int | None]]:
    """Each lead's first decision (its routing on arrival): where it went, to whom."""
    outcome_to = {
        RoutingDecision.Outcome.ASSIGNED: LeadState.ASSIGNED,
        RoutingDecision.Outcome.POOLED: LeadState.POOLED,
        RoutingDecision.Outcome.SKIMMING: LeadState.SKIMMING,
        RoutingDecision.Outcome.OFFERED: LeadState.OFFERED,
    }
    found = {}
    ids = [lead.pk for lead in leads]
    for chunk in range(0, len(ids), 5000):
        rows = (
            RoutingDecision.objects.filter(lead_id__in=ids[chunk : chunk + 5000])
            .order_by("lead_id", "created_at", "id")
            .distinct("lead_id")
            .values_list("lead_id", "outcome", "winner_id")
        )
        for lead_id, outcome, winner_id in rows:
            found[lead_id] = (str(outcome_to[outcome]), winner_id)
    return found
