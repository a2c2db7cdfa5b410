"""Pulling leads from pools: claim one, claim next, release, return to pool.

Who wins is settled by PostgreSQL, never by Python: a claim is one conditional UPDATE
(`… WHERE id = %s AND status = 'pooled' AND pool_id = %s AND owner_id IS NULL`, via
`lead_transition`) whose row count decides. "Claim next" picks its row with
`SELECT … FOR UPDATE SKIP LOCKED`, so concurrent reps each lock a different lead instead
of queueing on the same one.

Pull restrictions are enforced here, not only hidden in the UI. The rep's profile row is
locked (`select_for_update`) before the caps are counted, so two claims by the same rep
in parallel are serialised and cannot both slip under a cap. Lock order is always
profile → lead, so claims cannot deadlock each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import RepProfile
from accounts.roles import Role, has_role

from .lifecycle import OPEN_OWNED_STATES, LeadState
from .models import Lead, LeadEvent, Pool, SourceRestriction
from .services import LeadChanged, lead_transition
from .timezones import COUNTRY_TZ, REGION_TZ, lead_time_zone, within_calling_hours, zones_open_now

LOCK_TIMEOUT = "5s"


class ClaimError(Exception):
    """A claim that did not happen, with a message fit to show the rep as is. Messages
    never name the lead: in a blind pool that alone would leak it."""

    code = "refused"
    status = 403

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class LeadTaken(ClaimError):
    code, status = "taken", 409

    def __init__(self, message: str = "Just taken by someone else — no harm done, "
                                      "pick another one."):
        super().__init__(message)


class PoolEmpty(ClaimError):
    code, status = "empty", 409


class PoolUnavailable(ClaimError):
    code, status = "pool", 404


class ClaimRestricted(ClaimError):
    """A pull restriction blocks the claim; `code` says which."""

    status = 403

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


# ---------------------------------------------------------------------------- checks


def _lock_profile(user) -> RepProfile:
    if not has_role(user, Role.REP):
        raise PoolUnavailable("Only reps can claim leads.")
    if connection.vendor == "postgresql":
        # A stuck lock turns into a clear "try again", not a hung request. (SQLite, for a
        # bare `make run`, takes its write lock at BEGIN and waits its busy timeout.)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    profile = (RepProfile.objects.select_for_update(of=("self",)).select_related("team")
               .filter(user=user).first())
    if profile is None:
        raise PoolUnavailable("You need a rep profile to claim leads; ask your manager.")
    return profile


def _usable_pool(*, profile: RepProfile, pool_id: int) -> Pool:
    """The same scope rule as `pools_usable_by` (which builds the listing), checked against
    the already-locked profile: cheaper on the hot path than the listing's subqueries."""
    pool = Pool.objects.filter(pk=pool_id, is_active=True).first()
    in_scope = pool is not None and pool.team_id in (None, profile.team_id) and (
        pool.territory_id is None
        or profile.territories.filter(pk=pool.territory_id).exists())
    if not in_scope:
        # Out of scope and missing read the same: the pool's existence is not the rep's
        # business.
        raise PoolUnavailable("This pool is not available to you (team or territory scope).")
    return pool


def _local_period_starts(profile: RepProfile, now: datetime) -> tuple[datetime, datetime]:
    local = profile.local_time(now)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day - timedelta(days=local.weekday())


def _check_rep(*, user, profile: RepProfile, pool: Pool, now: datetime) -> None:
    """Restrictions on the rep, whatever the lead: caps, untouched leads, stale leads."""
    day_start, week_start = _local_period_starts(profile, now)
    claims = LeadEvent.objects.filter(actor=user, kind=LeadEvent.Kind.CLAIMED)
    for field, since, label in (("max_claims_per_day", day_start, "today"),
                                ("max_claims_per_week", week_start, "this week")):
        cap = profile.effective_cap(field)
        if cap is not None and claims.filter(created_at__gte=since).count() >= cap:
            raise ClaimRestricted(
                "claim_cap", f"You have reached your limit of {cap} claims {label}.")
    cap = profile.effective_cap("max_open_untouched")
    if cap is not None:
        untouched = Lead.objects.filter(owner=user, status=LeadState.ASSIGNED,
                                        first_touch_at__isnull=True).count()
        if untouched >= cap:
            raise ClaimRestricted(
                "untouched",
                f"You have {untouched} untouched leads (limit {cap}). Make first contact "
                "with them before claiming more.")
    if pool.update_first_hours is not None:
        stale = Lead.objects.filter(
            owner=user, status=LeadState.ASSIGNED,
            assigned_at__lt=now - timedelta(hours=pool.update_first_hours)).count()
        if stale:
            raise ClaimRestricted(
                "update_first",
                f"Update your leads first: {stale} of your leads assigned more than "
                f"{pool.update_first_hours} h ago still have no disposition.")


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
    open_zones = zones_open_now(start=pool.calling_hours_start, end=pool.calling_hours_end,
                                weekdays_only=pool.calling_weekdays_only, now=now)
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


