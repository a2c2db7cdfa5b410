"""Signed-in pages are never served from a cache; an htmx request of an ended session
turns the whole tab to the sign-in page (leadroute.page_freshness)."""

import pytest
from django.urls import reverse

from pools.pull.claim import lead_claim
from tests.factories import PoolFactory
from tests.pool_helpers import pooled

pytestmark = pytest.mark.django_db


def test_a_signed_in_page_is_not_kept_by_the_browser(client_for, rep):
    response = client_for(rep).get("/leads/mine/")
    assert "no-store" in response["Cache-Control"]


def test_an_htmx_request_after_the_session_ended_sends_the_tab_to_sign_in(client_for, rep, team):
    lead = lead_claim(user=rep, lead_id=pooled(PoolFactory(team=team)).pk)
    client = client_for(rep)
    client.logout()  # another tab signed out
    page = f"/leads/{lead.pk}/"
    response = client.post(
        reverse("pools:touch", args=[lead.pk]),
        {"kind": "call"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('accounts:login')}?next=%2Fleads%2F{lead.pk}%2F"
    assert b"<form" not in response.content  # nothing pasted into the workspace
    # Without htmx, the usual redirect.
    plain = client.get(page)
    assert plain.status_code == 302 and plain["Location"].startswith(reverse("accounts:login"))
