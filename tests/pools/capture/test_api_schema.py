"""Property-based: hundreds of generated requests against our own OpenAPI schema, none of
which may produce a 5xx (schemathesis through the WSGI app, on the real database)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from pools.capture.apikeys import apikey_create
from tests.factories import LeadSourceFactory

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def bearer(db, settings):
    # The WSGI handler would close the test's connection (and its transaction) after each
    # request; Django's own test client disconnects these signals for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # The rate limit is exercised elsewhere; here it would only turn cases into 429s.
    settings.API_RATE_LIMIT_PER_MINUTE = 10**6
    yield {"Authorization": f"Bearer {apikey_create(source=LeadSourceFactory())[1]}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_no_input_makes_a_server_error(case, bearer):
    case.call_and_validate(headers=bearer, checks=[not_a_server_error])
