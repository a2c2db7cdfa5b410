import pytest

from leadroute.shared.redis_client import redis_client
from routing.webhooks.models import WebhookSubscription
from routing.webhooks.pending import pending_key

from .receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    r.up()
    yield r
    r.down()


@pytest.fixture(autouse=True)
def _no_drain_flag():
    redis_client().delete(pending_key())


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.WEBHOOK_RETRY_MAX_SECONDS = 0.2
    settings.WEBHOOK_TIMEOUT_SECONDS = 2


@pytest.fixture
def subscribe(db):
    def make(url: str, events: list[str], **fields) -> WebhookSubscription:
        return WebhookSubscription.objects.create(
            name=fields.pop("name", "CRM"), url=url, events=events, **fields
        )

    return make