def _check_lead(*, user, profile: RepProfile, pool: Pool, lead: Lead, now: datetime) -> None:
    """Restrictions on this rep taking this lead."""
    if lead.source_id and lead.source_id in _blocked_source_ids(profile=profile):
        raise ClaimRestricted("source", "Leads from this source are reserved for other reps.")
    if pool.claim_cooldown_hours and lead.pooled_at and (
            lead.pooled_at > now - timedelta(hours=pool.claim_cooldown_hours)):
        if LeadEvent.objects.filter(lead=lead, owner=user).exists():
            raise ClaimRestricted(
                "cooldown",
                f"You worked this lead before; you can claim it again "
                f"{pool.claim_cooldown_hours} h after it came back to the pool.")
    if pool.has_calling_hours:
        tz = lead_time_zone(country=lead.country, state=lead.state)
        if tz and not within_calling_hours(
                tz=tz, start=pool.calling_hours_start, end=pool.calling_hours_end,
                weekdays_only=pool.calling_weekdays_only, now=now):
            days = " on weekdays" if pool.calling_weekdays_only else ""
            raise ClaimRestricted(
                "calling_hours",
                f"Outside calling hours: this pool's leads may be claimed between "
                f"{pool.calling_hours_start:%H:%M} and {pool.calling_hours_end:%H:%M}{days} "
                f"in the lead's local time.")


def _take(*, user, pool: Pool, lead: Lead, reason: str) -> Lead:
    try:
        return lead_transition(
            lead=lead, to=LeadState.ASSIGNED, actor=user, owner=user,
            kind=LeadEvent.Kind.CLAIMED, reason=reason, data={"pool": pool.pk},
            where={"pool_id": pool.pk},
        )
    except LeadChanged:
        raise LeadTaken() from None


# -------------------------------------------------------------------------- services


def lead_claim(*, user, lead_id: int, pool_id: int | None = None) -> Lead:
    """Claim one pooled lead (preview pools). Raises a ClaimError subclass otherwise."""
    now = timezone.now()
    try:
        with transaction.atomic():
            profile = _lock_profile(user)
            lead = Lead.objects.filter(pk=lead_id, status=LeadState.POOLED).first()
            if lead is None or (pool_id is not None and lead.pool_id != pool_id):
                # Claimed, moved, or never here: to the rep it is all "taken".
                raise LeadTaken()
            pool = _usable_pool(profile=profile, pool_id=lead.pool_id)
            if pool.mode == Pool.Mode.BLIND:
                raise ClaimRestricted("blind", "This is a blind pool: use “Claim next”.")
            _check_rep(user=user, profile=profile, pool=pool, now=now)
            _check_lead(user=user, profile=profile, pool=pool, lead=lead, now=now)
            return _take(user=user, pool=pool, lead=lead, reason=f"Claimed from {pool}")
    except OperationalError as exc:  # lock_timeout
        raise ClaimError("The pool is very busy right now; please try again.") from exc


