"""POST /api/offers/{id}/accept and /decline: session auth + CSRF, the card's services."""

import json

import pytest

from pools.lifecycle import LeadState
from pools.models import Lead
from routing.engine import lead_route
from routing.models import Offer, RoutingRule
from tests.factories import make_rep
from tests.pools.pull.test_api import _csrf_client
from tests.routing_factories import screened_lead

from .conftest import online

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(team, rep, offer_rule):
    online(rep, make_rep(team=team))
    offer_rule(RoutingRule.OfferMethod.SHOTGUN)
    lead = screened_lead(team=team, **{"first_name": "Apisecretname"})
    lead_route(lead=lead)
    return Offer.objects.get(lead=lead)


def _post(client, path, body=None, **extra):
    return client.post(path, json.dumps(body or {}), content_type="application/json", **extra)


def test_a_recipient_accepts_with_session_and_csrf(offer, rep):
    client, token = _csrf_client(rep)
    response = _post(client, f"/api/offers/{offer.pk}/accept", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json() == {"lead_id": offer.lead_id, "url": f"/leads/{offer.lead_id}/"}
    assert Lead.objects.get(pk=offer.lead_id).owner == rep


def test_without_the_csrf_token_or_a_session_nothing_happens(offer, rep, client):
    client_, _ = _csrf_client(rep)
    assert _post(client_, f"/api/offers/{offer.pk}/accept").status_code == 403
    assert _post(client, f"/api/offers/{offer.pk}/accept").status_code == 401
    assert Lead.objects.get(pk=offer.lead_id).status == LeadState.OFFERED


def test_losers_late_comers_and_strangers_get_a_code_and_no_lead_data(offer, rep, other_rep):
    first = next(pk for pk in offer.recipient_ids if pk != rep.pk)
    from django.contrib.auth import get_user_model

    winner, token = _csrf_client(get_user_model().objects.get(pk=first))
    assert (
        _post(winner, f"/api/offers/{offer.pk}/accept", HTTP_X_CSRFTOKEN=token).status_code == 200
    )
    client, token = _csrf_client(rep)
    response = _post(client, f"/api/offers/{offer.pk}/accept", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 409
    assert response.json() == {"code": "taken", "detail": "Someone else took it."}
    stranger, token = _csrf_client(other_rep)
    response = _post(stranger, f"/api/offers/{offer.pk}/accept", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 403 and response.json()["code"] == "not_yours"
    assert "Apisecretname" not in response.content.decode()


def test_a_manager_is_told_only_reps_answer_offers(offer, manager):
    client, token = _csrf_client(manager)
    response = _post(client, f"/api/offers/{offer.pk}/accept", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 403 and response.json()["code"] == "not_a_rep"


def test_a_decline_with_a_reason_and_a_bad_body(offer, rep):
    client, token = _csrf_client(rep)
    response = _post(
        client, f"/api/offers/{offer.pk}/decline", {"reason": "Busy"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200 and response.json() == {"offer": "open"}
    assert offer.responses.get(rep=rep).reason == "Busy"
    again = _post(client, f"/api/offers/{offer.pk}/decline", HTTP_X_CSRFTOKEN=token)
    assert again.status_code == 409 and again.json()["code"] == "closed"
    bad = client.post(
        f"/api/offers/{offer.pk}/decline",
        "not json",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert bad.status_code == 400 and "detail" in bad.json()  # ninja: "Cannot parse request body"
    assert client.get(f"/api/offers/{offer.pk}/accept").status_code == 405
