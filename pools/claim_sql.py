"""A claim on PostgreSQL: one call of a PL/pgSQL function (`pools.claim_statements`) that
checks every pull restriction, picks the lead, runs the conditional UPDATE and inserts the
timeline event, in one round trip and, outside a caller's transaction, one implicit
transaction of its own.

With 50 reps claiming at once on a 2-core machine, what queues them is each claim's CPU:
the ORM version spent ~10 ms of Python per claim compiling eight queries, and a single
statement of CTEs cost PostgreSQL ~15 ms of planning on every new connection. On its own
(autocommit, the usual claim) the call goes through libpq directly (`pools.libpq_call`);
in a caller's transaction, through a kept psycopg cursor.

The rules are the same as the per-statement path in `claim_orm` (SQLite), and the
restriction tests run against both paths.
"""

from __future__ import annotations

import threading
from datetime import datetime

import psycopg
from django.db import DEFAULT_DB_ALIAS, ProgrammingError, connection, connections, transaction
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from psycopg import errors

from . import live as pool_live
from .claim_errors import refusal
from .claim_function import LEAD_ATTNAMES, VERDICT_LENGTH, ClaimFunction
from .claim_statements import CLAIM_NEXT, CLAIM_ONE, FUNCTIONS
from .models import Lead

LOCK_TIMEOUT = "5s"
_install_lock = threading.Lock()


def install(using_connection=None) -> None:
    """Create (or replace) the claim functions; drop the versions older code left behind.
    Run after every `migrate` (pools.apps); an advisory lock keeps two processes that
    install at once from colliding."""
    conn = using_connection or connection
    names = [f.name for f in FUNCTIONS]
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('leadroute.claim_functions'))")
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND p.proname ~ '^lr_claim_(next|one)_'"
            " AND NOT p.proname = ANY (%s)",
            [names],
        )
        for (stale,) in cursor.fetchall():
            cursor.execute(f"DROP FUNCTION {stale}")
        for function in FUNCTIONS:
            cursor.execute(function.create)


class _PreparedCursor(psycopg.Cursor):
    """Binds server-side and prepares: each connection parses and plans the call once, not
    on every claim (Django's own cursors bind client-side, so PostgreSQL parses each
    statement afresh)."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(query, params, prepare=True)


def _kept_cursor(conn, raw) -> _PreparedCursor:
    # A psycopg cursor of our choosing, kept for the connection's life: a claim is one
    # execute and one fetch, and making a cursor cost as much Python as reading the row.
    # (A connection belongs to one thread.)
    kept = getattr(conn, "_lr_claim_cursor", None)
    if kept is None or kept.connection is not raw or kept.closed:
        kept = conn._lr_claim_cursor = _PreparedCursor(raw)
    return kept


def _execute(conn, function: ClaimFunction, params: tuple) -> tuple:
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    raw = conn.connection
    if conn.queries_logged or conn.execute_wrappers:
        # Someone is watching (tests counting queries, execute wrappers): through Django's
        # own cursor wrapper, so this query is seen like any other.
        wrapped = conn._prepare_cursor(_kept_cursor(conn, raw))
        wrapped.execute(function.call, params)
        return wrapped.fetchone()
    # Otherwise what that wrapper would do, without its layers of calls: the same checks
    # and Django's database exceptions.
    conn.validate_thread_sharing()
    conn.validate_no_broken_transaction()
    with conn.wrap_database_errors:
        if conn.get_autocommit():  # the usual claim: its own implicit transaction
            return function.prepared.run(raw, params)
        cursor = _kept_cursor(conn, raw)  # in the caller's transaction (psycopg's BEGIN)
        cursor.execute(function.call, params)
        return cursor.fetchone()


def _call(conn, function: ClaimFunction, params: tuple) -> tuple:
    # Inside a caller's transaction, a savepoint keeps a failed claim (lock timeout) from
    # poisoning it. Alone, the call is its own implicit transaction: no BEGIN, no COMMIT.
    if conn.in_atomic_block:
        with transaction.atomic(using=conn.alias):
            return _execute(conn, function, params)
    return _execute(conn, function, params)


def _run(conn, function: ClaimFunction, params: tuple) -> tuple:
    try:
        return _call(conn, function, params)
    except ProgrammingError as exc:
        # A database migrated before this code (or restored without the functions).
        if not isinstance(exc.__cause__, errors.UndefinedFunction):
            raise
    with _install_lock:
        install(conn)
    return _call(conn, function, params)


def _claim(function: ClaimFunction, params: tuple, *, empty: str) -> Lead:
    conn = connections[DEFAULT_DB_ALIAS]  # looked up once: each lookup is a context-local read
    row = _run(conn, function, params)
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
    lead = _lead_from_row(conn.alias, values)
    # Reps watching the pool see the lead leave (after commit: at once when the call
    # committed on its own, else when the caller's transaction does).
    pool_live.pool_lead_left(pool_id=pool_id, lead_id=lead.pk)
    return lead


def _lead_from_row(alias: str, values) -> Lead:
    """What `Lead.from_db` makes of the returned columns (the others deferred), without
    walking the model's forty-odd fields to mark each one deferred and then skip it:
    that walk was a tenth of a claim's Python. A deferred field is one missing from the
    instance's __dict__, as after `.only()`. Through `from_db` itself whenever anything
    listens to the model's init signals, which only `__init__` sends."""
    if pre_init.has_listeners(Lead) or post_init.has_listeners(Lead):
        return Lead.from_db(alias, LEAD_ATTNAMES, values)
    lead = Lead.__new__(Lead)
    state = lead._state = ModelState()
    state.adding, state.db = False, alias
    lead.__dict__.update(zip(LEAD_ATTNAMES, values, strict=True))
    return lead


def _row_id(value: int | None) -> int | None:
    """An id as a bigint parameter. One out of bigint's range names no row; it becomes
    -1 (ids are positive) rather than an SQL error, as the ORM's lookups behave."""
    if value is None or -(2**63) <= value < 2**63:
        return value
    return -1


def claim_one(*, user, lead_id: int, pool_id: int | None, now: datetime) -> Lead:
    params = (user.pk, now, LOCK_TIMEOUT, _row_id(lead_id), _row_id(pool_id))
    return _claimed(_claim(CLAIM_ONE, params, empty="taken"), user)


def claim_next(*, user, pool_id: int, now: datetime) -> Lead:
    params = (user.pk, now, LOCK_TIMEOUT, _row_id(pool_id))
    return _claimed(_claim(CLAIM_NEXT, params, empty="empty"), user)


def _claimed(lead: Lead, user) -> Lead:
    Lead.owner.field.set_cached_value(lead, user)  # lead.owner without a query
    return lead
