"""Scoring rules in the admin: values checked against the known ones, as routing rules'
are (pools.screening.known_values, issue 24 point 9)."""

import pytest
from django.utils.html import escape

from pools.models import ScoringRule
from tests.factories import LeadSourceFactory

pytestmark = pytest.mark.django_db


def test_scoring_rules_check_their_values_the_same_way(admin_user, client_for):
    LeadSourceFactory(slug="paid_search", name="Paid search")
    client = client_for(admin_user)
    data = {"name": "Paid", "field": "source", "operator": "eq", "points": 10, "is_active": "on"}
    for field, operator, value, message in [
        ("source", "eq", "paid_serch", "Did you mean “paid_search”?"),
        ("country", "in", "BR, Brazl", "“Brazl” is not an ISO 3166 country code."),
        ("language", "ne", "portugese", "Did you mean “pt”?"),
    ]:
        response = client.post(
            "/admin/pools/scoringrule/add/",
            {**data, "field": field, "operator": operator, "value": value},
        )
        assert response.status_code == 200
        assert escape(message) in response.content.decode()
    assert not ScoringRule.objects.exists()
    for field, operator, value in [
        ("source", "eq", "paid_search"),
        ("country", "in", "BR, pt"),
        ("source", "contains", "paid"),  # a part of a value: not checked
        ("attributes.utm", "eq", "whatever"),
    ]:
        response = client.post(
            "/admin/pools/scoringrule/add/",
            {**data, "field": field, "operator": operator, "value": value},
        )
        assert response.status_code == 302, (field, value)
