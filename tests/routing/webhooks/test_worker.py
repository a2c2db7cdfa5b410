"""End to end with a real Celery worker and committed transactions: a committed change is
delivered by the drain its commit kicked (no sweep), a rolled-back one never."""

import time

import pytest
import redis
from django.conf import settings
from django.db import transaction

from pools.services import lead_create
from routing.models import WebhookDelivery
from routing.webhooks.events import WebhookType as T
from routing.webhooks.models import WebhookSubscription
from tests.factories import TeamFactory
from tests.servers import celery_worker

from .test_delivery import readme_verify

QUEUE = "celery"  # where the kick publishes


@pytest.fixture(autouse=True)
def empty_queue():
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(QUEUE)
    yield
    broker.delete(QUEUE)


def wait_for(check, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_what_committed_and_nothing_that_rolled_back(receiver):
    team = TeamFactory()
    sub = WebhookSubscription.objects.create(
        name="CRM", url=receiver.url, events=[T.CREATED], team=team
    )
    with celery_worker(QUEUE):
        with pytest.raises(RuntimeError), transaction.atomic():
            lead_create(email="rolled-back@example.com", team=team)
            raise RuntimeError("the request failed")
        with transaction.atomic():
            kept = lead_create(email="kept@example.com", team=team)
        assert wait_for(lambda: len(receiver.received) == 1), "the kicked drain never sent"
        time.sleep(1)  # anything else would have arrived by now
    (got,) = receiver.received
    assert got.json["lead"]["id"] == kept.pk
    assert readme_verify()(got.headers["LeadRoute-Signature"], got.body, sub.secret)
    assert list(WebhookDelivery.objects.values_list("lead", "status")) == [(kept.pk, "delivered")]
