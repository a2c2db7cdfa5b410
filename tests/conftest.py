"""The usual cast: a rep, a second rep in another team, a manager, an admin, an outsider."""

import pytest
from django.test import Client

from accounts.roles import Role
from tests.factories import PASSWORD, TeamFactory, UserFactory, make_manager, make_rep


def pytest_collection_modifyitems(config, items):
    """Browser tests last: they are the slowest, and they hold an event loop while open."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _no_intake_flag():
    """Redis outlives each test's database. A test that captured a lead without a worker
    (or eager Celery) leaves the intake's "drain pending" flag set for a minute, and every
    capture after it would then publish no drain: each test starts without one."""
    from leadroute.shared.redis_client import redis_client
    from routing.intake.pending import intake_pending_key

    redis_client().delete(intake_pending_key())


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The rate limits count per minute in Redis, across tests: every test client posts
    from 127.0.0.1, so the twentieth web-form post of a minute would be refused."""
    from leadroute.shared.redis_client import redis_client, redis_key

    client = redis_client()
    keys = list(client.scan_iter(match=redis_key("ratelimit", "*"), count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def queries_of():
    """`queries_of(fn)`: how many queries calling fn makes. A "constant query count"
    test compares two sizes of data with it, rather than trusting one size's ceiling."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(fn) -> int:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    return count


@pytest.fixture
def team(db):
    return TeamFactory(name="Inbound")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Enterprise")


@pytest.fixture
def rep(team):
    return make_rep(team=team)


@pytest.fixture
def other_rep(other_team):
    return make_rep(team=other_team)


@pytest.fixture
def manager(team):
    return make_manager(teams=[team])


@pytest.fixture
def admin_user(db):
    return UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """Signed in, but no role."""
    return UserFactory()


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return _client_for


@pytest.fixture
def password():
    return PASSWORD