def pool_claim_next(*, user, pool_id: int) -> Lead:
    """Claim the next lead of the pool, by the pool's order, that this rep may take."""
    now = timezone.now()
    try:
        with transaction.atomic():
            profile = _lock_profile(user)
            pool = _usable_pool(profile=profile, pool_id=pool_id)
            _check_rep(user=user, profile=profile, pool=pool, now=now)
            candidates = Lead.objects.filter(pool=pool, status=LeadState.POOLED)
            # Reserved sources, as a subquery of the pick (one round trip fewer).
            mine = SourceRestriction.objects.filter(
                Q(user=user) | Q(team_id=profile.team_id, team__isnull=False))
            candidates = candidates.exclude(source_id__in=SourceRestriction.objects.exclude(
                source_id__in=mine.values("source_id")).values("source_id"))
            if pool.claim_cooldown_hours:
                recent = LeadEvent.objects.filter(owner=user).values("lead_id")
                candidates = candidates.exclude(
                    Q(pk__in=recent)
                    & Q(pooled_at__gt=now - timedelta(hours=pool.claim_cooldown_hours)))
            candidates = candidates.filter(calling_hours_q(pool=pool, now=now))
            order = (("-score", "pooled_at", "id") if pool.order == Pool.Order.SCORE
                     else ("pooled_at", "id"))
            # SKIP LOCKED: a row another claimer is taking is skipped, not waited on, so N
            # concurrent reps take N different leads.
            lead = (candidates.order_by(*order).only("id", "status", "owner_id", "pool_id")
                    .select_for_update(skip_locked=True).first())
            if lead is None:
                if Lead.objects.filter(pool=pool, status=LeadState.POOLED).exists():
                    raise PoolEmpty("No lead in this pool you may claim right now (calling "
                                    "hours, reserved sources or your recent leads).")
                raise PoolEmpty("The pool is empty — nothing to claim right now.")
            return _take(user=user, pool=pool, lead=lead, reason=f"Claimed next from {pool}")
    except OperationalError as exc:
        raise ClaimError("The pool is very busy right now; please try again.") from exc


class ReleaseError(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _release(*, lead: Lead, actor, pool: Pool, reason: str) -> Lead:
    reason = (reason or "").strip()
    if not reason:
        raise ReleaseError("Say why the lead goes back to the pool.")
    if lead.status not in OPEN_OWNED_STATES:
        raise ReleaseError("Only an open lead can go back to the pool.")
    try:
        return lead_transition(lead=lead, to=LeadState.POOLED, actor=actor, pool=pool,
                               kind=LeadEvent.Kind.RELEASED, reason=reason[:500],
                               data={"previous_owner": lead.owner_id})
    except LeadChanged:
        raise ReleaseError("The lead changed in the meantime; reload and try again.") from None


def _return_pool(lead: Lead) -> Pool | None:
    """The pool it was claimed from, else its team's default pool."""
    event = (LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.CLAIMED)
             .order_by("-created_at", "-id").first())
    pool_id = (event.data or {}).get("pool") if event else None
    pool = Pool.objects.filter(pk=pool_id, is_active=True).first() if pool_id else None
    return pool or Pool.objects.filter(team_id=lead.team_id, is_team_default=True,
                                       is_active=True).first()


def lead_release(*, user, lead_id: int, reason: str) -> Lead:
    """The owner gives a lead back to the pool, with a reason."""
    lead = Lead.objects.filter(pk=lead_id, owner=user).first()
    if lead is None:
        raise ReleaseError("You can only release your own leads.")
    pool = _return_pool(lead)
    if pool is None:
        raise ReleaseError("There is no pool to release this lead to; ask your manager.")
    return _release(lead=lead, actor=user, pool=pool, reason=reason)


def lead_return_to_pool(*, user, lead_id: int, pool_id: int, reason: str) -> Lead:
    """A manager returns one of their team's leads to one of their team's pools."""
    from .selectors import leads_visible_to, teams_managed_by

    if not (has_role(user, Role.MANAGER) or has_role(user, Role.ADMIN)):
        raise ReleaseError("Only a manager can return leads to a pool.")
    lead = leads_visible_to(user=user).filter(pk=lead_id).first()
    if lead is None:
        raise ReleaseError("That lead is not in your teams.")
    pool = Pool.objects.filter(
        Q(team__in=teams_managed_by(user=user)) | Q(team__isnull=True),
        pk=pool_id, is_active=True).first()
    if pool is None:
        raise ReleaseError("Choose one of your teams' pools.")
    return _release(lead=lead, actor=user, pool=pool, reason=reason)
