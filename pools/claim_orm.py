"""The per-statement claim path, for databases other than PostgreSQL (the SQLite file of a
bare `make run`). PostgreSQL takes `pools.claim_sql`, one round trip; this path runs the
same checks in the same order, one ORM query at a time, and raises the same refusals.

The rep's profile row is locked first (on SQLite the whole database is, at BEGIN
IMMEDIATE), so two claims by one rep are serialised and cannot both slip under a cap; the
lead is taken by one conditional UPDATE (`lead_transition`) whose row count decides.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from accounts.models import RepProfile

from .claim_errors import refusal
from .lifecycle import LeadState
from .models import Lead, LeadEvent, Pool, SourceRestriction
from .services import LeadChanged, lead_transition
from .timezones import COUNTRY_TZ, REGION_TZ, lead_time_zone, within_calling_hours, zones_open_now

LOCK_TIMEOUT = "5s"


def _lock_profile(user) -> RepProfile:
    if connection.vendor == "postgresql":
        # A stuck lock turns into a clear "try again", not a hung request. (SQLite takes
        # its write lock at BEGIN and waits its busy timeout.)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    profile = (
        RepProfile.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(user=user)
        .first()
    )
    if profile is None:
        raise refusal("no_profile")
    return profile


def _usable_pool(*, profile: RepProfile, pool_id: int) -> Pool:
    """The same scope rule as `pools_usable_by` (which builds the listing)."""
    pool = Pool.objects.filter(pk=pool_id, is_active=True).first()
    in_scope = (
        pool is not None
        and pool.team_id in (None, profile.team_id)
        and (pool.territory_id is None or profile.territories.filter(pk=pool.territory_id).exists())
    )
    if not in_scope:
        raise refusal("pool")
    return pool


def _local_period_starts(profile: RepProfile, now: datetime) -> tuple[datetime, datetime]:
    local = profile.local_time(now)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day - timedelta(days=local.weekday())


def _check_rep(*, user, profile: RepProfile, pool: Pool, now: datetime) -> None:
    """Restrictions on the rep, whatever the lead: caps, untouched leads, stale leads."""
    day_start, week_start = _local_period_starts(profile, now)
    claims = LeadEvent.objects.filter(actor=user, kind=LeadEvent.Kind.CLAIMED)
    for field, since, reason in (
        ("max_claims_per_day", day_start, "day_cap"),
        ("max_claims_per_week", week_start, "week_cap"),
    ):
        cap = profile.effective_cap(field)
        if cap is not None and claims.filter(created_at__gte=since).count() >= cap:
            raise refusal(reason, cap=cap)
    cap = profile.effective_cap("max_open_untouched")
    if cap is not None:
        untouched = Lead.objects.filter(
            owner=user, status=LeadState.ASSIGNED, first_touch_at__isnull=True
        ).count()
        if untouched >= cap:
            raise refusal("untouched", count=untouched, cap=cap)
    if pool.update_first_hours is not None:
        stale = Lead.objects.filter(
            owner=user,
            status=LeadState.ASSIGNED,
            assigned_at__lt=now - timedelta(hours=pool.update_first_hours),
        ).count()
        if stale:
            raise refusal("update_first", count=stale, hours=pool.update_first_hours)


def _blocked_source_ids(*, profile: RepProfile) -> set[int]:
    """Sources reserved for others: restricted sources that list neither the rep nor the
    rep's team."""
    rows = SourceRestriction.objects.values_list("source_id", "team_id", "user_id")
    restricted, allowed = set(), set()
    for source_id, team_id, user_id in rows:
        restricted.add(source_id)
        if user_id == profile.user_id or (team_id and team_id == profile.team_id):
            allowed.add(source_id)
    return restricted - allowed


def calling_hours_q(*, pool: Pool, now: datetime) -> Q:
    """Leads whose local time is inside the pool's calling window, as a filter (for Claim
    next). Leads of unmapped countries have no known local time and pass."""
    if not pool.has_calling_hours:
        return Q()
    open_zones = zones_open_now(
        start=pool.calling_hours_start,
        end=pool.calling_hours_end,
        weekdays_only=pool.calling_weekdays_only,
        now=now,
    )
    q = ~Q(country__in=list(COUNTRY_TZ))
    for country, default_zone in COUNTRY_TZ.items():
        regions = {s: z for (c, s), z in REGION_TZ.items() if c == country}
        closed_states = [s for s, z in regions.items() if z not in open_zones]
        open_states = [s for s, z in regions.items() if z in open_zones]
        if default_zone in open_zones:
            q |= Q(country=country) & ~Q(state__in=closed_states)
        elif open_states:
            q |= Q(country=country, state__in=open_states)
    return q


