"""Which reps a manager should give a lead to, ranked, each with the reasons.

Nothing here decides eligibility or order: the engine does, in preview. The lead is
matched against the active rules as routing would match it (routing.engine.router.Router);
the rule that assigns it — else a stand-in rule "the lead's team, load balanced" for a
lead no assigning rule matches (a skim rule, a pool rule) — brings its roster, its
requirements and its method. RepBook reads the reps' facts (no locks), `Router.candidates`
judges each rep with the one `rep_exclusion`, and the rule's strategy ranks the eligible
ones by choosing again and again, each time without the reps already chosen: first is
exactly who routing would pick now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import RepProfile
from pools.models import Lead

from ..engine.book import RepBook, rule_method
from ..engine.eligibility import performance_counts
from ..engine.facts import lead_context
from ..engine.router import Batch, Router, assign_options
from ..models import RoutingRule
from ..rules.cache import active_rules
from ..strategies import STRATEGIES
from ..strategies.skills import skill_score

# Conversion shown beside each rep when the rule does not rank by it (a window people read).
CONVERSION_WINDOW_DAYS = 90
STAND_IN_NAME = "The lead's team, load balanced"
AFTER = "With those above out — "


@dataclass
class Suggestion:
    rep_id: int
    name: str
    eligible: bool
    code: str  # the engine's exclusion code, "" when eligible
    reason: str  # why the strategy ranks them here, or why they are excluded
    rank: int | None = None  # 1-based among the eligible
    territory_match: bool = False
    skills: list[str] = field(default_factory=list)  # criteria the rep covers
    today: int = 0
    cap_today: int | None = None
    open_leads: int = 0
    untouched: int = 0
    won: int = 0
    closed: int = 0
    availability: str = ""
    at_work: bool = True
    local_time: datetime | None = None

    @property
    def capacity_left(self) -> int | None:
        return None if self.cap_today is None else max(self.cap_today - self.today, 0)

    @property
    def conversion(self) -> float | None:
        return self.won / self.closed if self.closed else None


@dataclass
class Suggestions:
    rule_name: str  # whose roster and method ranked the reps
    method: str
    reps: list[Suggestion]  # the eligible in rank order, then the excluded

    def get(self, rep_id: int) -> Suggestion | None:
        return next((s for s in self.reps if s.rep_id == rep_id), None)


def desk_rule(*, lead: Lead, matched: RoutingRule | None) -> RoutingRule:
    """The rule whose reps and method suggest owners for `lead`: the assigning rule it
    matches, else the stand-in (unsaved; id 0 keys its roster in the book). A matched rule
    of another team is no help: the desk moves a lead of a team within its team's reps
    (`lead_suggestions` also drops a rule's reps of other teams)."""
    if (
        matched is not None
        and matched.action == RoutingRule.Action.ASSIGN
        and (lead.team_id is None or matched.team_id in (None, lead.team_id))
    ):
        return matched
    return RoutingRule(
        pk=0,
        name=STAND_IN_NAME,
        action=RoutingRule.Action.ASSIGN,
        method=RoutingRule.Method.LOAD_BALANCED,
        target=RoutingRule.Target.TEAM,
        team_id=lead.team_id,
    )


def lead_suggestions(
    *, lead: Lead, now: datetime | None = None, only_reps: list[int] | None = None
) -> Suggestions:
    """The ranked reps for `lead` at `now`, in a constant number of queries whatever the
    number of reps. `only_reps` narrows it to those reps (a hand-assign's check of one)."""
    now = now or timezone.now()
    version, territories, slugs = lead_context(
        source_ids=[lead.source_id] if lead.source_id else []
    )
    batch = Batch(
        now=now,
        rules=active_rules(version=version),
        territories=territories,
        slugs=slugs,
        dry_run=True,
    )
    router = Router(lead=lead, batch=batch)
    rule = desk_rule(lead=lead, matched=router.matched)
    batch.book = RepBook.load(
        rules=[rule], leads=[router.snapshot], now=now, lock=False, only_reps=only_reps
    )
    verdicts, eligible, unavailable, rows = router.candidates(rule)
    if lead.team_id is not None:
        # The desk moves a lead within its team: a rule's reps of other teams (a listed
        # rep, a territory's) are no one its managers may give it to.
        rows = [r for r in rows if r.team_id == lead.team_id]
        mine = {r.user_id for r in rows}
        eligible = [c for c in eligible if c.rep_id in mine]
    ranked = _ranked(router, rule, eligible, unavailable, [r.user_id for r in rows])
    return Suggestions(
        rule_name=rule.name,
        method=RoutingRule.Method(rule_method(rule)).label,
        reps=_suggestions(router, rows, verdicts, ranked, now),
    )


def _ranked(router: Router, rule, eligible, unavailable, roster) -> list[tuple[int, str]]:
    """The strategy's choice, then its choice without that rep, and so on. A reason after
    the first says so: each was "next in turn" only once those above were out."""
    strategy = STRATEGIES[rule.method]
    state = router.batch.book.rotations.get(rule.pk, {})
    options = assign_options(rule)
    left, ranked = list(eligible), []
    while left:
        choice = strategy(
            lead=router.snapshot,
            eligible=left,
            roster=roster,
            unavailable=frozenset(unavailable),
            state=state,
            options=options,
        )
        if choice.rep_id is None:
            break
        ranked.append((choice.rep_id, choice.reason if not ranked else AFTER + choice.reason))
        left = [c for c in left if c.rep_id != choice.rep_id]
    return ranked


def _suggestions(router, rows, verdicts, ranked, now) -> list[Suggestion]:
    by_id = {row.user_id: row for row in rows}
    ids = list(by_id)
    if not any(row.closed for row in rows):  # not already read for a performance rule
        since = now - timedelta(days=CONVERSION_WINDOW_DAYS)
        for user_id, counts in performance_counts(user_ids=ids, since=since).items():
            by_id[user_id].won, by_id[user_id].closed = counts["won"], counts["closed"]
    zones = dict(RepProfile.objects.filter(user_id__in=ids).values_list("user_id", "time_zone"))
    out = []
    order = [rep_id for rep_id, _ in ranked] + [i for i in ids if verdicts[i]["code"]]
    reasons = dict(ranked)
    for position, rep_id in enumerate(order, start=1):
        row, verdict = by_id[rep_id], verdicts[rep_id]
        eligible = not verdict["code"]
        _, hits = skill_score(router.snapshot, row.candidate(), ())
        out.append(
            Suggestion(
                rep_id=rep_id,
                name=row.name,
                eligible=eligible,
                code=verdict["code"],
                reason=reasons.get(rep_id, verdict["reason"]),
                rank=position if eligible else None,
                territory_match=bool(set(router.snapshot.territories) & row.territory_ids),
                skills=hits,
                today=row.today,
                cap_today=row.caps.get("max_per_day"),
                open_leads=row.open_leads,
                untouched=row.untouched,
                won=row.won,
                closed=row.closed,
                availability=RepProfile.Availability(row.availability).label,
                at_work=row.at_work,
                local_time=RepProfile(time_zone=zones.get(rep_id, "UTC")).local_time(now),
            )
        )
    return out
