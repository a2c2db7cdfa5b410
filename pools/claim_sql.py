"""A claim on PostgreSQL: one call of a PL/pgSQL function (`pools.claim_statements`) that
checks every pull restriction, picks the lead, runs the conditional UPDATE and inserts the
timeline event, in one round trip and, outside a caller's transaction, one implicit
transaction of its own.

With 50 reps claiming at once on a 2-core machine, what queues them is each claim's CPU:
the ORM version spent ~10 ms of Python per claim compiling eight queries, and a single
statement of CTEs cost PostgreSQL ~15 ms of planning on every new connection.

The rules are the same as the per-statement path in `claim_orm` (SQLite), and the
restriction tests run against both paths.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from datetime import datetime

import psycopg
from django.db import DEFAULT_DB_ALIAS, ProgrammingError, connection, connections, transaction
from psycopg import errors

from . import live as pool_live
from .claim_errors import refusal
from .claim_statements import (
    CLAIM_NEXT,
    CLAIM_ONE,
    FUNCTIONS,
    LEAD_ATTNAMES,
    ClaimFunction,
)
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


def _cursor(conn):
    # Django's own wrapping (error translation, query logging and execute wrappers, so
    # tests still count this query), around a psycopg cursor of our choosing, kept for the
    # connection's life: a claim is one execute and one fetch, and making the cursor
    # cost as much Python as reading the row. (A connection belongs to one thread.)
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    raw = conn.connection
    kept = getattr(conn, "_lr_claim_cursor", None)
    if kept is None or kept.connection is not raw or kept.closed:
        kept = conn._lr_claim_cursor = _PreparedCursor(raw)
    return conn._prepare_cursor(kept)


def _call(conn, function: ClaimFunction, params: dict) -> tuple:
    # Inside a caller's transaction, a savepoint keeps a failed claim (lock timeout) from
    # poisoning it. Alone, the call is its own implicit transaction: no BEGIN, no COMMIT.
    block = transaction.atomic(using=conn.alias) if conn.in_atomic_block else nullcontext()
    with block:
        cursor = _cursor(conn)  # not closed: kept for the next claim
        cursor.execute(function.call, params)
        return cursor.fetchone()


def _run(conn, function: ClaimFunction, params: dict) -> tuple:
    try:
        return _call(conn, function, params)
    except ProgrammingError as exc:
        # A database migrated before this code (or restored without the functions).
        if not isinstance(exc.__cause__, errors.UndefinedFunction):
            raise
    with _install_lock:
        install(conn)
    return _call(conn, function, params)


def _claim(function: ClaimFunction, params: dict, *, empty: str) -> Lead:
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
    ) = row[:13], row[13:]
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
    lead = Lead.from_db(conn.alias, LEAD_ATTNAMES, values)
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


def _params(*, user, now: datetime, **extra) -> dict:
    ids = {name: _row_id(value) for name, value in extra.items()}
    return {"user": user.pk, "now": now, "lock_timeout": LOCK_TIMEOUT, **ids}


def claim_one(*, user, lead_id: int, pool_id: int | None, now: datetime) -> Lead:
    params = _params(user=user, now=now, lead=lead_id, want_pool=pool_id)
    lead = _claim(CLAIM_ONE, params, empty="taken")
    lead.owner = user
    return lead


def claim_next(*, user, pool_id: int, now: datetime) -> Lead:
    lead = _claim(CLAIM_NEXT, _params(user=user, now=now, pool=pool_id), empty="empty")
    lead.owner = user
    return lead
