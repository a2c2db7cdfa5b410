"""A claim's cost stays flat as data grows: the claim functions' statements read about the
same number of pages whatever the size of the rep's history or of other pools.

Counted by PostgreSQL itself (auto_explain's buffer counts of the call, which include
every statement the function runs), not timed: page reads are what a generic plan that
scans too much gives away, and they do not depend on the machine's load."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent, Pool
from pools.pull.claim import PoolEmpty, lead_claim, pool_claim_next
from tests.factories import LeadFactory, LeadSourceFactory, PoolFactory
from tests.pool_helpers import pooled

pytestmark = pytest.mark.django_db(transaction=True)


def _pages_read(claim) -> int:
    """Shared buffers (hit + read) a claim call touched, in a new session (its generic
    plans are made against the statistics as they are now) that has claimed once before
    (the first call's catalog lookups are not what is compared)."""
    connection.close()
    _claim_quietly(claim)
    notices: list[str] = []

    def keep(diagnostic):
        notices.append(diagnostic.message_primary or "")

    with connection.cursor() as cursor:
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_analyze = on",
            "SET auto_explain.log_buffers = on",
            "SET auto_explain.log_timing = off",
            "SET auto_explain.log_level = notice",
        ):
            cursor.execute(setting)
    connection.connection.add_notice_handler(keep)
    try:
        _claim_quietly(claim)
    finally:
        connection.connection.remove_notice_handler(keep)
        connection.close()
    (call,) = [n for n in notices if "lr_claim_" in n]
    top = re.search(r"Buffers: shared ([^\n]*)", call).group(1)  # the plan's top node
    return sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", top))


def _claim_quietly(claim) -> None:
    try:
        claim()
    except PoolEmpty:
        pass


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE pools_lead, pools_leadevent")


def _pooled_recently(pool, n: int, sources=(None,)) -> list[Lead]:
    """n leads pooled in the last n seconds, the newest last (their sources in turn)."""
    now = timezone.now()
    return Lead.objects.bulk_create(
        _lead(
            i,
            status=LeadState.POOLED,
            pool=pool,
            team=pool.team,
            source=sources[i % len(sources)],
            pooled_at=now - timedelta(seconds=n - i),
        )
        for i in range(n)
    )


def _past_leads(rep, n: int) -> list[Lead]:
    """n leads the rep owned and lost long ago."""
    team = rep.rep_profile.team
    return Lead.objects.bulk_create(
        _lead(i, status=LeadState.LOST, owner=rep, team=team) for i in range(n)
    )


def _lead(i: int, **fields) -> Lead:
    # Thousands per test: the factory's lead, given the fields it would fake (Faker's names
    # cost seconds at this count).
    return LeadFactory.build(
        first_name=f"First{i}", last_name=f"Last{i}", company=f"Company {i}", **fields
    )


def _history(rep, leads: list[Lead]) -> None:
    """Five events by the rep on each lead."""
    when = timezone.now() - timedelta(days=90)
    LeadEvent.objects.bulk_create(
        LeadEvent(lead=lead, kind=kind, actor=rep, owner=rep, created_at=when)
        for lead in leads
        for kind in ("assigned", "touch", "note", "note", "disposition")
    )


def test_claims_read_no_more_pages_when_the_reps_history_grows(rep, team):
    # A busy cooldown pool whose leads all arrived recently: every candidate is checked
    # for "did this rep own it before?".
    pool = PoolFactory(team=team, claim_cooldown_hours=24)
    leads = iter(_pooled_recently(pool, 2000)[::-1])  # claim one: the newest first

    def claim_next():
        pool_claim_next(user=rep, pool_id=pool.pk)

    def claim_one():
        lead_claim(user=rep, lead_id=next(leads).pk, pool_id=pool.pk)

    # The tables keep their size (and their indexes their depth); the rep's history
    # grows tenfold.
    past = _past_leads(rep, 3000)
    _history(rep, past[:300])
    _analyze()
    small_next, small_one = _pages_read(claim_next), _pages_read(claim_one)
    _history(rep, past[300:])
    _analyze()
    big_next, big_one = _pages_read(claim_next), _pages_read(claim_one)
    assert Lead.objects.filter(owner=rep, status=LeadState.ASSIGNED).count() == 8
    # The same pages: not the pages of ten times as many events.
    assert big_next <= small_next + 6, (small_next, big_next)
    assert big_one <= small_one + 6, (small_one, big_one)


def test_an_empty_pool_is_told_empty_without_reading_other_pools(rep, team):
    empty = PoolFactory(team=team)
    busy = PoolFactory(team=team)
    pooled(busy)
    few = _pages_read(lambda: pool_claim_next(user=rep, pool_id=empty.pk))
    _pooled_recently(busy, 4000)
    _analyze()
    many = _pages_read(lambda: pool_claim_next(user=rep, pool_id=empty.pk))
    with pytest.raises(PoolEmpty):
        pool_claim_next(user=rep, pool_id=empty.pk)
    assert many <= few + 6, (few, many)
    assert Pool.objects.get(pk=busy.pk).is_active


def test_claim_next_reads_the_pools_first_leads_not_the_whole_pool(rep, team):
    # Statistics as a live system has them: several pools and a handful of sources. A
    # generic plan once read that as "few leads pass the source filter" and chose to
    # fetch the whole pool and sort it on every claim (3× a claim's CPU, growing with
    # the pool) instead of walking the pool's index to its first free lead.
    sources = [LeadSourceFactory() for _ in range(3)]
    for _ in range(8):
        _pooled_recently(PoolFactory(team=team), 300, sources)
    pool = PoolFactory(team=team)
    _pooled_recently(pool, 300, sources)
    _analyze()
    small = _pages_read(lambda: pool_claim_next(user=rep, pool_id=pool.pk))
    _pooled_recently(pool, 3000, sources)
    _analyze()
    big = _pages_read(lambda: pool_claim_next(user=rep, pool_id=pool.pk))
    assert Lead.objects.filter(owner=rep, status=LeadState.ASSIGNED).count() == 4
    assert big <= small + 6, (small, big)


def test_claim_next_with_filters_walks_the_pools_index_not_the_whole_pool(rep, team):
    """The rep's filters are a condition on the index walk, not a reason to fetch and sort
    the pool: a filter that its first leads match reads the same pages at 300 or 3,300."""
    from pools.pull.selectors import PoolFilters

    sources = [LeadSourceFactory() for _ in range(3)]
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    filters = PoolFilters.from_params({"source": str(sources[1].pk)}, pool=pool)
    _pooled_recently(pool, 300, sources)
    _analyze()
    small = _pages_read(lambda: pool_claim_next(user=rep, pool_id=pool.pk, filters=filters))
    _pooled_recently(pool, 3000, sources)
    _analyze()
    big = _pages_read(lambda: pool_claim_next(user=rep, pool_id=pool.pk, filters=filters))
    claimed = Lead.objects.filter(owner=rep, status=LeadState.ASSIGNED)
    assert claimed.count() == 4 and set(claimed.values_list("source", flat=True)) == {sources[1].pk}
    assert big <= small + 6, (small, big)
