"""The public, embeddable capture form."""

import time
from decimal import Decimal

import pytest
from django.test import Client

from pools.capture import webform
from pools.lifecycle import LeadState
from pools.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def form_source(source):
    source.form_enabled = True
    source.form_fields = ["first_name", "email", "phone", "country", "company", "message"]
    source.save()
    return source


@pytest.fixture
def aged_token(monkeypatch):
    """A token rendered long enough ago that the post is not "too fast"."""
    real = time.time
    monkeypatch.setattr(webform.time, "time", lambda: real() - 60)
    token = webform.form_token("website")
    monkeypatch.setattr(webform.time, "time", real)
    return token


def post(data, token):
    return Client().post("/capture/website/", {"token": token, **data})


def test_form_renders_embeddable_with_configured_fields(form_source):
    response = Client().get("/capture/website/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response  # may be framed on the customer's site
    html = response.content.decode()
    assert 'name="company"' in html and 'name="title"' not in html
    assert 'name="website"' in html and 'name="token"' in html


def test_disabled_or_unknown_form_is_404(source):
    assert Client().get("/capture/website/").status_code == 404
    assert Client().get("/capture/nope/").status_code == 404


def test_submit_creates_lead_and_thanks(
    form_source, aged_token, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            {
                "first_name": "Rita",
                "email": "Rita@Example.com",
                "phone": "21 99876-5432",
                "country": "Brazil",
                "message": "Call me",
            },
            aged_token,
        )
    assert response.status_code == 302 and response["Location"] == "/capture/website/thanks/"
    lead = Lead.objects.get()
    assert (lead.email, lead.phone, lead.country) == ("rita@example.com", "+5521998765432", "BR")
    assert lead.attributes == {"message": "Call me"} and lead.source == form_source
    assert lead.status == LeadState.POOLED  # screened and routed after commit
    thanks = Client().get("/capture/website/thanks/")
    assert thanks.status_code == 200 and "X-Frame-Options" not in thanks
    assert form_source.thank_you_message in thanks.content.decode()


def test_invalid_input_is_shown_field_by_field(form_source, aged_token):
    response = post({"email": "nope", "phone": "123"}, aged_token)
    assert response.status_code == 400
    html = response.content.decode()
    assert "valid email" in html.lower() and "international form" in html
    assert not Lead.objects.exists()
    assert post({"first_name": "x"}, aged_token).status_code == 400


def test_honeypot_and_instant_posts_are_dropped_silently(form_source, aged_token):
    bot = post({"email": "bot@x.io", "website": "http://spam"}, aged_token)
    assert bot.status_code == 302
    fast = post({"email": "fast@x.io"}, webform.form_token("website"))
    assert fast.status_code == 302
    assert not Lead.objects.exists()


def test_missing_or_forged_token_is_refused(form_source):
    assert post({"email": "a@x.io"}, "").status_code == 400
    assert post({"email": "a@x.io"}, "forged:token").status_code == 400
    other = webform.form_token("other-source")
    assert post({"email": "a@x.io"}, other).status_code == 400
    assert not Lead.objects.exists()


def test_wrong_method(form_source):
    assert Client().put("/capture/website/").status_code == 405
    assert Client().post("/capture/website/thanks/").status_code == 405


def test_embed_snippet_page_for_managers(form_source, manager, rep, client_for):
    html = client_for(manager).get("/leads/forms/").content.decode()
    assert (
        "&lt;iframe src=&quot;http://testserver/capture/website/&quot;" in html
        or '&lt;iframe src="http://testserver/capture/website/"' in html
    )
    assert client_for(rep).get("/leads/forms/").status_code == 403
    assert client_for(manager).post("/leads/forms/").status_code == 405


def test_budget_is_read_in_the_teams_format_with_its_currency(form_source, aged_token, team):
    team.number_format, team.currency = ",", "BRL"
    team.save()
    form_source.form_fields = [*form_source.form_fields, "estimated_value"]
    form_source.save()
    page = Client().get("/capture/website/").content.decode()
    assert "Budget (R$)" in page and 'placeholder="1.234,56"' in page
    response = post({"email": "b@example.com", "estimated_value": "12.500,00"}, aged_token)
    assert response.status_code == 302
    assert Lead.objects.get().estimated_value == Decimal("12500.00")


def test_ambiguous_budget_is_refused_not_guessed(form_source, aged_token):
    form_source.form_fields = [*form_source.form_fields, "estimated_value"]
    form_source.save()
    response = post({"email": "b@example.com", "estimated_value": "12.500"}, aged_token)
    html = response.content.decode()
    assert response.status_code == 400 and "ambiguous" in html and 'value="12.500"' in html
    assert not Lead.objects.exists()
    # The visitor's browser language settles it when the team has no format.
    response = Client().post(
        "/capture/website/",
        {"token": aged_token, "email": "b@example.com", "estimated_value": "12.500"},
        HTTP_ACCEPT_LANGUAGE="de-DE",
    )
    assert response.status_code == 302
    assert Lead.objects.get().estimated_value == Decimal("12500.00")
