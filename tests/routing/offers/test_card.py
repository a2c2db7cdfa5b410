"""The offer card as the pages draw it: the time left by the server's clock, the title
standing for the fields it names, the calm answer that outlives the closing frame, and the
container every rep page carries."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string

from leadroute.shared.live import live_replace
from routing.engine import lead_route
from routing.models import Offer, RoutingRule
from routing.offers.selectors import offer_card
from routing.offers.services import offer_accept
from tests.factories import make_rep
from tests.routing_factories import screened_lead

from .conftest import online

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(team, rep, offer_rule):
    online(rep, make_rep(team=team))
    offer_rule(RoutingRule.OfferMethod.SHOTGUN, offer_seconds=60)
    lead = screened_lead(team=team, first_name="Ana", last_name="Souza", company="Acme Ltda")
    lead_route(lead=lead)
    return Offer.objects.get(lead=lead)


def test_the_card_counts_down_from_the_time_left_on_the_servers_clock(offer):
    at = offer.expires_at - timedelta(seconds=12.5)
    card = offer_card(offer=offer, lead=offer.lead, rule=offer.rule, now=at)
    assert card.remaining_ms == 12_500 and card.remaining_seconds == 13 and card.seconds == 60
    html = render_to_string("routing/offers/_card.html", {"card": card})
    assert 'data-remaining-ms="12500"' in html and 'data-seconds="60"' in html
    late = offer_card(offer=offer, lead=offer.lead, rule=offer.rule, now=offer.expires_at)
    assert late.remaining_ms == 0  # never negative


def test_the_cards_title_names_the_lead_once_and_the_fields_hold_the_rest(offer):
    card = offer_card(offer=offer, lead=offer.lead, rule=offer.rule)
    assert card.title == "Ana Souza · Acme Ltda"
    labels = [label for label, _ in card.fields]
    assert "First name" not in labels and "Company" not in labels and "Job title" in labels


def test_a_losing_answer_takes_the_card_out_and_keeps_an_id_the_closing_frame_leaves(
    offer, rep, team, client_for
):
    winner = next(pk for pk in offer.recipient_ids if pk != rep.pk)
    offer_accept(offer_id=offer.pk, user=type(rep).objects.get(pk=winner))
    html = (
        client_for(rep)
        .post(f"/routing/offers/{offer.pk}/accept/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    # The answer goes to the top of #live-offers (the card may be gone already) …
    assert f'id="offer-{offer.pk}-answer"' in html and "Someone else took it." in html
    # … and the card, if still there, leaves with it.
    assert live_replace(f"offer-{offer.pk}") in html
    card = render_to_string(
        "routing/offers/_card.html",
        {"card": offer_card(offer=offer, lead=offer.lead, rule=offer.rule)},
    )
    assert card.count('hx-target="#live-offers" hx-swap="afterbegin"') == 2


def test_every_rep_page_carries_the_offers_container_and_other_pages_do_not(
    rep, manager, client_for
):
    page = client_for(rep).get("/leads/mine/").content.decode()
    assert 'id="live-offers"' in page and 'data-resync-url="/routing/offers/"' in page
    assert "js/offers" in page
    other = client_for(manager).get("/leads/").content.decode()
    assert 'id="live-offers"' not in other and "js/offers" not in other
