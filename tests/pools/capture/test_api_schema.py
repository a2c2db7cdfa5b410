"""Property-based: hundreds of generated requests against our own OpenAPI schema, none of
which may produce a 5xx (schemathesis through the WSGI app, on the real database)."""

import itertools
import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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


# JSON as Python's json module writes and reads it, NaN and ±Infinity included: the
# OpenAPI-driven cases above only send standard JSON.
_people = itertools.count()
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.django_db
@given(
    attributes=st.dictionaries(st.text(max_size=10), _json_values, max_size=5),
    extra=st.dictionaries(st.sampled_from(["budget", "seats", "notes"]), _json_values),
)
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_any_json_body_is_taken_or_refused_never_a_server_error(bearer, attributes, extra):
    # A new person each time: a repeat would join the first lead and store nothing.
    body = json.dumps(
        {"email": f"fuzz{next(_people)}@example.com", "attributes": attributes, **extra}
    )
    client = Client(HTTP_AUTHORIZATION=bearer["Authorization"], raise_request_exception=False)
    response = client.post("/api/leads", body, content_type="application/json")
    assert response.status_code in (200, 201, 422), (response.status_code, body)
