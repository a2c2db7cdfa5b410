"""Races settled by PostgreSQL: real threads, each on its own connection."""

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from pools.lifecycle import LeadState
from pools.models import Lead
from routing.engine import lead_route, leads_route
from routing.models import RepIntake, RoutingDecision, RoutingRule
from routing.tasks import lead_intake
from tests.factories import LeadFactory, make_rep
from tests.routing_factories import RuleFactory

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 4


def _screened(n):
    return [
        lead.pk
        for lead in Lead.objects.bulk_create(
            [Lead(status=LeadState.SCREENED, email=f"c{i}@example.test") for i in range(n)]
        )
    ]


def _in_threads(work, chunks):
    errors = []

    def run(chunk):
        try:
            work(chunk)
        except Exception as exc:  # surfaced below: a thread's failure fails the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def _route_each(lead_ids):
    for lead_id in lead_ids:
        with transaction.atomic():
            lead = Lead.objects.select_for_update().get(pk=lead_id)
            lead_route(lead=lead)


def _route_in_batches(lead_ids, size=4):
    """As the import's intake does: many leads per transaction (routing.engine.leads_route)."""
    for start in range(0, len(lead_ids), size):
        with transaction.atomic():
            leads = list(
                Lead.objects.select_for_update()
                .filter(pk__in=lead_ids[start : start + size])
                .order_by("id")
            )
            leads_route(leads=leads)


@pytest.fixture
def counts_unlocked(monkeypatch):
    """Routing without the lock that methods picking by counts take on every rep of their
    rule (routing.engine.book.picks_by_counts): a cap test then proves the cap's own lock,
    which would otherwise be covered by that one."""
    monkeypatch.setattr("routing.engine.book.picks_by_counts", lambda rule: False)


ROUTERS = pytest.mark.parametrize(
    "route", [_route_each, _route_in_batches], ids=["lead_by_lead", "in_batches"]
)


@ROUTERS
def test_parallel_round_robin_of_1000_leads_is_fair_within_one(team, route):
    reps = [make_rep(team=team) for _ in range(7)]
    RuleFactory(team=team, method=RoutingRule.Method.ROUND_ROBIN)
    ids = _screened(1000)
    _in_threads(route, [ids[i::THREADS] for i in range(THREADS)])
    counts = Counter(
        Lead.objects.filter(status=LeadState.ASSIGNED).values_list("owner_id", flat=True)
    )
    assert sum(counts.values()) == 1000
    assert set(counts) == {r.pk for r in reps}
    assert max(counts.values()) - min(counts.values()) <= 1


@ROUTERS
@pytest.mark.parametrize("period", ["max_per_day", "max_per_week", "max_per_month"])
def test_parallel_routing_never_exceeds_a_cap(team, route, period, counts_unlocked):
    cap = 5
    reps = [make_rep(team=team, **{period: cap}) for _ in range(3)]
    # Load balanced takes no rotation lock and, here, no counting lock: only the cap's
    # lock stands between routers racing for the same rep.
    RuleFactory(team=team, method=RoutingRule.Method.LOAD_BALANCED)
    ids = _screened(40)
    _in_threads(route, [ids[i::THREADS] for i in range(THREADS)])
    counts = Counter(
        Lead.objects.filter(status=LeadState.ASSIGNED).values_list("owner_id", flat=True)
    )
    assert counts == {r.pk: cap for r in reps}
    assert Lead.objects.filter(status=LeadState.SKIMMING).count() == 40 - 3 * cap
    assert set(RepIntake.objects.values_list("count", flat=True)) == {cap}


