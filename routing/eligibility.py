"""Who may get a lead under a rule, and why each other rep may not.

`rep_rows_load` reads every fact the filters need for all of a rule's reps in a constant
number of queries (whatever the number of reps); `rep_exclusion` is a pure function of
one rep's facts, so each filter is tested without the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Q, Sum

from accounts.models import OutOfOffice, RepProfile
from pools.lifecycle import OPEN_OWNED_STATES, LeadState
from pools.models import Lead

from .conditions import routing_time_zone
from .models import RepIntake, RoutingRule
from .strategies import Candidate, LeadSnapshot

# Exclusions that pass with time (round robin's keep-turn owes these reps their turn).
TEMPORARY = frozenset({"availability", "out_of_office", "off_hours"})
CAPS = (("max_per_day", "today", "day"), ("max_per_week", "week", "week"),
        ("max_per_month", "month", "month"))


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
    today: int = 0
    week: int = 0
    month: int = 0
    open_leads: int = 0
    untouched: int = 0
    last_assigned_at: datetime | None = None
    won: int = 0
    closed: int = 0
    team_id: int | None = None
    user: object = None  # the User instance, for the assignment itself

    def candidate(self) -> Candidate:
        return Candidate(
            rep_id=self.user_id, name=self.name, weight=self.weight, seniority=self.seniority,
            open_leads=self.open_leads, last_assigned_at=self.last_assigned_at,
            territory_ids=self.territory_ids, languages=self.languages,
            industries=self.industries, company_sizes=self.company_sizes,
            products=self.products, won=self.won, closed=self.closed)


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
        return cls(territory=rule.require_territory
                   or rule.target == RoutingRule.Target.TERRITORY
                   or rule.method == RoutingRule.Method.TERRITORY,
                   language=rule.require_language, industry=rule.require_industry,
                   company_size=rule.require_company_size, product=rule.require_product,
                   min_seniority=rule.min_seniority)


def cap_exclusion(row: RepRow) -> tuple[str, str] | None:
    for cap_field, attr, period in CAPS:
        cap = row.caps.get(cap_field)
        if cap is not None and getattr(row, attr) >= cap:
            return f"cap_{period}", f"Cap reached: {getattr(row, attr)} of {cap} leads " \
                                    f"this {period}"
    cap = row.caps.get("max_open_untouched")
    if cap is not None and row.untouched >= cap:
        return "untouched", f"{row.untouched} untouched leads (limit {cap})"
    return None


def rep_exclusion(row: RepRow, *, lead: LeadSnapshot, needs: Requirements,
                  previous_owners: frozenset[int]) -> tuple[str, str] | None:
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
        return "seniority", (f"{RepProfile.Seniority(row.seniority).label}; rule needs "
                             f"{RepProfile.Seniority(needs.min_seniority).label} or above")
    capped = cap_exclusion(row)
    if capped:
        return capped
    if row.user_id in previous_owners:
        return "previous_owner", "Already owned this lead before"
    return None


def lead_territories(fields: dict) -> dict[int, int]:
    """Territories the lead falls in, id -> specificity (postal 4, area code 3, state 2,
    country 1). Territories are few, so all are read and matched here in one query."""
    from accounts.models import Territory

    found = {}
    postal, state = fields.get("postal_code", ""), fields.get("state", "").casefold()
    for t in Territory.objects.only("countries", "states", "postal_prefixes", "area_codes"):
        score = 0
        if postal and any(postal.startswith(p) for p in t.postal_prefixes):
            score = 4
        elif fields.get("area_code") and fields["area_code"] in t.area_codes:
            score = 3
        elif state and state in {s.casefold() for s in t.states}:
            score = 2
        elif fields.get("country") and fields["country"] in {c.upper() for c in t.countries}:
            score = 1
        if score:
            found[t.pk] = score
    return found


def periods(now: datetime) -> tuple[date, date, date]:
    """Today, the week's Monday and the month's first day, in the routing time zone."""
    today = now.astimezone(routing_time_zone()).date()
    return today, today - timedelta(days=today.weekday()), today.replace(day=1)


def intake_counts(*, user_ids: list[int], now: datetime) -> dict[int, dict]:
    today, week, month = periods(now)
    rows = (RepIntake.objects.filter(user_id__in=user_ids, day__gte=min(week, month))
            .values("user_id")
            .annotate(today=Sum("count", filter=Q(day=today), default=0),
                      week=Sum("count", filter=Q(day__gte=week), default=0),
                      month=Sum("count", filter=Q(day__gte=month), default=0),
                      last=Max("last_at")))
    return {r["user_id"]: r for r in rows}


def lead_counts(*, user_ids: list[int]) -> dict[int, dict]:
    rows = (Lead.objects.filter(owner_id__in=user_ids, status__in=OPEN_OWNED_STATES)
            .values("owner_id")
            .annotate(open=Count("id"),
                      untouched=Count("id", filter=Q(status=LeadState.ASSIGNED,
                                                     first_touch_at__isnull=True))))
    return {r["owner_id"]: r for r in rows}


def performance_counts(*, user_ids: list[int], since: datetime) -> dict[int, dict]:
    rows = (Lead.objects.filter(owner_id__in=user_ids, closed_at__gte=since,
                                status__in=(LeadState.WON, LeadState.LOST))
            .values("owner_id")
            .annotate(won=Count("id", filter=Q(status=LeadState.WON)), closed=Count("id")))
    return {r["owner_id"]: r for r in rows}


def roster_profiles(*, rule: RoutingRule, lead: LeadSnapshot):
    """The rule's target reps' profiles, ordered by user id (round robin's roster)."""
    qs = RepProfile.objects.select_related("user", "team")
    if rule.method == RoutingRule.Method.DIRECT:
        qs = qs.filter(user_id=rule.direct_rep_id)
    elif rule.target == RoutingRule.Target.REPS:
        # A subquery, not a prefetch: the rules query stays one query for every lead.
        qs = qs.filter(user_id__in=RoutingRule.reps.through.objects.filter(
            routingrule_id=rule.pk).values("user_id"))
    elif rule.target == RoutingRule.Target.TERRITORY:
        qs = qs.filter(territories__in=list(lead.territories))
        if rule.team_id:
            qs = qs.filter(team_id=rule.team_id)
        qs = qs.distinct()
    else:
        qs = qs.filter(team_id=rule.team_id)
    if roster_needs_territories(rule):
        qs = qs.prefetch_related("territories")
    return list(qs.order_by("user_id"))


def roster_needs_territories(rule: RoutingRule) -> bool:
    return Requirements.of(rule).territory or rule.method == RoutingRule.Method.SKILLS


def rep_rows_load(*, rule: RoutingRule, lead: LeadSnapshot, now: datetime) -> list[RepRow]:
    profiles = roster_profiles(rule=rule, lead=lead)
    ids = [p.user_id for p in profiles]
    if not ids:
        return []
    away = set(OutOfOffice.objects.filter(profile__user_id__in=ids, starts_at__lte=now,
                                          ends_at__gt=now).values_list("profile__user_id",
                                                                       flat=True))
    intake = intake_counts(user_ids=ids, now=now)
    leads = lead_counts(user_ids=ids)
    perf = {}
    if rule.method == RoutingRule.Method.TOP_PERFORMER:
        perf = performance_counts(user_ids=ids,
                                  since=now - timedelta(days=rule.performance_window_days))
    rows = []
    for p in profiles:
        i, n, w = intake.get(p.user_id, {}), leads.get(p.user_id, {}), perf.get(p.user_id, {})
        rows.append(RepRow(
            user_id=p.user_id, name=p.user.display_name, is_active=p.user.is_active,
            availability=p.availability, at_work=p.works_at(now),
            out_of_office=p.user_id in away,
            territory_ids=frozenset(t.pk for t in p.territories.all())
            if roster_needs_territories(rule) else frozenset(),
            languages=frozenset(x.lower() for x in p.languages),
            industries=frozenset(p.industries), company_sizes=frozenset(p.company_sizes),
            products=frozenset(p.products), seniority=p.seniority, weight=p.weight,
            caps={c: p.effective_cap(c) for c in ("max_per_day", "max_per_week",
                                                   "max_per_month", "max_open_untouched")},
            today=i.get("today", 0), week=i.get("week", 0), month=i.get("month", 0),
            last_assigned_at=i.get("last"), open_leads=n.get("open", 0),
            untouched=n.get("untouched", 0), won=w.get("won", 0), closed=w.get("closed", 0),
            team_id=p.team_id, user=p.user))
    return rows
