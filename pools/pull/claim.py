"""Pulling leads from pools: claim one, claim next.

Who wins is settled by PostgreSQL, never by Python: a claim is one call of a PL/pgSQL
function (`pools.pull.claim_functions`) that checks every pull restriction, picks the lead with
`FOR UPDATE SKIP LOCKED` (claim next: N reps at once lock N different leads), moves it with
one conditional UPDATE and logs the event, in one round trip. The rules live there once,
and the pool page, the Claim buttons and the claim API all reach them through here.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from django.db import OperationalError, ProgrammingError, connection, transaction
from django.utils import timezone
from psycopg import errors

from accounts.roles import Role, has_role
from leadroute.shared.live import board_changed_on_commit
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.pull import live as pool_live
from pools.pull.claim_functions import (
    CLAIM_NEXT,
    CLAIM_ONE,
    FILTER_NAMES,
    LEAD_ATTNAMES,
    VERDICT_LENGTH,
    install,
)
from pools.pull.refusals import (  # noqa: F401  (re-exported: callers import them from here)
    BUSY,
    ClaimError,
    ClaimRestricted,
    LeadTaken,
    PoolEmpty,
    PoolUnavailable,
    refusal,
)
from pools.pull.selectors import PoolFilters
from pools.signals import lead_events_written

LOCK_TIMEOUT = "5s"
_install_lock = threading.Lock()


def _rep(user) -> None:
    # The role names are cached on the user object (one query a request at most, usually
    # already made by the view's role check); the pool listing asks the same.
    if not has_role(user, Role.REP):
        raise refusal("not_rep")


def _call(function, params: tuple) -> tuple:
    # The claim and its event's announcement (an outbox row, pools.signals) commit
    # together: alone, in a transaction of its own; inside a caller's, in a savepoint, which
    # also keeps a failed claim (lock timeout) from poisoning it.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(function.call, params)
            row = cursor.fetchone()
        _announce(row)
        return row


def _announce(row: tuple) -> None:
    event_id = row[-1]
    if event_id is None:
        return
    lead_id = row[VERDICT_LENGTH + LEAD_ATTNAMES.index("id")]
    owner_id = row[VERDICT_LENGTH + LEAD_ATTNAMES.index("owner_id")]
    event = LeadEvent(
        pk=event_id,
        lead_id=lead_id,
        kind=LeadEvent.Kind.CLAIMED,
        from_state=LeadState.POOLED,
        to_state=LeadState.ASSIGNED,
        actor_id=owner_id,
        owner_id=owner_id,
    )
    event._state.adding = False
    lead_events_written.send(sender=LeadEvent, events=[event])


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


def _claim(
    function, params: tuple, *, user, empty: str, filtered: bool = False, lead_id=None
) -> Lead:
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
    ) = row[:VERDICT_LENGTH], row[VERDICT_LENGTH:-1]
    if blocked is not None:
        raise refusal(
            blocked,
            cap={"day_cap": day_cap, "week_cap": week_cap, "untouched": untouched_cap}.get(blocked),
            count=untouched_n if blocked == "untouched" else stale_n,
            hours=update_hours if blocked == "update_first" else cooldown_hours,
            until=_cooldown_ends(lead_id, cooldown_hours) if blocked == "cooldown" else None,
            start=start,
            end=end,
            weekdays_only=weekdays_only,
        )
    if values[0] is None:
        raise refusal(("no_match" if filtered else "none_eligible") if any_pooled else empty)
    lead = Lead.from_db(connection.alias, LEAD_ATTNAMES, values)
    Lead.owner.field.set_cached_value(lead, user)  # lead.owner without a query
    # Reps watching the pool see the lead leave (after commit: at once when the call
    # committed on its own, else when the caller's transaction does).
    pool_live.pool_lead_left(pool_id=pool_id, lead_id=lead.pk)
    board_changed_on_commit(lead.team_id)
    return lead


def _cooldown_ends(lead_id: int | None, hours: int) -> datetime | None:
    """When the rep may claim this lead again (a refusal's own read: the claim path never
    pays for it)."""
    pooled_at = Lead.objects.filter(pk=lead_id).values_list("pooled_at", flat=True).first()
    return pooled_at + timedelta(hours=hours) if pooled_at and hours else None


def _row_id(value: int | None) -> int | None:
    """An id as a bigint parameter. One out of bigint's range names no row; it becomes
    -1 (ids are positive) rather than an SQL error, as the ORM's lookups behave."""
    if value is None or -(2**63) <= value < 2**63:
        return value
    return -1


def lead_claim(*, user, lead_id: int, pool_id: int | None = None) -> Lead:
    """Claim one pooled lead (preview pools). Raises a ClaimError subclass otherwise."""
    params = (user.pk, timezone.now(), LOCK_TIMEOUT, _row_id(lead_id), _row_id(pool_id))
    return _claim(CLAIM_ONE, params, user=user, empty="taken", lead_id=params[3])


def pool_claim_next(*, user, pool_id: int, filters: PoolFilters | None = None) -> Lead:
    """Claim the next lead of the pool, by the pool's order, that this rep may take and,
    given `filters` (parsed for this pool: `PoolFilters.from_params`), that matches them."""
    now = timezone.now()
    values = filters.sql_values(now) if filters is not None else {}
    params = (
        user.pk,
        now,
        LOCK_TIMEOUT,
        _row_id(pool_id),
        *(values.get(name) for name in FILTER_NAMES),
    )
    return _claim(CLAIM_NEXT, params, user=user, empty="empty", filtered=bool(values))