@pytest.mark.parametrize(
    "method",
    [
        RoutingRule.Method.LOAD_BALANCED,
        RoutingRule.Method.QUOTA_FILL,
        RoutingRule.Method.TOP_PERFORMER,
    ],
)
def test_leads_routed_at_the_same_instant_spread_as_if_one_after_another(team, method):
    """These methods pick by what a placement changes (open leads, leads today, who waited
    longest); reps without caps too. Routers released together must still see each other's
    placements: four leads at once reach four different reps, round after round."""
    reps = [make_rep(team=team) for _ in range(THREADS)]
    RuleFactory(team=team, method=method)
    rounds = 6
    ids = _screened(THREADS * rounds)
    start = threading.Barrier(THREADS)

    def route(lead_ids):
        for lead_id in lead_ids:
            start.wait(10)
            _route_each([lead_id])

    _in_threads(route, [ids[i::THREADS] for i in range(THREADS)])
    counts = Counter(
        Lead.objects.filter(status=LeadState.ASSIGNED).values_list("owner_id", flat=True)
    )
    assert counts == {rep.pk: rounds for rep in reps}


def test_push_and_pull_at_once_never_exceed_the_shared_untouched_cap(team, counts_unlocked):
    """Routing and claiming both count a rep's open untouched leads against one cap, each
    under the rep's profile lock: pushed and pulled at once, the rep still holds no more."""
    from pools.pull.claim import ClaimError, pool_claim_next
    from tests.factories import PoolFactory
    from tests.pool_helpers import pooled_many

    cap = 3
    rep = make_rep(team=team, max_open_untouched=cap)
    RuleFactory(team=team, method=RoutingRule.Method.LOAD_BALANCED)
    pool = PoolFactory(team=team)
    pooled_many(pool, 12)
    routed = _screened(12)

    def claim(n):
        for _ in range(n):
            try:
                pool_claim_next(user=rep, pool_id=pool.pk)
            except ClaimError:
                pass

    def work(part):
        kind, payload = part
        if kind == "pull":
            claim(payload)
        else:
            _route_each(payload)

    _in_threads(work, [("pull", 6), ("push", routed[0::2]), ("pull", 6), ("push", routed[1::2])])
    untouched = Lead.objects.filter(
        owner=rep, status=LeadState.ASSIGNED, first_touch_at__isnull=True
    ).count()
    assert untouched == cap


def test_routing_task_run_twice_in_parallel_routes_once(team):
    rep = make_rep(team=team)
    RuleFactory(team=team)
    leads = [LeadFactory(status=LeadState.NEW) for _ in range(10)]
    _in_threads(lambda ids: [lead_intake.run(i) for i in ids], [[lead.pk for lead in leads]] * 2)
    assert RoutingDecision.objects.count() == 10
    assert RepIntake.objects.get(user=rep).count == 10
    assert Lead.objects.filter(owner=rep, status=LeadState.ASSIGNED).count() == 10


def test_an_intake_task_clears_the_backlog_and_the_later_ones_find_their_lead_done(team):
    """A burst: five leads wait for intake; the first task to run routes them all, in
    arrival order, and each later task leaves its (already routed) lead alone."""
    reps = [make_rep(team=team) for _ in range(2)]
    RuleFactory(team=team, method=RoutingRule.Method.ROUND_ROBIN)
    leads = [LeadFactory(status=LeadState.NEW) for _ in range(5)]
    assert lead_intake.run(leads[2].pk) == LeadState.ASSIGNED
    owners = list(
        Lead.objects.filter(pk__in=[x.pk for x in leads])
        .order_by("id")
        .values_list("owner_id", flat=True)
    )
    assert owners == [reps[i % 2].pk for i in range(5)]
    for lead in leads:
        assert lead_intake.run(lead.pk) == LeadState.ASSIGNED
    assert RoutingDecision.objects.count() == 5
    assert sorted(RepIntake.objects.values_list("count", flat=True)) == [2, 3]


def test_an_intake_task_skips_leads_another_task_holds(team):
    rep = make_rep(team=team)
    RuleFactory(team=team)
    held, mine = LeadFactory(status=LeadState.NEW), LeadFactory(status=LeadState.NEW)
    taken, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                Lead.objects.select_for_update().get(pk=held.pk)
                taken.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert taken.wait(10)
        assert lead_intake.run(mine.pk) == LeadState.ASSIGNED  # did not wait for `held`
        assert Lead.objects.get(pk=held.pk).status == LeadState.NEW
    finally:
        release.set()
        thread.join()
    assert lead_intake.run(held.pk) == LeadState.ASSIGNED
    assert Lead.objects.filter(owner=rep).count() == 2