def _calling_hours_refusal(pool: Pool):
    return refusal(
        "calling_hours",
        start=pool.calling_hours_start,
        end=pool.calling_hours_end,
        weekdays_only=pool.calling_weekdays_only,
    )


def _check_lead(*, user, profile: RepProfile, pool: Pool, lead: Lead, now: datetime) -> None:
    """Restrictions on this rep taking this lead."""
    if lead.source_id and lead.source_id in _blocked_source_ids(profile=profile):
        raise refusal("source")
    if (
        pool.claim_cooldown_hours
        and lead.pooled_at
        and (lead.pooled_at > now - timedelta(hours=pool.claim_cooldown_hours))
    ):
        if LeadEvent.objects.filter(lead=lead, owner=user).exists():
            raise refusal("cooldown", hours=pool.claim_cooldown_hours)
    if pool.has_calling_hours:
        tz = lead_time_zone(country=lead.country, state=lead.state)
        if tz and not within_calling_hours(
            tz=tz,
            start=pool.calling_hours_start,
            end=pool.calling_hours_end,
            weekdays_only=pool.calling_weekdays_only,
            now=now,
        ):
            raise _calling_hours_refusal(pool)


def _take(*, user, pool: Pool, lead: Lead, reason: str) -> Lead:
    try:
        return lead_transition(
            lead=lead,
            to=LeadState.ASSIGNED,
            actor=user,
            owner=user,
            kind=LeadEvent.Kind.CLAIMED,
            reason=reason,
            data={"pool": pool.pk},
            where={"pool_id": pool.pk},
        )
    except LeadChanged:
        raise refusal("taken") from None


def claim_one(*, user, lead_id: int, pool_id: int | None, now: datetime) -> Lead:
    with transaction.atomic():
        profile = _lock_profile(user)
        if pool_id is not None:  # a named pool out of scope reads as missing
            _usable_pool(profile=profile, pool_id=pool_id)
        lead = Lead.objects.filter(pk=lead_id, status=LeadState.POOLED).first()
        if lead is None or (pool_id is not None and lead.pool_id != pool_id):
            # Claimed, moved, or never here: to the rep it is all "taken".
            raise refusal("taken")
        pool = _usable_pool(profile=profile, pool_id=lead.pool_id)
        if pool.mode == Pool.Mode.BLIND:
            raise refusal("blind")
        _check_rep(user=user, profile=profile, pool=pool, now=now)
        _check_lead(user=user, profile=profile, pool=pool, lead=lead, now=now)
        return _take(user=user, pool=pool, lead=lead, reason=f"Claimed from {pool}")


def claim_next(*, user, pool_id: int, now: datetime) -> Lead:
    with transaction.atomic():
        profile = _lock_profile(user)
        pool = _usable_pool(profile=profile, pool_id=pool_id)
        _check_rep(user=user, profile=profile, pool=pool, now=now)
        candidates = Lead.objects.filter(pool=pool, status=LeadState.POOLED)
        # Reserved sources, as a subquery of the pick (one round trip fewer).
        mine = SourceRestriction.objects.filter(
            Q(user=user) | Q(team_id=profile.team_id, team__isnull=False)
        )
        candidates = candidates.exclude(
            source_id__in=SourceRestriction.objects.exclude(
                source_id__in=mine.values("source_id")
            ).values("source_id")
        )
        if pool.claim_cooldown_hours:
            recent = LeadEvent.objects.filter(owner=user).values("lead_id")
            candidates = candidates.exclude(
                Q(pk__in=recent) & Q(pooled_at__gt=now - timedelta(hours=pool.claim_cooldown_hours))
            )
        candidates = candidates.filter(calling_hours_q(pool=pool, now=now))
        order = (
            ("-score", "pooled_at", "id") if pool.order == Pool.Order.SCORE else ("pooled_at", "id")
        )
        # SKIP LOCKED: a row another claimer is taking is skipped, not waited on, so N
        # concurrent reps take N different leads.
        lead = (
            candidates.order_by(*order)
            .only("id", "status", "owner_id", "pool_id")
            .select_for_update(skip_locked=True)
            .first()
        )
        if lead is None:
            if Lead.objects.filter(pool=pool, status=LeadState.POOLED).exists():
                raise refusal("none_eligible")
            raise refusal("empty")
        return _take(user=user, pool=pool, lead=lead, reason=f"Claimed next from {pool}")
