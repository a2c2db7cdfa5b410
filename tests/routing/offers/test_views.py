"""Accept and decline over HTTP: who may, the wrong method, full page and htmx answers."""

import pytest
from django.contrib.auth import get_user_model

from pools.lifecycle import LeadState
from pools.models import Lead
from routing.engine import lead_route
from routing.models import Offer, RoutingRule
from routing.offers.selectors import lead_offer_history
from routing.offers.services import offer_decline
from tests.factories import make_rep
from tests.routing_factories import screened_lead

from .conftest import online

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(team, rep, offer_rule):
    other = make_rep(team=team)
    online(rep, other)
    offer_rule(RoutingRule.OfferMethod.SHOTGUN)
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    return Offer.objects.get(lead=lead)


def accept_url(offer):
    return f"/routing/offers/{offer.pk}/accept/"


def test_a_recipient_accepts_with_htmx_and_is_sent_to_the_lead_page(offer, rep, client_for):
    response = client_for(rep).post(accept_url(offer), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/leads/{offer.lead_id}/"
    assert Lead.objects.get(pk=offer.lead_id).owner == rep


def test_a_plain_form_accept_redirects_to_the_lead_page(offer, rep, client_for):
    response = client_for(rep).post(accept_url(offer))
    assert response.status_code == 302 and response["Location"] == f"/leads/{offer.lead_id}/"


def test_a_losing_accept_gets_the_calm_answer_in_place_of_the_card(offer, rep, team, client_for):
    other = next(pk for pk in offer.recipient_ids if pk != rep.pk)
    client_for(get_user_model().objects.get(pk=other)).post(accept_url(offer))
    response = client_for(rep).post(accept_url(offer), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'data-live-replace="offer-{offer.pk}"' in response.content.decode()  # the card goes
    assert "Someone else took it." in response.content.decode()


def test_an_offer_made_to_others_cannot_be_accepted_and_says_so_without_a_500(
    offer, other_rep, client_for
):
    response = client_for(other_rep).post(accept_url(offer), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "not made to you" in response.content.decode()
    assert Lead.objects.get(pk=offer.lead_id).status == LeadState.OFFERED


def test_only_reps_may_answer_offers(offer, manager, outsider, client, client_for):
    assert client_for(manager).post(accept_url(offer)).status_code == 403
    assert client_for(outsider).post(accept_url(offer)).status_code == 403
    assert client.post(accept_url(offer)).status_code == 302  # to the login page
    assert Offer.objects.get(pk=offer.pk).state == "open"


def test_answers_take_post_only(offer, rep, client_for):
    assert client_for(rep).get(accept_url(offer)).status_code == 405
    assert client_for(rep).get(f"/routing/offers/{offer.pk}/decline/").status_code == 405
    assert client_for(rep).post("/routing/offers/").status_code == 405


def test_a_decline_keeps_its_reason_and_answers_in_place(offer, rep, client_for):
    response = client_for(rep).post(
        f"/routing/offers/{offer.pk}/decline/", {"reason": "On a call"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Declined." in response.content.decode()
    assert offer.responses.get(rep=rep).reason == "On a call"


def test_a_decline_reason_with_a_nul_is_kept_without_it(offer, rep, client_for):
    response = client_for(rep).post(
        f"/routing/offers/{offer.pk}/decline/", {"reason": "On a\x00 call"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert offer.responses.get(rep=rep).reason == "On a call"


def test_a_rep_sees_their_open_offers_and_no_one_elses(offer, rep, other_rep, client_for):
    assert f'id="offer-{offer.pk}"' in client_for(rep).get("/routing/offers/").content.decode()
    assert 'id="offer-' not in client_for(other_rep).get("/routing/offers/").content.decode()
    offer_decline(offer_id=offer.pk, user=rep)
    assert 'id="offer-' not in client_for(rep).get("/routing/offers/").content.decode()


def test_the_offer_history_shows_managers_everyone_and_a_rep_their_own_line(offer, rep):
    offer_decline(offer_id=offer.pk, user=rep, reason="Busy")
    lead = Lead.objects.get(pk=offer.lead_id)
    (full,) = lead_offer_history(lead=lead, full=True)
    assert full["state"] == "open" and full["offered_to"] == 2 and len(full["recipients"]) == 2
    mine = {r["rep"]: r for r in full["recipients"]}[rep.pk]
    assert mine["response"] == "declined" and mine["reason"] == "Busy"
    (own,) = lead_offer_history(lead=lead, full=False, viewer=rep)
    assert [r["rep"] for r in own["recipients"]] == [rep.pk]


def test_test_a_lead_in_the_admin_shows_the_offer_plan(team, offer_rule, admin_user, client_for):
    a, b = make_rep(team=team), make_rep(team=team)
    for user, name in ((a, "Ana"), (b, "Bea")):
        user.first_name, user.last_name = name, "Zed"
        user.save()
    online(a, b)
    offer_rule(RoutingRule.OfferMethod.SEQUENTIAL, offer_seconds=25, offer_passes=2)
    lead = screened_lead(team=team)
    body = (
        client_for(admin_user)
        .get(f"/admin/routing/routingrule/test/?lead_id={lead.pk}")
        .content.decode()
    )
    assert "Offered live to online reps" in body and "Offer plan" in body
    plan = body[body.index("Offer plan") :]
    order = [plan.index(name) for name in ("Ana Zed", "Bea Zed")]
    assert order == sorted(order) and "25 s · Pass 2, rep 1 of 2" in plan
    assert Lead.objects.get(pk=lead.pk).status == LeadState.SCREENED


def test_a_reps_why_this_rep_shows_no_offer_plan(offer, rep, client_for):
    from routing.offers.services import offer_accept

    offer_accept(offer_id=offer.pk, user=rep)
    body = client_for(rep).get(f"/routing/leads/{offer.lead_id}/why/").content.decode()
    assert "Accepted the live offer" in body and "Offer plan" not in body
    # The rule that opened the offer, not an empty "rules tried" list that read as "No
    # active rule: the team's default placement applied".
    assert f"By the rule <strong>{offer.rule.name}</strong>" in body
    assert "No active rule" not in body and "Rules tried" not in body


def test_a_manager_reads_an_offered_lead_its_timeline_and_why(offer, manager, client_for):
    client = client_for(manager)
    page = client.get(f"/leads/{offer.lead_id}/")
    assert page.status_code == 200 and "Offered" in page.content.decode()
    why = client.get(f"/routing/leads/{offer.lead_id}/why/").content.decode()
    assert "Offered live to online reps" in why and "Offer plan" in why
    assert "Everyone at once" in why


def test_the_admin_rules_list_says_a_rule_offers_live(offer_rule, admin_user, client_for, team):
    rule = offer_rule(RoutingRule.OfferMethod.CASCADE)
    rule.method = RoutingRule.Method.DIRECT  # left from before the action changed: ignored
    rule.save()
    body = client_for(admin_user).get("/admin/routing/routingrule/").content.decode()
    assert f"Top-producer cascade live offer to online reps of {team}" in body
