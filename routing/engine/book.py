"""The reps a batch of leads can reach: read once, then kept current as leads are placed.

`RepBook.load` reads every fact eligibility needs about every rep of every rule the batch
may use (routing.engine.facts.book_facts: one round trip, whatever the number of reps or
leads), after locking what parallel routers contend for — the rules' rotation rows, then the
profiles of reps with a cap or in a rule that picks by counts. From then on this router is
the only one counting leads for those reps until it commits, so it counts each lead it
places in memory (`RepBook.count`): a cap can never be overshot, with no re-check per lead,
and leads routed at the same instant spread as if one came after another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from accounts.models import RepProfile
from leadroute.shared.sql import placeholders as _in

from ..models import RoutingRule
from ..offers.methods import STATEFUL_OFFERS
from ..strategies import LeadSnapshot
from .eligibility import (
    RepRow,
    accept_speeds,
    lead_quota_standings,
    performance_counts,
    roster_needs_territories,
)
from .facts import CAP_COLUMNS, book_facts, roster_sql

STATEFUL = frozenset({RoutingRule.Method.ROUND_ROBIN, RoutingRule.Method.WEIGHTED})
# Methods that pick by what placing a lead changes: open leads, leads today, the time of a
# rep's last lead (every tie-break). Routers reading those at once would all pick the same
# rep, so a rule assigning by one has its reps' profiles locked, as capped reps' are.
# Round robin and weighted queue on their rotation row instead; direct has no choice.
PICKS_BY_COUNTS = frozenset(
    {
        RoutingRule.Method.LOAD_BALANCED,
        RoutingRule.Method.TOP_PERFORMER,
        RoutingRule.Method.TERRITORY,
        RoutingRule.Method.SKILLS,
        RoutingRule.Method.QUOTA_FILL,
    }
)
RANKS_BY_PERFORMANCE = frozenset(
    {
        RoutingRule.Method.TOP_PERFORMER,
        RoutingRule.OfferMethod.CASCADE,
        RoutingRule.OfferMethod.WAVES,
    }
)


def rule_method(rule: RoutingRule) -> str:
    """The method that picks among the rule's reps: its assigning method or its offer's."""
    return rule.offer_method if rule.action == RoutingRule.Action.OFFER else rule.method


def is_stateful(rule: RoutingRule) -> bool:
    """Whether the rule's method keeps state in its rotation row (locked per lead)."""
    if rule.action == RoutingRule.Action.OFFER:
        return rule.offer_method in STATEFUL_OFFERS
    return rule.method in STATEFUL


def picks_by_counts(rule: RoutingRule) -> bool:
    """Whether the rule assigns by facts each placement changes (its reps locked per lead).
    An offer changes no count until it is accepted, under the accept's own locks."""
    return rule.assign_method in PICKS_BY_COUNTS


