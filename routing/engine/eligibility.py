"""Who may get a lead under a rule, and why each other rep may not.

routing.engine.book reads every fact the filters need for all of a batch's reps in a constant
number of queries (whatever the number of reps); `rep_exclusion` is a pure function of
one rep's facts, so each filter is tested without the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Q

from accounts.models import Quota, RepProfile
from leadroute.shared.sql import placeholders
from pools.lifecycle import LeadState
from pools.models import Lead
from pools.work.quotas import quota_attainment

from ..models import Offer, OfferResponse, RoutingRule
from ..strategies import Candidate, LeadSnapshot, QuotaStanding

# Exclusions that pass with time (round robin's keep-turn owes these reps their turn).
TEMPORARY = frozenset({"availability", "out_of_office", "off_hours"})
CAPS = (
    ("max_per_day", "today", "day"),
    ("max_per_week", "week", "week"),
    ("max_per_month", "month", "month"),
)


@dataclass
class RepRow:
    """One rep's facts at routing time."""

    user_id: int
    name: str
    is_active: bool = True
    availability: str = RepProfile.Availability.AVAILABLE
    at_work: bool = True
    out_of_office: bool = False
    territory_ids: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    company_sizes: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    seniority: int = RepProfile.Seniority.MID
    weight: int = 1
    caps: dict = field(default_factory=dict)  # effective caps: field -> int | None
    day: date | None = None  # the rep's own today: the day its counter row is for
    today: int = 0
    week: int = 0
    month: int = 0
    open_leads: int = 0
    untouched: int = 0
    last_assigned_at: datetime | None = None
    won: int = 0
    closed: int = 0
    previous_owner: bool = False
    team_id: int | None = None
    accept_median: float | None = None  # shark tank: median seconds to accept an offer
    accepts: int = 0
    # Quota fill: period -> [target, leads worked so far] (RepBook.count keeps it current).
    lead_quotas: dict[str, list[int]] = field(default_factory=dict)

    def candidate(self) -> Candidate:
        return Candidate(
            rep_id=self.user_id,
            name=self.name,
            weight=self.weight,
            seniority=self.seniority,
            open_leads=self.open_leads,
            last_assigned_at=self.last_assigned_at,
            territory_ids=self.territory_ids,
            languages=self.languages,
            industries=self.industries,
            company_sizes=self.company_sizes,
            products=self.products,
            won=self.won,
            closed=self.closed,
            accept_median=self.accept_median,
            accepts=self.accepts,
            today=self.today,
            lead_quotas=tuple(
                QuotaStanding(period, target, worked)
                for period, (target, worked) in self.lead_quotas.items()
            ),
        )


@dataclass(frozen=True)
class Requirements:
    territory: bool = False
    language: bool = False
    industry: bool = False
    company_size: bool = False
    product: bool = False
    min_seniority: int | None = None

    @classmethod
    def of(cls, rule: RoutingRule) -> Requirements:
        return cls(
            territory=rule.require_territory
            or rule.target == RoutingRule.Target.TERRITORY
            or rule.assign_method == RoutingRule.Method.TERRITORY,
            language=rule.require_language,
            industry=rule.require_industry,
            company_size=rule.require_company_size,
            product=rule.require_product,
            min_seniority=rule.min_seniority,
        )


def cap_exclusion(row: RepRow) -> tuple[str, str] | None:
    for cap_field, attr, period in CAPS:
        cap = row.caps.get(cap_field)
        if cap is not None and getattr(row, attr) >= cap:
            return (
                f"cap_{period}",
                f"Cap reached: {getattr(row, attr)} of {cap} leads this {period}",
            )
    cap = row.caps.get("max_open_untouched")
    if cap is not None and row.untouched >= cap:
        return "untouched", f"{row.untouched} untouched leads (limit {cap})"
    return None


