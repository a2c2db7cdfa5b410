"""The PostgreSQL claim path's own mechanics: lock order, lock timeout, and the prepared
statements it keeps per connection. Other connections are real psycopg connections."""

import threading
import time

import psycopg
import pytest
from django.db import connection, transaction

from pools import claim_sql
from pools.claiming import BUSY, ClaimError, pool_claim_next
from pools.lifecycle import LeadState
from pools.models import Lead, Pool
from tests.factories import PoolFactory
from tests.pool_helpers import pooled


def _other_connection() -> psycopg.Connection:
    return psycopg.connect(**connection.get_connection_params())


def _hold_profile_lock(rep) -> psycopg.Connection:
    other = _other_connection()
    other.execute(
        "SELECT 1 FROM accounts_repprofile WHERE user_id = %s FOR UPDATE", [rep.pk]
    ).fetchall()
    return other  # in a transaction until rolled back


@pytest.mark.django_db(transaction=True)
def test_claim_takes_the_profile_lock_before_any_lead_lock(rep, team):
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
        time.sleep(0.5)  # the claim is now queued on the rep's profile
        assert thread.is_alive()
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


@pytest.mark.django_db(transaction=True)
def test_a_stuck_profile_lock_is_a_calm_try_again(rep, team, monkeypatch):
    monkeypatch.setattr(claim_sql, "LOCK_TIMEOUT", "200ms")
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    lead = pooled(pool)
    holder = _hold_profile_lock(rep)
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
def test_a_timed_out_claim_inside_a_transaction_leaves_it_usable(rep, team, monkeypatch):
    monkeypatch.setattr(claim_sql, "LOCK_TIMEOUT", "200ms")
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    lead = pooled(pool)
    holder = _hold_profile_lock(rep)
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


@pytest.mark.django_db
def test_claims_survive_a_session_that_lost_its_prepared_statements(rep, team):
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    first, second, third = (
        pooled(pool, age_minutes=3),
        pooled(pool, age_minutes=2),
        pooled(pool, age_minutes=1),
    )
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == first.pk
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a connection pooler's reset may do
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == second.pk
    # The opposite: prepared on the server, forgotten by us.
    claim_sql._prepared_on.discard(connection.connection)
    assert pool_claim_next(user=rep, pool_id=pool.pk).pk == third.pk
    assert Lead.objects.filter(owner=rep).count() == 3
