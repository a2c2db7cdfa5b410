"""The claim function's own mechanics: which claims lock the rep's profile, lock order,
lock timeout, and installing the functions. Other connections are real psycopg
connections."""

import threading
import time

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role, has_role
from pools.lifecycle import LeadState
from pools.models import Pool
from pools.pull import claim as claim_service
from pools.pull.claim import BUSY, ClaimError, pool_claim_next
from pools.pull.claim_functions import CLAIM_NEXT, FUNCTIONS, install
from tests.factories import PoolFactory
from tests.pool_helpers import pooled


def _other_connection() -> psycopg.Connection:
    return psycopg.connect(**connection.get_connection_params())


def _capped(rep):
    """Give the rep a claim cap: their claims now lock their profile row."""
    rep.rep_profile.max_claims_per_day = 100
    rep.rep_profile.save(update_fields=["max_claims_per_day"])
    return rep


def _hold_profile_lock(rep) -> psycopg.Connection:
    other = _other_connection()
    other.execute(
        "SELECT 1 FROM accounts_repprofile WHERE user_id = %s FOR UPDATE", [rep.pk]
    ).fetchall()
    return other  # in a transaction until rolled back


def _blocked_by(holder: psycopg.Connection, timeout: float = 10) -> None:
    """Wait until a session is queued on a lock that `holder` holds, as PostgreSQL itself
    reports it (no sleep that a slow machine could outrun)."""
    deadline = time.monotonic() + timeout
    with _other_connection() as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [holder.info.backend_pid],
            ).fetchone()[0]
            probe.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("no session queued on the held lock")


@pytest.mark.django_db(transaction=True)
def test_a_capped_claim_takes_the_profile_lock_before_any_lead_lock(rep, team):
    _capped(rep)
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    lead = pooled(pool)
    holder = _hold_profile_lock(rep)
    result = {}

    def claim():
        try:
            result["lead"] = pool_claim_next(user=rep, pool_id=pool.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=claim)
    thread.start()
    try:
        _blocked_by(holder)  # the claim is now queued on the rep's profile…
        # …holding nothing on the lead: another session can lock it without waiting.
        with _other_connection() as probe:
            rows = probe.execute(
                "SELECT id FROM pools_lead WHERE id = %s FOR UPDATE NOWAIT", [lead.pk]
            ).fetchall()
            assert rows == [(lead.pk,)]
            probe.rollback()
    finally:
        holder.rollback()
        holder.close()
        thread.join(timeout=10)
    assert result["lead"].pk == lead.pk


@pytest.fixture
def stuck(rep, team, monkeypatch):
    """A capped rep whose profile another session holds locked, a short lock timeout,
    and a blind pool with one lead: (pool, lead, the holding connection)."""
    monkeypatch.setattr(claim_service, "LOCK_TIMEOUT", "200ms")
    _capped(rep)
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    return pool, pooled(pool), _hold_profile_lock(rep)


@pytest.mark.django_db(transaction=True)
def test_a_stuck_profile_lock_is_a_calm_try_again(rep, stuck):
    pool, lead, holder = stuck
    try:
        with pytest.raises(ClaimError) as exc:
            pool_claim_next(user=rep, pool_id=pool.pk)
        assert exc.value.message == BUSY
        # Nothing half-done, and the connection still works.
        lead.refresh_from_db()
        assert lead.status == LeadState.POOLED and lead.owner_id is None
    finally:
        holder.rollback()
        holder.close()
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == lead.pk


@pytest.mark.django_db(transaction=True)
def test_a_timed_out_claim_inside_a_transaction_leaves_it_usable(rep, stuck):
    pool, lead, holder = stuck
    try:
        with transaction.atomic():
            with pytest.raises(ClaimError):
                pool_claim_next(user=rep, pool_id=pool.pk)
            holder.rollback()
            # Only the claim's savepoint rolled back: the caller's transaction goes on.
            assert pool_claim_next(user=rep, pool_id=pool.pk).pk == lead.pk
    finally:
        holder.close()
    lead.refresh_from_db()
    assert lead.owner_id == rep.pk


@pytest.mark.django_db(transaction=True)
def test_a_claim_waiting_on_postgresql_lets_the_servers_other_threads_run(rep, stuck):
    """A claim queued on a lock must wait without the GIL, or it would freeze every thread
    of the server."""
    pool, _lead, holder = stuck
    claim_service.LOCK_TIMEOUT = "2s"  # (monkeypatched by `stuck`: restored after the test)
    outcome = {}

    def claim():
        try:
            pool_claim_next(user=rep, pool_id=pool.pk)
        except ClaimError as exc:
            outcome["message"] = exc.message
        finally:
            connection.close()

    thread = threading.Thread(target=claim)
    thread.start()
    try:
        _blocked_by(holder)  # the claim is now waiting for the rep's profile lock
        spins, stop = 0, time.perf_counter() + 0.3
        while time.perf_counter() < stop:
            spins += 1
        _blocked_by(holder, timeout=0.5)  # still waiting all along
        assert spins > 10_000  # this thread ran meanwhile (held GIL: a handful at most)
    finally:
        thread.join(timeout=10)
        holder.rollback()
        holder.close()
    assert outcome["message"] == BUSY