def rep_exclusion(
    row: RepRow, *, lead: LeadSnapshot, needs: Requirements
) -> tuple[str, str] | None:
    """(code, reason) for the first filter the rep fails, or None when eligible."""
    f = lead.fields
    if not row.is_active:
        return "inactive", "User account is deactivated"
    if row.availability != RepProfile.Availability.AVAILABLE:
        return "availability", f"Status is “{RepProfile.Availability(row.availability).label}”"
    if row.out_of_office:
        return "out_of_office", "Out of office"
    if not row.at_work:
        return "off_hours", "Outside working hours (rep's time zone)"
    if needs.territory and not (row.territory_ids & set(lead.territories)):
        return "territory", "Does not cover the lead's territory"
    for need, attr, key, label in (
        (needs.language, "languages", "language", "language"),
        (needs.industry, "industries", "industry", "industry"),
        (needs.company_size, "company_sizes", "company_size", "company size"),
        (needs.product, "products", "product_interest", "product"),
    ):
        if need and f.get(key) not in getattr(row, attr):
            return key, f"Does not cover {label} “{f.get(key) or '—'}”"
    if needs.min_seniority and row.seniority < needs.min_seniority:
        return "seniority", (
            f"{RepProfile.Seniority(row.seniority).label}; rule needs "
            f"{RepProfile.Seniority(needs.min_seniority).label} or above"
        )
    capped = cap_exclusion(row)
    if capped:
        return capped
    if row.previous_owner:
        return "previous_owner", "Already owned this lead before"
    return None


def lead_territories(fields: dict, territories: list[dict]) -> dict[int, int]:
    """Territories the lead falls in, id -> specificity (postal 4, area code 3, state 2,
    country 1). `territories` are rows as read by routing.engine.facts.lead_context."""
    found = {}
    postal, state = fields.get("postal_code", ""), fields.get("state", "").casefold()
    for t in territories:
        score = 0
        if postal and any(postal.startswith(p) for p in t["postal_prefixes"] or ()):
            score = 4
        elif fields.get("area_code") and fields["area_code"] in (t["area_codes"] or ()):
            score = 3
        elif state and state in {s.casefold() for s in t["states"] or ()}:
            score = 2
        elif fields.get("country") and fields["country"] in {
            c.upper() for c in t["countries"] or ()
        }:
            score = 1
        if score:
            found[t["id"]] = score
    return found


def performance_counts(*, user_ids: list[int], since: datetime) -> dict[int, dict]:
    rows = (
        Lead.objects.filter(
            owner_id__in=user_ids, closed_at__gte=since, status__in=(LeadState.WON, LeadState.LOST)
        )
        .values("owner_id")
        .annotate(won=Count("id", filter=Q(status=LeadState.WON)), closed=Count("id"))
    )
    return {r["owner_id"]: r for r in rows}


# Shark tank's speed: a rep's median over this many latest accepts.
RECENT_ACCEPTS = 20


def lead_quota_standings(*, user_ids: list[int], now: datetime) -> dict[int, dict]:
    """Quota fill's facts: each rep's lead quotas for their current week and month, as
    period -> [target, leads worked so far] — the figures the quota bars show
    (pools.work.quotas: one definition of "leads worked")."""
    attainment = quota_attainment(user_ids=user_ids, at=now, metrics=[Quota.Metric.LEADS_WORKED])
    return {
        user_id: {a.period: [int(a.target), int(a.actual)] for a in quotas}
        for user_id, quotas in attainment.items()
    }


def accept_speeds(*, user_ids: list[int]) -> dict[int, tuple[float, int]]:
    """Each rep's median seconds from an offer's sending to their accept over their latest
    RECENT_ACCEPTS accepts, and how many that is (shark tank's speed). SQL for the
    window and the median, which the ORM does not express."""
    if not user_ids:
        return {}
    responses, offers = OfferResponse._meta.db_table, Offer._meta.db_table
    sql = f"""SELECT rep_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY secs), count(*)
        FROM (SELECT r.rep_id, EXTRACT(EPOCH FROM r.responded_at - o.sent_at) AS secs,
                     row_number() OVER (PARTITION BY r.rep_id ORDER BY r.responded_at DESC) AS k
              FROM {responses} r JOIN {offers} o ON o.id = r.offer_id
              WHERE r.rep_id IN ({placeholders(user_ids)}) AND r.response = %s) x
        WHERE k <= %s GROUP BY rep_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*user_ids, OfferResponse.Response.ACCEPTED, RECENT_ACCEPTS])
        return {rep: (float(m), int(n)) for rep, m, n in cursor.fetchall()}


def roster_needs_territories(rule: RoutingRule) -> bool:
    return Requirements.of(rule).territory or rule.assign_method == RoutingRule.Method.SKILLS
