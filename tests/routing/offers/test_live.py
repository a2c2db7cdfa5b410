"""Offers reach their recipients' pages: a card each when an offer opens, its removal
when it closes, and a blind offer's card carries no protected field (frames and HTML)."""

import asyncio
import re

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from leadroute.shared.live import live_replace
from pools.lifecycle import LeadState
from pools.models import Lead
from routing.engine import lead_route
from routing.models import Offer, RoutingRule
from routing.offers.services import offer_accept, offer_decline
from tests.factories import LeadSourceFactory, make_rep
from tests.leadroute.test_live import _connected, _received
from tests.routing_factories import screened_lead

pytestmark = pytest.mark.django_db(transaction=True)

# Long and unlike anything a page carries by chance (a CSRF token, a session id).
SECRETS = {
    "first_name": "Zebulonfirstsecret",
    "last_name": "Quixotelastsecret",
    "email": "hidden.mailbox.secret@example.test",
    "phone": "+5511987654321",
    "company": "Obscura Companysecret Ltda",
    "title": "Chief Titlesecret Officer",
}


def _route_in_a_thread(team, **rule):
    """Route a lead the way a Celery drain does: committed, on a thread of its own."""

    def run():
        try:
            from tests.routing_factories import RuleFactory

            RuleFactory(team=team, action=RoutingRule.Action.OFFER, **rule)
            source = LeadSourceFactory(name="Referral", slug="referral")
            lead = screened_lead(team=team, source=source, industry="Retail", **SECRETS)
            lead_route(lead=lead)
            return lead.pk
        finally:
            connection.close()

    return asyncio.to_thread(run)


def _leaks(text: str) -> list[str]:
    return [v for v in SECRETS.values() if v.lower() in text.lower()]


async def test_a_shotgun_offer_reaches_both_reps_and_leaves_the_other_when_one_accepts(team):
    a, b = await sync_to_async(lambda: [make_rep(team=team), make_rep(team=team)])()
    socket_a, socket_b = await _connected(a), await _connected(b)  # online: their sockets

    lead_id = await _route_in_a_thread(team, offer_method="shotgun")

    offer = await sync_to_async(Offer.objects.get)(lead_id=lead_id)
    frames_a, frames_b = await _received(socket_a), await _received(socket_b)
    for frames in (frames_a, frames_b):
        assert len(frames) == 1 and f'id="offer-{offer.pk}"' in frames[0]
        assert 'hx-swap-oob="afterbegin:#live-offers"' in frames[0]
        assert "Zebulonfirstsecret" in frames[0]  # a preview offer names the lead…
        assert (
            "hidden.mailbox" not in frames[0] and "987654321" not in frames[0]
        )  # …not how to reach it

    await sync_to_async(offer_accept)(offer_id=offer.pk, user=a)

    gone = live_replace(f"offer-{offer.pk}")
    assert await _received(socket_b) == [gone]
    assert await _received(socket_a) == [gone]  # A's other pages too
    lead = await sync_to_async(Lead.objects.get)(pk=lead_id)
    assert lead.status == LeadState.ASSIGNED and lead.owner_id == a.pk
    for socket in (socket_a, socket_b):
        await socket.disconnect()


async def test_a_blind_offer_card_carries_no_protected_field(team, client_for):
    rep = await sync_to_async(make_rep)(team=team)
    socket = await _connected(rep)

    lead_id = await _route_in_a_thread(team, offer_method="shotgun", offer_blind=True)

    (frame,) = await _received(socket)
    assert "Referral" in frame and "Retail" in frame  # what a blind pool shows
    assert _leaks(frame) == [], frame
    assert "New lead" in frame
    page = await sync_to_async(lambda: client_for(rep).get("/routing/offers/"))()
    html = page.content.decode()
    assert page.status_code == 200 and 'id="offer-' in html
    assert _leaks(html) == [] and _leaks(str(page.headers)) == []
    # Nor in the calm answers, nor after a decline.
    offer = await sync_to_async(Offer.objects.get)(lead_id=lead_id)
    declined = await sync_to_async(
        lambda: client_for(rep).post(f"/routing/offers/{offer.pk}/decline/", HTTP_HX_REQUEST="true")
    )()
    assert _leaks(declined.content.decode()) == []
    await socket.disconnect()


async def test_a_sequential_offer_moves_from_one_reps_page_to_the_next(team):
    a, b = await sync_to_async(lambda: [make_rep(team=team), make_rep(team=team)])()
    socket_a, socket_b = await _connected(a), await _connected(b)

    lead_id = await _route_in_a_thread(team, offer_method="sequential", offer_passes=1)

    first = await sync_to_async(Offer.objects.get)(lead_id=lead_id)
    assert first.recipient_ids == [a.pk]
    assert len(await _received(socket_a)) == 1
    assert await _received(socket_b) == []

    await sync_to_async(offer_decline)(offer_id=first.pk, user=a)

    assert await _received(socket_a) == [live_replace(f"offer-{first.pk}")]
    (frame,) = await _received(socket_b)
    second = await sync_to_async(Offer.objects.get)(lead_id=lead_id, state="open")
    assert re.search(f'id="offer-{second.pk}"', frame)
    for socket in (socket_a, socket_b):
        await socket.disconnect()
