"""The public, embeddable capture form."""

import re
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from pools.capture import webform
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent

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


def test_instant_post_is_kept_and_held_for_a_managers_review(
    form_source, eager_celery, django_capture_on_commit_callbacks
):
    """Browser autofill sends a real person's form a second after it loads: the visitor
    is thanked, so the lead must exist, held where a manager looks before any rep."""
    with django_capture_on_commit_callbacks(execute=True):
        fast = post({"email": "fast@x.io"}, webform.form_token("website"))
    assert fast.status_code == 302 and fast["Location"] == "/capture/website/thanks/"
    lead = Lead.objects.get()
    assert lead.email == "fast@x.io"
    assert lead.review_reason.startswith("Looks automated: sent 0.")
    assert lead.review_reason.endswith("s after the form loaded")
    assert lead.status == LeadState.SKIMMING  # not the team's default pool
    created = lead.events.get(kind=LeadEvent.Kind.CREATED)
    assert "Looks automated" in created.reason and "held for a manager's review" in created.reason


def test_the_lead_page_says_why_the_lead_was_held(form_source, manager, client_for):
    post({"email": "fast@x.io"}, webform.form_token("website"))
    lead = Lead.objects.get()
    html = client_for(manager).get(f"/leads/{lead.pk}/").content.decode()
    assert "review when it arrived — Looks automated: sent 0." in html


def test_honeypot_post_is_kept_and_held_for_review(form_source, aged_token):
    # Autofill may fill a hidden field named "website" as well as a bot would.
    response = post({"email": "bot@x.io", "website": "http://spam"}, aged_token)
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.review_reason == "Looks automated: the hidden field people never see was filled in"


def test_a_slow_post_is_not_held(form_source, aged_token):
    assert post({"email": "slow@x.io"}, aged_token).status_code == 302
    assert Lead.objects.get().review_reason == ""


def test_the_fill_time_counts_from_the_first_page_load_not_the_error_page(form_source, aged_token):
    """A person who fixes a phone error and resends within a second is not a bot: the
    re-rendered form carries the first load's time on, signed afresh."""
    error = post({"email": "rita@example.com", "phone": "123"}, aged_token)
    assert error.status_code == 400
    token = re.search(r'name="token" value="([^"]+)"', error.content.decode()).group(1)
    assert token != aged_token  # re-signed: the form does not expire while it is fixed
    first, again = (
        webform.form_token_read(aged_token, "website"),
        webform.form_token_read(token, "website"),
    )
    assert again.loaded_at == first.loaded_at and again.nonce != first.nonce
    fixed = post({"email": "rita@example.com", "phone": "+55 21 99876-5432"}, token)
    assert fixed.status_code == 302
    lead = Lead.objects.get()
    assert lead.phone == "+5521998765432" and lead.review_reason == ""


def test_automation_signs_name_each_sign():
    now = time.time()
    assert webform.automation_signs(loaded_at=now - 60, honeypot="") == ""
    both = webform.automation_signs(loaded_at=now - 1.2, honeypot="x")
    assert both.startswith("Looks automated: sent 1.2 s after the form loaded and the hidden")


def test_phone_without_plus_is_read_in_the_sources_default_country(source, aged_token):
    source.form_enabled, source.default_country = True, "BR"
    source.form_fields = ["first_name", "email", "phone"]  # no country field
    source.save()
    response = post({"email": "rita@example.com", "phone": "21 99876-5432"}, aged_token)
    assert response.status_code == 302
    assert Lead.objects.get().phone == "+5521998765432"


def test_the_forms_country_wins_over_the_default_one(form_source, aged_token):
    form_source.default_country = "BR"
    form_source.save()
    post({"email": "a@x.io", "phone": "020 7946 0018", "country": "UK"}, aged_token)
    assert Lead.objects.get().phone == "+442079460018"


def test_phone_error_does_not_ask_for_a_country_the_form_lacks(source, aged_token):
    source.form_enabled = True
    source.form_fields = ["first_name", "email", "phone"]
    source.save()
    response = post({"email": "rita@example.com", "phone": "21 99876-5432"}, aged_token)
    assert response.status_code == 400
    html = response.content.decode()
    assert "country code, starting with +" in html and "give the country" not in html
    assert not Lead.objects.exists()


def test_missing_or_forged_token_is_refused(form_source):
    assert post({"email": "a@x.io"}, "").status_code == 400
    assert post({"email": "a@x.io"}, "forged:token").status_code == 400
    other = webform.form_token("other-source")
    assert post({"email": "a@x.io"}, other).status_code == 400
    assert not Lead.objects.exists()


def test_a_forged_token_is_refused_before_the_form_is_validated_keeping_what_was_typed(
    form_source,
):
    # "123" is no phone: validated, it would get a field error. The token is checked first.
    response = post({"email": "a@x.io", "phone": "123", "company": "Acme"}, "forged:token")
    html = response.content.decode()
    assert response.status_code == 400 and "could not be verified" in html
    assert "field-error" not in html
    assert 'value="Acme"' in html and 'value="123"' in html
    assert not Lead.objects.exists()


def test_a_rate_limited_post_is_refused_before_the_form_is_validated(
    form_source, aged_token, monkeypatch
):
    from pools.capture import views

    monkeypatch.setattr(views, "FORM_POSTS_PER_MINUTE_PER_IP", 0)
    response = post({"email": "a@x.io", "phone": "123"}, aged_token)
    html = response.content.decode()
    assert response.status_code == 400 and "Too many submissions" in html
    assert "field-error" not in html and not Lead.objects.exists()


def test_a_token_makes_one_lead_and_a_replay_is_asked_to_send_again(form_source, aged_token):
    assert post({"email": "first@x.io"}, aged_token).status_code == 302
    replay = post({"email": "second@x.io", "company": "Acme"}, aged_token)
    html = replay.content.decode()
    assert replay.status_code == 400 and "We already have this form" in html
    assert 'value="second@x.io"' in html  # what was typed is still there
    assert list(Lead.objects.values_list("email", flat=True)) == ["first@x.io"]
    fresh = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert post({"email": "second@x.io"}, fresh).status_code == 302  # Send again: taken
    assert Lead.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_one_token_posted_from_many_connections_at_once_makes_one_lead(form_source, aged_token):
    barrier = threading.Barrier(8)
    statuses = []

    def send(i):
        try:
            barrier.wait()
            statuses.append(post({"email": f"p{i}@x.io"}, aged_token).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [302] + [400] * 7
    assert Lead.objects.count() == 1


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


@pytest.mark.parametrize("same_team, joins", [(True, True), (False, False)])
def test_the_web_form_joins_an_open_lead_of_its_team_only(
    form_source, aged_token, other_team, same_team, joins
):
    # The visitor is told nothing either way; the team sees one lead per person.
    from tests.factories import LeadFactory, LeadSourceFactory

    elsewhere = LeadSourceFactory(
        name="Vendor", slug="vendor", team=form_source.team if same_team else other_team
    )
    open_lead = LeadFactory(
        source=elsewhere, team=elsewhere.team, email="rita@example.com", status=LeadState.NEW
    )
    if same_team:  # routed since to another team: still this team's source's lead
        Lead.objects.filter(pk=open_lead.pk).update(team=other_team)
    assert post({"email": "rita@example.com"}, aged_token).status_code == 302
    assert open_lead.events.filter(kind=LeadEvent.Kind.INQUIRY).exists() == joins
    assert Lead.objects.count() == (1 if joins else 2)
