"""Refusals and missing pages come as LeadRoute pages, not the server's bare text."""

import pytest
from django.template.loader import render_to_string

pytestmark = pytest.mark.django_db


def test_a_page_outside_the_users_role_is_a_finished_403_page(client_for, manager):
    response = client_for(manager).get("/leads/mine/")  # a rep's page
    html = response.content.decode()
    assert response.status_code == 403
    assert "This page isn't open to you" in html and 'class="topbar"' in html
    assert "Team" in html  # the manager's own navigation, to get back to work


def test_a_missing_lead_is_a_finished_404_page(client_for, rep):
    response = client_for(rep).get("/leads/999999999/")
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


def test_the_500_page_renders_without_a_request():
    # Django renders it with an empty context: it must not need the request or the user.
    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html and "/static/css/app.css" in html
