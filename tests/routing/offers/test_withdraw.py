"""A lead that leaves `offered` another way (a manager's hand-assign, an escalation) takes
its open offer with it: the offer is withdrawn with the move's reason, its cards leave the
recipients' pages, and a late accept hears the offer is no longer open."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction

from leadroute.shared.live import live_replace
from pools.lifecycle import LeadState
from pools.models import Lead
from pools.services import LeadChanged, Move, lead_transition, leads_transition
from routing.engine import lead_route
from routing.models import Offer, RoutingRule
from routing.offers.selectors import offers_open_for
from routing.offers.services import (
    OfferError,
    offer_accept,
    offer_expire,
    offer_withdraw_open,
)
from tests.factories import PoolFactory, make_manager, make_rep
from tests.leadroute.test_live import _connected, _received
from tests.routing_factories import RuleFactory, screened_lead

from .conftest import online


def _offered_lead(team, reps, **rule):
    online(*reps)
    RuleFactory(team=team, action=RoutingRule.Action.OFFER, offer_method="shotgun", **rule)
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    return Lead.objects.get(pk=lead.pk)


def _hand_assign(lead_id, *, to, by):
    """A manager's hand-assign as a mover writes it: read the lead, move it."""
    with transaction.atomic():
        lead = Lead.objects.get(pk=lead_id)
        return lead_transition(
            lead=lead,
            to=LeadState.ASSIGNED,
            owner=to,
            actor=by,
            reason=f"Hand-assigned to {to.display_name}",
            extra={"assigned_via": Lead.Via.DESK},
        )


@pytest.mark.django_db
def test_a_hand_assigned_lead_withdraws_its_offer_and_a_late_accept_is_told_calmly(team):
    a, b, c = make_rep(team=team), make_rep(team=team), make_rep(team=team)
    lead = _offered_lead(team, [a, b])
    offer = Offer.objects.get(lead=lead)

    _hand_assign(lead.pk, to=c, by=make_manager(teams=[team]))

    offer.refresh_from_db()
    assert offer.state == Offer.State.WITHDRAWN and offer.closed_at is not None
    assert offer.close_reason == f"Hand-assigned to {c.display_name}"
    assert list(offers_open_for(user=a)) == []
    with pytest.raises(OfferError) as late:
        offer_accept(offer_id=offer.pk, user=a)
    assert late.value.message == "This offer is no longer open."
    lead.refresh_from_db()
    assert lead.status == LeadState.ASSIGNED and lead.owner_id == c.pk


@pytest.mark.django_db
def test_a_batch_move_out_of_offered_withdraws_every_open_offer(team):
    a = make_rep(team=team)
    leads = [_offered_lead(team, [a]) for _ in range(3)]
    with transaction.atomic():
        leads_transition(
            moves=[Move(lead=lead, to=LeadState.SKIMMING, reason="Escalated") for lead in leads],
            kind="transition",
        )
    offers = Offer.objects.filter(lead__in=leads)
    assert {(o.state, o.close_reason) for o in offers} == {("withdrawn", "Escalated")}


@pytest.mark.django_db
def test_withdrawing_directly_returns_the_offer_once(team):
    a = make_rep(team=team)
    lead = _offered_lead(team, [a])
    offer = offer_withdraw_open(lead=lead, reason="Manager takes it")
    assert offer is not None and offer.state == "withdrawn" and offer.lead_id == lead.pk
    assert offer_withdraw_open(lead=lead, reason="Again") is None
    assert Offer.objects.get(pk=offer.pk).close_reason == "Manager takes it"


@pytest.mark.django_db
def test_the_offers_own_endings_are_not_withdrawals(team):
    a = make_rep(team=team)
    pool = PoolFactory(team=team)
    taken = _offered_lead(team, [a], fallback=RoutingRule.Fallback.POOL, fallback_pool=pool)
    offer_accept(offer_id=Offer.objects.get(lead=taken).pk, user=a)
    assert Offer.objects.get(lead=taken).state == "accepted"

    left = screened_lead(team=team)
    lead_route(lead=left)
    offer = Offer.objects.get(lead=left)
    assert (
        offer_expire(offer_id=offer.pk, now=offer.expires_at).outcome == "expired: fallback: pooled"
    )
    assert Offer.objects.get(pk=offer.pk).state == "expired"


@pytest.mark.django_db(transaction=True)
async def test_the_withdrawn_offers_card_leaves_every_recipients_pages(team):
    a, b, c = await sync_to_async(lambda: [make_rep(team=team) for _ in range(3)])()
    manager = await sync_to_async(make_manager)(teams=[team])
    socket_a, socket_b = await _connected(a), await _connected(b)

    def offer_it():
        try:
            return _offered_lead(team, [a, b]).pk
        finally:
            connection.close()

    lead_id = await asyncio.to_thread(offer_it)
    offer = await sync_to_async(Offer.objects.get)(lead_id=lead_id)
    for socket in (socket_a, socket_b):
        assert len(await _received(socket)) == 1  # the card

    def assign():
        try:
            _hand_assign(lead_id, to=c, by=manager)
        finally:
            connection.close()

    await asyncio.to_thread(assign)
    gone = live_replace(f"offer-{offer.pk}")
    assert await _received(socket_a) == [gone]
    assert await _received(socket_b) == [gone]
    for socket in (socket_a, socket_b):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
def test_a_hand_assign_racing_an_accept_has_one_outcome_and_never_deadlocks(team):
    rounds = 25
    rep, target = make_rep(team=team), make_rep(team=team)
    manager = make_manager(teams=[team])
    lead_ids = [_offered_lead(team, [rep]).pk for _ in range(rounds)]
    offers = {o.lead_id: o.pk for o in Offer.objects.filter(lead_id__in=lead_ids)}
    barrier = threading.Barrier(2)
    results = {"accept": [], "assign": []}

    def run(kind):
        try:
            for lead_id in lead_ids:
                barrier.wait(timeout=30)
                try:
                    if kind == "accept":
                        results[kind].append(offer_accept(offer_id=offers[lead_id], user=rep))
                    else:
                        results[kind].append(_hand_assign(lead_id, to=target, by=manager))
                except (OfferError, LeadChanged) as exc:
                    results[kind].append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results["accept"]) == len(results["assign"]) == rounds  # nothing else raised

    seen = set()
    for i, lead_id in enumerate(lead_ids):
        lead = Lead.objects.get(pk=lead_id)
        offer = Offer.objects.get(pk=offers[lead_id])
        accepted, assigned = results["accept"][i], results["assign"][i]
        if offer.state == "accepted":
            assert lead.owner_id == rep.pk and isinstance(assigned, LeadChanged)
        else:
            assert offer.state == "withdrawn" and isinstance(accepted, OfferError)
            assert lead.owner_id == target.pk
        assert lead.events.filter(from_state=LeadState.OFFERED).count() == 1
        seen.add(offer.state)
    assert not Offer.objects.filter(state="open").exists()
    print("outcomes seen:", seen)
