"""POST /api/pool/{id}/claim: session auth + CSRF, the same rules as the buttons."""

import json

import pytest
from django.test import Client

from pools.models import Pool
from tests.factories import PASSWORD, PoolFactory, make_rep
from tests.pool_helpers import pooled

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(team):
    return PoolFactory(team=team, claim_cooldown_hours=0)


def _post(client, pool_id, body=None, **extra):
    return client.post(
        f"/api/pool/{pool_id}/claim",
        json.dumps(body or {}),
        content_type="application/json",
        **extra,
    )


def _csrf_client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    # Through the login form, as a browser does: django-axes needs the request.
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302, response.content
    client.get("/leads/mine/")  # any page using the token sets the csrftoken cookie
    return client, client.cookies["csrftoken"].value


def test_anonymous_gets_401(client, pool):
    assert _post(client, pool.pk).status_code == 401


def test_session_without_csrf_token_is_refused(rep, pool):
    client, _ = _csrf_client(rep)
    lead = pooled(pool)
    assert _post(client, pool.pk, {"lead_id": lead.pk}).status_code == 403
    lead.refresh_from_db()
    assert lead.owner is None


def test_claim_with_session_and_csrf(rep, pool):
    client, token = _csrf_client(rep)
    lead = pooled(pool)
    response = _post(client, pool.pk, {"lead_id": lead.pk}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json() == {"lead_id": lead.pk, "url": f"/leads/{lead.pk}/"}


def test_taken_lead_is_409_with_calm_message(rep, team, client_for, pool):
    lead = pooled(pool)
    assert _post(client_for(make_rep(team=team)), pool.pk, {"lead_id": lead.pk}).status_code == 200
    response = _post(client_for(rep), pool.pk, {"lead_id": lead.pk})
    assert response.status_code == 409
    assert response.json()["code"] == "taken" and "Just taken" in response.json()["detail"]


def test_claim_next_without_lead_id(rep, client_for, team):
    blind = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    lead = pooled(blind)
    response = _post(client_for(rep), blind.pk)
    assert response.status_code == 200 and response.json()["lead_id"] == lead.pk
    empty = _post(client_for(rep), blind.pk)
    assert empty.status_code == 409 and empty.json()["code"] == "empty"


def test_blind_pool_refuses_a_chosen_lead(rep, client_for, team):
    blind = PoolFactory(team=team, mode=Pool.Mode.BLIND)
    lead = pooled(blind)
    response = _post(client_for(rep), blind.pk, {"lead_id": lead.pk})
    assert response.status_code == 403 and response.json()["code"] == "blind"


def test_restriction_is_403_with_its_code(rep, client_for, pool):
    rep.rep_profile.max_claims_per_day = 0
    rep.rep_profile.save()
    pooled(pool)
    response = _post(client_for(rep), pool.pk)
    assert response.status_code == 403 and response.json()["code"] == "claim_cap"


def test_pool_out_of_scope_is_404(other_rep, client_for, pool):
    pooled(pool)
    assert _post(client_for(other_rep), pool.pk).status_code == 404


def test_manager_cannot_claim(manager, client_for, pool):
    pooled(pool)
    assert _post(client_for(manager), pool.pk).status_code == 403


def test_bad_body_is_422_not_500(rep, client_for, pool):
    response = client_for(rep).post(
        f"/api/pool/{pool.pk}/claim", "not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    response = _post(client_for(rep), pool.pk, {"lead_id": "abc"})
    assert response.status_code == 422


def test_wrong_method_is_405(rep, client_for, pool):
    assert client_for(rep).get(f"/api/pool/{pool.pk}/claim").status_code == 405


def test_huge_ids_are_refused_not_500(rep, client_for, pool):
    c = client_for(rep)
    assert _post(c, pool.pk, {"lead_id": 2**70}).status_code == 409
    assert _post(c, 2**62, {}).status_code == 404