@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_is_a_calm_try_again_and_the_next_request_reconnects(rep, team):
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    first, second = pooled(pool), pooled(pool)
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == first.pk
    with _other_connection() as other:  # the server drops this process's connection
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    with pytest.raises(ClaimError) as exc:
        pool_claim_next(user=rep, pool_id=pool.pk)
    assert exc.value.message == BUSY
    connection.close_if_unusable_or_obsolete()  # what the end of a request does
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == second.pk


@pytest.mark.django_db(transaction=True)
def test_a_rep_without_caps_is_not_serialised_on_their_profile(rep, team):
    """Nothing to overshoot, so nothing to wait for: a held profile lock does not delay a
    claim by a rep without claim or untouched caps."""
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    lead = pooled(pool)
    holder = _hold_profile_lock(rep)
    try:
        assert pool_claim_next(user=rep, pool_id=pool.pk).pk == lead.pk
    finally:
        holder.rollback()
        holder.close()


def _installed() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname FROM pg_proc WHERE proname ~ '^lr_(claim|pools)_'")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_missing_claim_functions_are_installed_on_first_use(rep, team):
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    lead = pooled(pool)
    assert _installed() == {f.name for f in FUNCTIONS}  # installed by migrate
    with connection.cursor() as cursor:  # a database restored without them
        for function in FUNCTIONS:
            cursor.execute(f"DROP FUNCTION {function.name}")
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == lead.pk
    assert _installed() == {f.name for f in FUNCTIONS}


@pytest.mark.django_db(transaction=True)
def test_a_claim_function_dropped_under_a_live_session_is_reinstalled(rep, team):
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    first, second = pooled(pool), pooled(pool)
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == first.pk  # planned in session
    with connection.cursor() as cursor:  # a restore, say
        cursor.execute(f"DROP FUNCTION {CLAIM_NEXT.name}")
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == second.pk
    assert _installed() == {f.name for f in FUNCTIONS}


@pytest.mark.django_db(transaction=True)
def test_install_leaves_older_versions_to_the_processes_still_running_them():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION lr_claim_next_0000000000(p_user bigint) RETURNS int"
            " LANGUAGE sql AS 'SELECT 1'"
        )
    install()
    assert _installed() == {f.name for f in FUNCTIONS} | {"lr_claim_next_0000000000"}


@pytest.mark.django_db(transaction=True)
def test_install_works_where_the_tables_do_not_exist_yet():
    """As after `migrate pools zero`: the scope's SQL body names tables that are gone."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA lr_empty")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL search_path TO lr_empty")
            install()
            cursor.execute(
                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = 'lr_empty'"
            )
            assert cursor.fetchone()[0] == len(FUNCTIONS)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA lr_empty CASCADE")


@pytest.mark.django_db(transaction=True)
def test_a_claim_is_seen_by_query_capture_and_execute_wrappers(rep, team):
    """The call is an ordinary query to Django (query counts in tests, DEBUG's log,
    execute wrappers), and the claim itself is one statement."""
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    first, second = pooled(pool), pooled(pool)
    assert has_role(rep, Role.REP)  # as the view's role check does first (cached on rep)
    with CaptureQueriesContext(connection) as captured:
        assert pool_claim_next(user=rep, pool_id=pool.pk).pk == first.pk
    sqls = [q["sql"] for q in captured.captured_queries]
    # Counted, and the claim is one statement; its `claimed` event's announcement (the
    # webhook outbox's call, routing.webhooks) commits with it in one transaction.
    assert [s for s in sqls if CLAIM_NEXT.name in s] == sqls[1:2]
    assert sqls[0] == "BEGIN" and sqls[-1] == "COMMIT" and len(sqls) == 4
    assert "webhook_outbox" in sqls[2]
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert pool_claim_next(user=rep, pool_id=pool.pk).pk == second.pk
    assert [sql for sql in seen if CLAIM_NEXT.name in sql]


@pytest.mark.django_db
def test_the_claimed_lead_defers_what_the_claim_did_not_return(rep, team):
    pool = PoolFactory(team=team)
    lead = pooled(pool)
    claimed = pool_claim_next(user=rep, pool_id=pool.pk)
    assert claimed.status == LeadState.ASSIGNED and claimed.owner == rep
    assert "email" in claimed.get_deferred_fields()
    assert claimed.email == lead.email  # a deferred field loads when read
