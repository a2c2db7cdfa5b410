"""Races settled by PostgreSQL: real threads, each on its own connection."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import Lead
from routing.models import Offer, RoutingRule
from routing.offers.services import OfferError, offer_accept, offer_expire, offers_expire_due
from tests.factories import PoolFactory, make_rep

from .conftest import online

pytestmark = pytest.mark.django_db(transaction=True)

ACCEPTERS, ROUNDS = 50, 200  # the figures


def _run_together(n, rounds, action):
    """action(i, round) in n threads released at once each round; results or exceptions.
    The threads (each with its own connection) live through every round, a barrier
    starting each round and another ending it, so 200 rounds of 50 cost no new threads or
    connections."""
    barrier = threading.Barrier(n)
    results = [[None] * n for _ in range(rounds)]

    def worker(i):
        try:
            for r in range(rounds):
                barrier.wait(timeout=60)
                try:
                    results[r][i] = action(i, r)
                except Exception as exc:  # recorded, asserted on below
                    results[r][i] = exc
                barrier.wait(timeout=60)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return results


def _offered(rule, recipients, n, *, seconds=600):
    """n leads under an open offer each, made straight in the tables (no timer task); the
    i-th expires i seconds after the first."""
    now = timezone.now()
    leads = Lead.objects.bulk_create(
        [Lead(status=LeadState.OFFERED, email=f"o{i}@example.test") for i in range(n)]
    )
    return Offer.objects.bulk_create(
        [
            Offer(
                lead=lead,
                rule=rule,
                method=rule.offer_method,
                recipient_ids=[r.pk for r in recipients],
                plan={"steps": [{"reps": [r.pk for r in recipients], "seconds": seconds}]},
                sent_at=now,
                expires_at=now + timedelta(seconds=seconds + i),
            )
            for i, lead in enumerate(leads)
        ]
    )


def test_simultaneous_accepts_of_one_offer_have_exactly_one_winner(team, offer_rule):
    accepters, rounds = ACCEPTERS, ROUNDS
    started = time.monotonic()
    reps = [make_rep(team=team) for _ in range(accepters)]
    online(*reps)
    rule = offer_rule(RoutingRule.OfferMethod.SHOTGUN)
    offers = _offered(rule, reps, rounds)

    results = _run_together(
        accepters, rounds, lambda i, r: offer_accept(offer_id=offers[r].pk, user=reps[i])
    )

    for r, offer in enumerate(offers):
        wins = [x for x in results[r] if isinstance(x, Lead)]
        calm = [x for x in results[r] if isinstance(x, OfferError)]
        assert len(wins) == 1, results[r]
        assert len(calm) == accepters - 1, [x for x in results[r] if x not in wins + calm]
        assert {x.message for x in calm} == {"Someone else took it."}
        offer.refresh_from_db()
        lead = Lead.objects.get(pk=offer.lead_id)
        assert offer.state == "accepted" and offer.winner_id == wins[0].owner_id == lead.owner_id
        assert lead.status == LeadState.ASSIGNED
        assert offer.responses.count() == 1
        assert lead.events.filter(from_state=LeadState.OFFERED).count() == 1
    print(f"{rounds} rounds of {accepters} accepts in {time.monotonic() - started:.1f} s")


def test_accept_racing_expiry_and_the_sweep_has_one_outcome(team, offer_rule):
    rounds = 40
    reps = [make_rep(team=team) for _ in range(2)]
    online(*reps)
    pool = PoolFactory(team=team)
    rule = offer_rule(
        RoutingRule.OfferMethod.SHOTGUN,
        fallback=RoutingRule.Fallback.POOL,
        fallback_pool=pool,
    )
    offers = _offered(rule, reps, rounds, seconds=60)

    def contender(i, r):
        offer = offers[r]
        # Each contender is right by its own clock: the accepts a millisecond before the
        # expiry, the timer and the sweep at it. Only the row lock decides.
        if i < 2:
            return offer_accept(
                offer_id=offer.pk, user=reps[i], now=offer.expires_at - timedelta(milliseconds=1)
            )
        if i == 2:
            return offer_expire(offer_id=offer.pk, now=offer.expires_at).outcome
        return offers_expire_due(now=offer.expires_at)

    results = _run_together(4, rounds, contender)

    outcomes = set()
    for r, offer in enumerate(offers):
        offer.refresh_from_db()
        lead = Lead.objects.get(pk=offer.lead_id)
        accepted = [x for x in results[r][:2] if isinstance(x, Lead)]
        assert lead.events.filter(from_state=LeadState.OFFERED).count() == 1, results[r]
        if offer.state == "accepted":
            assert len(accepted) == 1 and lead.owner_id == accepted[0].owner_id
            assert results[r][2] == "closed" and results[r][3] == (0, True)
        else:
            assert offer.state == "expired" and not accepted, results[r]
            assert lead.status == LeadState.POOLED and lead.pool_id == pool.pk
            expired_by_timer = results[r][2].startswith("expired")
            assert expired_by_timer + results[r][3][0] == 1  # the timer or the sweep, once
        outcomes.add(offer.state)
    assert not Offer.objects.filter(state="open").exists()
    print("outcomes seen:", outcomes)  # both, usually; either is a valid run


def test_a_rep_accepting_two_offers_from_two_tabs_is_held_to_their_cap(team, offer_rule):
    rep = make_rep(team=team, max_per_day=3)
    online(rep)
    rule = offer_rule(RoutingRule.OfferMethod.SHOTGUN)
    offers = _offered(rule, [rep], 10)
    started = time.monotonic()

    results = _run_together(10, 1, lambda i, r: offer_accept(offer_id=offers[i].pk, user=rep))

    assert sum(isinstance(x, Lead) for x in results[0]) == 3, results[0]
    refused = [x for x in results[0] if isinstance(x, OfferError)]
    assert len(refused) == 7 and all("Cap reached" in x.message for x in refused)
    assert Lead.objects.filter(owner=rep).count() == 3
    assert Offer.objects.filter(state="open").count() == 7  # still open for others
    assert time.monotonic() - started < 60


def test_parallel_routers_rotate_a_sequential_offers_first_rep_evenly(team, offer_rule):
    from collections import Counter

    from tests.routing.engine.test_concurrency import _in_threads, _route_each, _screened

    reps = [make_rep(team=team) for _ in range(5)]
    online(*reps)
    offer_rule(RoutingRule.OfferMethod.SEQUENTIAL)
    ids = _screened(60)

    _in_threads(_route_each, [ids[i::4] for i in range(4)])

    firsts = Counter(
        first
        for (first, *_) in Offer.objects.filter(step=0).values_list("recipient_ids", flat=True)
    )
    assert Lead.objects.filter(status=LeadState.OFFERED).count() == 60
    # The rotation row is locked per lead: every rep starts exactly as often.
    assert sorted(firsts.values()) == [12] * 5, firsts
