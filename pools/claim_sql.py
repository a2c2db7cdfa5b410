"""A claim on PostgreSQL: every pull restriction, the pick, the conditional UPDATE and the
timeline event in ONE round trip.

With 50 reps claiming at once on a 2-core machine, what queues them is each claim's CPU,
and the ORM version spent ~10 ms of Python per claim compiling eight queries. Here the
claim is three statements sent as one batch (psycopg's client-side binding), which
PostgreSQL runs as one implicit transaction:

1. `set_config('lock_timeout', …, true)`: a stuck lock becomes a clear "try again" (and
   the plan cache mode of statement 3, see `_Prepared`);
2. the rep's profile row, `FOR UPDATE`: two claims by one rep queue here, so they cannot
   both slip under a cap. Lock order is always profile → lead, so claims cannot deadlock;
3. one prepared statement of CTEs that reads the rep's counters and the pool's rules, decides which
   restriction blocks (if any), picks the lead (`FOR UPDATE SKIP LOCKED` for Claim next, so
   N concurrent reps lock N different leads), moves it with a conditional UPDATE
   (`… AND status = 'pooled' AND pool_id = … AND owner_id IS NULL`: exactly one claimer
   wins) and inserts the `claimed` LeadEvent for the row the UPDATE returned.

Statement 3 is a separate statement so that, under READ COMMITTED, it takes its snapshot
*after* statement 2 got the profile lock: it sees the claims the rep's other tab just
committed. (Inside one statement the snapshot predates the lock wait and a cap could be
overrun.) The verdict comes back as a code; `claim_errors.refusal` words it.

The rules are the same as the per-statement path in `claim_orm` (SQLite), and the
restriction tests run against both paths.
"""

from __future__ import annotations

import hashlib
import weakref
from contextlib import nullcontext
from datetime import datetime

from django.db import ProgrammingError, connection, transaction
from psycopg import errors

from . import live as pool_live
from .claim_errors import refusal
from .claim_statements import (
    CLAIM_NEXT_SQL,
    CLAIM_ONE_SQL,
    LEAD_ATTNAMES,
    LEAD_CONVERTERS,
    SETUP_SQL,
)
from .models import Lead

LOCK_TIMEOUT = "5s"

class _Prepared:
    """Statement 3 as a server-side prepared statement, planned once per connection.

    Planning these CTEs costs PostgreSQL a few milliseconds, more than executing them: on a
    busy 2-core machine that CPU queued claims as much as the ORM's Python did. So each
    connection PREPAREs the statement (in the same batch as its first claim) and every
    claim EXECUTEs it with `plan_cache_mode = force_generic_plan`: one plan, reused, with
    the pick on the pool's ordering index whatever the parameters."""

    def __init__(self, name: str, body: str, args: tuple[tuple[str, str], ...]):
        for i, (arg, _) in enumerate(args, 1):
            body = body.replace(f"%({arg})s", f"${i}")
        assert "%(" not in body, "every parameter must be declared"
        # The name carries the text's hash: a changed statement is never confused with
        # one prepared from an older text.
        self.name = f"lr_{name}_{hashlib.sha1(body.encode()).hexdigest()[:10]}"
        self.prepare = f"PREPARE {self.name} ({', '.join(t for _, t in args)}) AS {body}"
        self.execute = f"EXECUTE {self.name} ({', '.join(f'%({a})s' for a, _ in args)})"


CLAIM_NEXT = _Prepared(
    "claim_next", CLAIM_NEXT_SQL, (("user", "bigint"), ("now", "timestamptz"), ("pool", "bigint"))
)
CLAIM_ONE = _Prepared(
    "claim_one",
    CLAIM_ONE_SQL,
    (("user", "bigint"), ("now", "timestamptz"), ("lead", "bigint"), ("want_pool", "bigint")),
)

# Raw connections (psycopg) on which the statements above are prepared.
_prepared_on: weakref.WeakSet = weakref.WeakSet()


def _batch(statement: _Prepared, params: dict) -> tuple:
    connection.ensure_connection()
    raw = connection.connection
    fresh = raw not in _prepared_on
    parts = [SETUP_SQL, *([statement.prepare] if fresh else []), statement.execute]
    # Inside a caller's transaction, a savepoint keeps a failed claim (lock timeout) from
    # poisoning it. Alone, the batch is its own implicit transaction: no BEGIN, no
    # COMMIT, one round trip.
    block = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with block, connection.cursor() as cursor:
        cursor.execute(";\n".join(parts), params)
        for _ in range(len(parts)):  # set_config, the profile lock[, PREPARE]
            cursor.nextset()
        row = cursor.fetchone()
    _prepared_on.add(raw)
    return row


def _run(statement: _Prepared, params: dict) -> tuple:
    try:
        return _batch(statement, params)
    except ProgrammingError as exc:
        # Our bookkeeping disagrees with the session (a pooler ran DISCARD ALL, or a
        # failed batch kept its PREPARE): correct it and try once more.
        raw = connection.connection
        if isinstance(exc.__cause__, errors.DuplicatePreparedStatement):
            _prepared_on.add(raw)
        elif isinstance(exc.__cause__, errors.InvalidSqlStatementName):
            _prepared_on.discard(raw)
        else:
            raise
        return _batch(statement, params)


def _claim(statement: _Prepared, params: dict, *, empty: str) -> Lead:
    row = _run(statement, params)
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
    ) = row[:13], list(row[13:])
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
    for i, field in LEAD_CONVERTERS:
        values[i] = field.from_db_value(values[i], None, connection)
    lead = Lead.from_db(connection.alias, LEAD_ATTNAMES, values)
    # Reps watching the pool see the lead leave (after commit: at once when the batch
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
