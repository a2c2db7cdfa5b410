"""The offers' timers with a real Celery worker against Redis: the countdown task expires
an offer on time, and when the worker holding it dies, the sweep still does."""

import time
import uuid

import pytest

from pools.lifecycle import LeadState
from pools.models import Lead
from routing.engine import lead_route
from routing.models import Offer, RoutingRule
from routing.offers.send import OFFER_EXPIRE_TASK
from routing.tasks import offer_expire, sweep
from tests.factories import PoolFactory, make_rep
from tests.routing_factories import screened_lead
from tests.servers import celery_worker

from .conftest import online

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, timeout=30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def offered(team, offer_rule):
    """A lead under a 1-second shotgun offer to an online rep, falling back to a pool."""

    def make(seconds=1):
        rep = make_rep(team=team)
        online(rep)
        pool = PoolFactory(team=team)
        offer_rule(
            RoutingRule.OfferMethod.SHOTGUN,
            offer_seconds=seconds,
            fallback=RoutingRule.Fallback.POOL,
            fallback_pool=pool,
        )
        lead = screened_lead(team=team)
        lead_route(lead=lead)  # commits: the countdown task is published
        return Lead.objects.get(pk=lead.pk), pool

    return make


def test_the_expiry_task_is_registered_under_the_name_offers_publish():
    assert offer_expire.name == OFFER_EXPIRE_TASK


def test_a_real_worker_expires_the_offer_on_time_and_the_lead_moves_on(offered):
    with celery_worker("celery"):
        lead, pool = offered(seconds=1)
        assert lead.status == LeadState.OFFERED
        moved = _wait_for(lambda: Lead.objects.get(pk=lead.pk).status == LeadState.POOLED)
    assert moved, "the countdown task never expired the offer"
    assert Offer.objects.get(lead=lead).state == "expired"
    assert Lead.objects.get(pk=lead.pk).pool == pool


def test_a_worker_killed_mid_offer_delays_the_expiry_to_the_sweep(offered):
    with celery_worker("celery") as worker:
        lead, pool = offered(seconds=2)
        time.sleep(1)  # the worker has taken the countdown task and holds it
        worker.kill()
        worker.wait()
    time.sleep(2)  # the offer is due now, and nobody has expired it
    offer = Offer.objects.get(lead=lead)
    assert offer.state == "open" and Lead.objects.get(pk=lead.pk).status == LeadState.OFFERED

    queue = f"test-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue):
        sweep.apply_async(queue=queue)
        moved = _wait_for(lambda: Lead.objects.get(pk=lead.pk).status == LeadState.POOLED)
    assert moved, "the sweep never expired the offer"
    offer.refresh_from_db()
    assert offer.state == "expired"
