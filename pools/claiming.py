"""Pulling leads from pools: claim one, claim next, release, return to pool.

Who wins is settled by PostgreSQL, never by Python: a claim is one call of a PL/pgSQL
function (`pools.claim_function`) that checks every pull restriction, picks the lead with
`FOR UPDATE SKIP LOCKED` (claim next: N reps at once lock N different leads), moves it with
one conditional UPDATE and logs the event, in one round trip. The rules live there once,
and the pool page, the Claim buttons and the claim API all reach them through here.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext

from django.db import OperationalError, ProgrammingError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg import errors

from accounts.roles import Role, has_role
from accounts.selectors import teams_managed_by

from . import live as pool_live
from .claim_errors import (  # noqa: F401  (re-exported: callers import them from here)
    BUSY,
    ClaimError,
    ClaimRestricted,
    LeadTaken,
    PoolEmpty,
    PoolUnavailable,
    refusal,
)
from .claim_function import CLAIM_NEXT, CLAIM_ONE, LEAD_ATTNAMES, VERDICT_LENGTH, install
from .lifecycle import OPEN_OWNED_STATES, LeadState
from .models import Lead, LeadEvent, Pool
from .selectors import lead_last_claim, leads_visible_to
from .services import LeadChanged, lead_transition

LOCK_TIMEOUT = "5s"
_install_lock = threading.Lock()


def _rep(user) -> None:
    # The role names are cached on the user object (one query a request at most, usually
    # already made by the view's role check); the pool listing asks the same.
    if not has_role(user, Role.REP):
        raise refusal("not_rep")


def _call(function, params: tuple) -> tuple:
    # Inside a caller's transaction, a savepoint keeps a failed claim (lock timeout) from
    # poisoning it. Alone, the call is its own implicit transaction: no BEGIN, no COMMIT.
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        with connection.cursor() as cursor:
            cursor.execute(function.call, params)
            return cursor.fetchone()


def _run(function, params: tuple) -> tuple:
    try:
        return _call(function, params)
    except ProgrammingError as exc:
        # A database migrated before this code (or restored without the functions).
        if not isinstance(exc.__cause__, errors.UndefinedFunction):
            raise
    with _install_lock:
        install()
    return _call(function, params)


def _claim(function, params: tuple, *, user, empty: str) -> Lead:
    _rep(user)
    try:
        row = _run(function, params)
    except OperationalError as exc:  # lock_timeout, or the connection lost
        raise ClaimError(BUSY) from exc
    (
        (
            blocked,
            pool_id,
            day_cap,
            week_cap,
            untouched_cap,
            untouched_n,
            stale_n,
            update_hours,
            cooldown_hours,
            start,
            end,
            weekdays_only,
            any_pooled,
        ),
        values,
    ) = row[:VERDICT_LENGTH], row[VERDICT_LENGTH:]
    if blocked is not None:
        raise refusal(
            blocked,
            cap={"day_cap": day_cap, "week_cap": week_cap, "untouched": untouched_cap}.get(blocked),
            count=untouched_n if blocked == "untouched" else stale_n,
            hours=update_hours if blocked == "update_first" else cooldown_hours,
            start=start,
            end=end,
            weekdays_only=weekdays_only,
        )
    if values[0] is None:
        raise refusal("none_eligible" if any_pooled else empty)
    lead = Lead.from_db(connection.alias, LEAD_ATTNAMES, values)
    Lead.owner.field.set_cached_value(lead, user)  # lead.owner without a query
    # Reps watching the pool see the lead leave (after commit: at once when the call
    # committed on its own, else when the caller's transaction does).
    pool_live.pool_lead_left(pool_id=pool_id, lead_id=lead.pk)
    return lead


def _row_id(value: int | None) -> int | None:
    """An id as a bigint parameter. One out of bigint's range names no row; it becomes
    -1 (ids are positive) rather than an SQL error, as the ORM's lookups behave."""
    if value is None or -(2**63) <= value < 2**63:
        return value
    return -1


def lead_claim(*, user, lead_id: int, pool_id: int | None = None) -> Lead:
    """Claim one pooled lead (preview pools). Raises a ClaimError subclass otherwise."""
    params = (user.pk, timezone.now(), LOCK_TIMEOUT, _row_id(lead_id), _row_id(pool_id))
    return _claim(CLAIM_ONE, params, user=user, empty="taken")


def pool_claim_next(*, user, pool_id: int) -> Lead:
    """Claim the next lead of the pool, by the pool's order, that this rep may take."""
    params = (user.pk, timezone.now(), LOCK_TIMEOUT, _row_id(pool_id))
    return _claim(CLAIM_NEXT, params, user=user, empty="empty")


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
        return lead_transition(
            lead=lead,
            to=LeadState.POOLED,
            actor=actor,
            pool=pool,
            kind=LeadEvent.Kind.RELEASED,
            reason=reason[:500],
            data={"previous_owner": lead.owner_id},
        )
    except LeadChanged:
        raise ReleaseError("The lead changed in the meantime; reload and try again.") from None


def _return_pool(lead: Lead) -> Pool | None:
    """The pool it was claimed from, else its team's default pool."""
    event = lead_last_claim(lead=lead)
    pool_id = (event.data or {}).get("pool") if event else None
    pool = Pool.objects.filter(pk=pool_id, is_active=True).first() if pool_id else None
    return (
        pool
        or Pool.objects.filter(team_id=lead.team_id, is_team_default=True, is_active=True).first()
    )


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
    if not (has_role(user, Role.MANAGER) or has_role(user, Role.ADMIN)):
        raise ReleaseError("Only a manager can return leads to a pool.")
    lead = leads_visible_to(user=user).filter(pk=lead_id).first()
    if lead is None:
        raise ReleaseError("That lead is not in your teams.")
    pool = Pool.objects.filter(
        Q(team__in=teams_managed_by(user=user)) | Q(team__isnull=True), pk=pool_id, is_active=True
    ).first()
    if pool is None:
        raise ReleaseError("Choose one of your teams' pools.")
    return _release(lead=lead, actor=user, pool=pool, reason=reason)
