"""Races settled by PostgreSQL: real threads, each on its own connection."""

import threading

import pytest
from django.db import connection

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent, Pool
from pools.pull.claim import ClaimRestricted, LeadTaken, PoolEmpty, lead_claim, pool_claim_next
from tests.factories import PoolFactory, make_rep
from tests.pool_helpers import pooled, pooled_many

CLAIMERS = 50
ROUNDS = 10


def _run_together(users, rounds, action):
    """Run action(user, round) in one thread per user, all released at once each round."""
    barrier = threading.Barrier(len(users))
    results = [[None] * len(users) for _ in range(rounds)]

    def worker(i, user):
        try:
            for r in range(rounds):
                barrier.wait(timeout=60)
                try:
                    results[r][i] = action(user, r)
                except Exception as exc:  # recorded, asserted on below
                    results[r][i] = exc
                barrier.wait(timeout=60)  # everyone done before the next round is set up
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, u)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_fifty_reps_claiming_one_lead_exactly_one_wins_every_round(team):
    reps = [make_rep(team=team) for _ in range(CLAIMERS)]
    pool = PoolFactory(team=team, claim_cooldown_hours=0)
    leads = [pooled(pool) for _ in range(ROUNDS)]

    results = _run_together(reps, ROUNDS, lambda rep, r: lead_claim(user=rep, lead_id=leads[r].pk))

    for r, lead in enumerate(leads):
        wins = [x for x in results[r] if isinstance(x, Lead)]
        taken = [x for x in results[r] if isinstance(x, LeadTaken)]
        assert len(wins) == 1, results[r]
        others = [x for x in results[r] if not isinstance(x, (Lead, LeadTaken))]
        assert len(taken) == CLAIMERS - 1, others
        lead.refresh_from_db()
        assert lead.status == LeadState.ASSIGNED and lead.owner_id == wins[0].owner_id
        assert lead.events.filter(kind=LeadEvent.Kind.CLAIMED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_fifty_reps_claim_next_on_fifty_lead_blind_pool_get_fifty_distinct_leads(team):
    reps = [make_rep(team=team) for _ in range(CLAIMERS)]
    pools = [PoolFactory(team=team, mode=Pool.Mode.BLIND) for _ in range(2)]
    for pool in pools:
        pooled_many(pool, CLAIMERS)

    results = _run_together(
        reps, len(pools), lambda rep, r: pool_claim_next(user=rep, pool_id=pools[r].pk)
    )

    for r, pool in enumerate(pools):
        got = results[r]
        assert all(isinstance(x, Lead) for x in got), [x for x in got if not isinstance(x, Lead)]
        assert len({lead.pk for lead in got}) == CLAIMERS  # nobody got two, nobody none
        assert not Lead.objects.filter(pool=pool, status=LeadState.POOLED).exists()
        owners = Lead.objects.filter(pk__in=[x.pk for x in got]).values_list("owner", flat=True)
        assert sorted(owners) == sorted(rep.pk for rep in reps)


@pytest.mark.django_db(transaction=True)
def test_daily_cap_holds_when_one_rep_claims_from_many_tabs_at_once(team):
    rep = make_rep(team=team, max_claims_per_day=3)
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    pooled_many(pool, 10)
    tabs = [rep] * 10

    results = _run_together(tabs, 1, lambda user, r: pool_claim_next(user=user, pool_id=pool.pk))

    assert sum(isinstance(x, Lead) for x in results[0]) == 3
    assert sum(isinstance(x, ClaimRestricted) for x in results[0]) == 7
    assert Lead.objects.filter(owner=rep).count() == 3
    assert not any(isinstance(x, PoolEmpty) for x in results[0])


@pytest.mark.django_db(transaction=True)
def test_fifty_reps_claim_next_with_filters_get_fifty_distinct_matching_leads(team):
    """Claim next with the rep's filters keeps SKIP LOCKED's exactly-once: fifty reps at
    once, a pool where every other lead matches, fifty different matching leads."""
    from pools.pull.selectors import PoolFilters

    reps = [make_rep(team=team) for _ in range(CLAIMERS)]
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    for i in range(CLAIMERS * 2):
        pooled(pool, industry="pet_shop" if i % 2 else "computers", age_minutes=CLAIMERS * 2 - i)
    filters = PoolFilters.from_params({"industry": "Pet"}, pool=pool)

    (got,) = _run_together(
        reps, 1, lambda rep, r: pool_claim_next(user=rep, pool_id=pool.pk, filters=filters)
    )

    assert all(isinstance(x, Lead) for x in got), [x for x in got if not isinstance(x, Lead)]
    assert len({lead.pk for lead in got}) == CLAIMERS
    claimed = Lead.objects.filter(pk__in=[x.pk for x in got])
    assert set(claimed.values_list("industry", flat=True)) == {"pet_shop"}
    assert sorted(claimed.values_list("owner", flat=True)) == sorted(rep.pk for rep in reps)
    left = Lead.objects.filter(pool=pool, status=LeadState.POOLED)
    assert set(left.values_list("industry", flat=True)) == {"computers"}
    assert LeadEvent.objects.filter(lead__in=claimed, kind=LeadEvent.Kind.CLAIMED).count() == 50