@dataclass
class RepBook:
    now: datetime
    rows: dict[int, RepRow]  # user id -> facts, shared by every rule the rep is in
    rosters: dict[int, list[int]]  # rule id -> user ids, in id order (round robin's order)
    rotations: dict[int, dict]  # rule id -> method state (stateful rules)
    previous: dict[int, set[int]]  # lead id -> its former owners
    territorial: frozenset[int]  # rules whose roster depends on the lead's territories
    performance: dict[int, dict]  # top performer rule id -> user id -> won/closed counts

    @classmethod
    def load(
        cls,
        *,
        rules: list[RoutingRule],
        leads: list[LeadSnapshot],
        now: datetime,
        lock: bool,
        only_reps: list[int] | None = None,
        eligibility_only: bool = False,
    ) -> RepBook:
        """Facts for the reps of `rules` (rules that pick reps), for `leads` at `now`: one
        round trip, plus one for territory links when a rule needs them, one per rule
        ranking by performance for conversion counts, one per shark tank for speeds and
        two for lead quotas when a rule fills quotas.

        `only_reps` narrows every roster to those reps, and `eligibility_only` reads only
        what eligibility needs (no rotation row, no ranking facts): an offer's re-check of
        its recipients — still in the rule's target, still eligible."""
        if not rules:  # every lead goes to a pool or a skim queue: no rep to read
            return cls(
                now=now,
                rows={},
                rosters={},
                rotations={},
                previous={},
                territorial=frozenset(),
                performance={},
            )
        lead_territories = sorted({t for lead in leads for t in lead.territories}) or [-1]
        rosters = {r.pk: roster_sql(rule=r, territory_ids=lead_territories) for r in rules}
        if only_reps is not None:
            only = sorted(only_reps) or [-1]
            rosters = {
                pk: (f"SELECT user_id FROM ({sql}) o WHERE user_id IN ({_in(only)})", [*p, *only])
                for pk, (sql, p) in rosters.items()
            }
        facts = book_facts(
            rosters=rosters,
            stateful=[] if eligibility_only else [r.pk for r in rules if is_stateful(r)],
            counting=[] if eligibility_only else [r.pk for r in rules if picks_by_counts(r)],
            lead_ids=[lead.id for lead in leads if lead.id is not None],
            now=now,
            lock=lock,
        )
        reps = facts["reps"]
        territories = {}
        if reps and any(roster_needs_territories(r) for r in rules):
            links = RepProfile.territories.through.objects.filter(
                repprofile__user_id__in=list(reps)
            )
            for user_id, territory_id in links.values_list("repprofile__user_id", "territory_id"):
                territories.setdefault(user_id, set()).add(territory_id)
        performance = {}
        for rule in [] if eligibility_only else rules:
            if rule_method(rule) in RANKS_BY_PERFORMANCE:
                performance[rule.pk] = performance_counts(
                    user_ids=facts["roster"].get(rule.pk, []),
                    since=now - timedelta(days=rule.performance_window_days),
                )
        rows = _rows(reps, territories, now)
        if not eligibility_only and any(
            rule_method(r) == RoutingRule.OfferMethod.SHARK_TANK for r in rules
        ):
            for user_id, (median, n) in accept_speeds(user_ids=sorted(rows)).items():
                rows[user_id].accept_median, rows[user_id].accepts = median, n
        if not eligibility_only and any(
            rule_method(r) == RoutingRule.Method.QUOTA_FILL for r in rules
        ):
            for user_id, quotas in lead_quota_standings(user_ids=sorted(rows), now=now).items():
                rows[user_id].lead_quotas = quotas
        return cls(
            now=now,
            rows=rows,
            rosters=facts["roster"],
            rotations=facts["rotations"],
            previous=facts["previous"],
            territorial=frozenset(
                r.pk
                for r in rules
                if r.target == RoutingRule.Target.TERRITORY
                and r.assign_method != RoutingRule.Method.DIRECT
            ),
            performance=performance,
        )

    def rows_for(self, rule: RoutingRule, lead: LeadSnapshot) -> list[RepRow]:
        """The rule's reps for this lead, in roster order, with this lead's own facts
        (previous ownership, conversion over the rule's window)."""
        ids = self.rosters.get(rule.pk, [])
        if rule.pk in self.territorial:  # reps covering one of this lead's territories
            ids = [i for i in ids if self.rows[i].territory_ids & lead.territories.keys()]
        previous = self.previous.get(lead.id, ())
        performance = self.performance.get(rule.pk)
        rows = []
        for user_id in ids:
            row = self.rows.get(user_id)
            if row is None:
                continue
            if user_id in previous:
                row = replace(row, previous_owner=True)
            if performance is not None:
                w = performance.get(user_id, {})
                row = replace(row, won=w.get("won", 0), closed=w.get("closed", 0))
            rows.append(row)
        return rows

    def count(self, user_id: int) -> None:
        """One more lead for the rep, as the database will say once the batch commits."""
        row = self.rows[user_id]
        row.today += 1
        row.week += 1
        row.month += 1
        row.open_leads += 1
        row.untouched += 1
        row.last_assigned_at = self.now
        for standing in row.lead_quotas.values():  # [target, worked]: one more lead worked
            standing[1] += 1


def _rows(reps: dict[int, dict], territories: dict[int, set], now: datetime) -> dict[int, RepRow]:
    rows = {}
    at_work_memo = {}
    for user_id, f in reps.items():
        # An unsaved profile only to ask RepProfile.works_at (the one definition of it);
        # reps mostly share hours, so each distinct schedule is asked once.
        key = (f["time_zone"], json.dumps(f["working_hours"], sort_keys=True))
        if key not in at_work_memo:
            at_work_memo[key] = RepProfile(
                time_zone=f["time_zone"], working_hours=f["working_hours"]
            ).works_at(now)
        name = f"{f['first_name']} {f['last_name']}".strip() or f["username"]
        rows[user_id] = RepRow(
            user_id=user_id,
            name=name,
            is_active=f["is_active"],
            availability=f["availability"],
            at_work=at_work_memo[key],
            out_of_office=f["away"],
            territory_ids=frozenset(territories.get(user_id, ())),
            languages=frozenset(x.lower() for x in f["languages"] or ()),
            industries=frozenset(f["industries"] or ()),
            company_sizes=frozenset(f["company_sizes"] or ()),
            products=frozenset(f["products"] or ()),
            seniority=f["seniority"],
            weight=f["weight"],
            caps={c: f[c] for c in CAP_COLUMNS},
            day=f["day"],
            today=f["today"],
            week=f["week"],
            month=f["month"],
            last_assigned_at=f["last"],
            open_leads=f["open"],
            untouched=f["untouched"],
            team_id=f["team_id"],
        )
    return rows
