"""Property-based: generated bodies against the webhooks, with the right key and the right
source, so they reach validation and capture; none may produce a 5xx."""

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

from pools.models import Lead
from tests.pools.capture.webhooks.conftest import MAPPING

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application()).include(
    path_regex="^/api/hooks/"
)
_people = itertools.count()
_SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture
def wsgi_in_test_transaction(settings):
    # As tests/pools/capture/test_api_schema.py: the WSGI handler must not close the test's
    # connection; the rate limit would only turn cases into 429s.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.API_RATE_LIMIT_PER_MINUTE = 10**6
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@_SETTINGS
def test_no_generated_body_makes_a_server_error(
    case, wsgi_in_test_transaction, google_hook, json_hook
):
    case.path_parameters = {**(case.path_parameters or {}), "slug": "website"}
    if isinstance(case.body, dict) and "google-ads" in case.path:
        case.body["google_key"] = google_hook[1]
        # A good e-mail first (the first EMAIL column wins), so cases get past the contact
        # rule to capture; the generated columns follow it.
        if isinstance(case.body.get("user_column_data"), list):
            email = {"column_id": "EMAIL", "string_value": f"case{next(_people)}@example.com"}
            case.body["user_column_data"].insert(0, email)
    case.call_and_validate(headers={"X-Webhook-Key": json_hook[1]}, checks=[not_a_server_error])


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _put(document: dict, path: str, value) -> None:
    """Set `value` at a dotted path, making the objects and lists on the way."""
    segments = path.split(".")
    node = document
    for segment, following in zip(segments, [*segments[1:], None], strict=True):
        if following is None:
            _set(node, segment, value)
            return
        child = _get(node, segment)
        if not isinstance(child, dict | list):
            child = [] if following.isdigit() else {}
            _set(node, segment, child)
        node = child


def _get(node, segment: str):
    if isinstance(node, list):
        return node[int(segment)] if int(segment) < len(node) else None
    return node.get(segment)


def _set(node, segment: str, value) -> None:
    if isinstance(node, list):
        node[int(segment) : int(segment) + 1] = [value]
    else:
        node[segment] = value


@pytest.mark.django_db
@given(values=st.dictionaries(st.sampled_from(sorted(MAPPING)), _json_values, max_size=9))
@_SETTINGS
def test_any_json_at_the_mapped_paths_is_taken_or_refused_never_a_500(json_hook, values):
    document: dict = {}
    # A new person each time unless the case brings its own e-mail (then it may merge).
    _put(document, "contact.emails.0.value", f"fuzz{next(_people)}@example.com")
    for path, value in values.items():
        _put(document, path, value)
    before = Lead.objects.count()
    client = Client(HTTP_X_WEBHOOK_KEY=json_hook[1], raise_request_exception=False)
    response = client.post(
        "/api/hooks/json/website", json.dumps(document), content_type="application/json"
    )
    assert response.status_code in (200, 201, 422), (response.status_code, document)
    assert Lead.objects.count() == before + (response.status_code == 201)


@pytest.mark.django_db
@given(
    columns=st.lists(
        st.fixed_dictionaries(
            {"column_id": st.sampled_from(["EMAIL", "PHONE_NUMBER", "COUNTRY", "Q1", "FULL_NAME"])},
            optional={"string_value": _json_values, "column_name": _json_values},
        ),
        max_size=6,
    ),
    extra=st.dictionaries(
        st.sampled_from(["form_id", "campaign_id", "is_test", "gcl_id", "lead_stage"]),
        _json_values,
    ),
)
@_SETTINGS
def test_any_google_shaped_body_is_taken_or_refused_never_a_500(google_hook, columns, extra):
    n = next(_people)
    email = {"column_id": "EMAIL", "string_value": f"fuzz{n}@example.com"}
    body = {
        "lead_id": f"fuzz-{n}",
        "google_key": google_hook[1],
        "user_column_data": [email, *columns],
        **extra,
    }
    client = Client(raise_request_exception=False)
    response = client.post(
        "/api/hooks/google-ads/website", json.dumps(body), content_type="application/json"
    )
    assert response.status_code in (200, 422), (response.status_code, body)
