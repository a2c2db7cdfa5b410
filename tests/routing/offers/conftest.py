import pytest

from leadroute.shared.redis_client import redis_client
from routing.live.presence import presence_key, presence_seen
from routing.models import RoutingRule
from tests.routing_factories import RuleFactory


@pytest.fixture(autouse=True)
def _nobody_online():
    """Presence lives in Redis, which outlives each test's database."""
    redis_client().delete(presence_key())
    yield
    redis_client().delete(presence_key())


def online(*users):
    """The users have a page open: a heartbeat from one socket each, now."""
    for user in users:
        presence_seen(user_id=user.pk, connection=f"test-{user.pk}")


@pytest.fixture
def offer_rule(team):
    def make(method=RoutingRule.OfferMethod.SHOTGUN, **fields):
        return RuleFactory(
            team=team, action=RoutingRule.Action.OFFER, offer_method=method, **fields
        )

    return make
