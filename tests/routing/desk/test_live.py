"""The desk's frames on real sockets: who hears that a lead reached or left a skim queue,
who does not, and that a frame names no lead field."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from pools.lifecycle import LeadState
from routing.desk.services import lead_hand_assign
from routing.engine import lead_route
from routing.models import RoutingRule
from tests.factories import LeadFactory, make_manager, make_rep
from tests.leadroute.test_live import _connected
from tests.live_helpers import assert_next_frame_is_a_sentinel
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "Zebulonskimsecret"


def _in_a_thread(fn):
    """Committed on a thread of its own, as a Celery drain or a request does."""

    def run():
        try:
            return fn()
        finally:
            connection.close()

    return asyncio.to_thread(run)


async def test_a_lead_routed_to_the_skim_queue_reaches_its_teams_desks_only(team, other_team):
    manager, stranger = await sync_to_async(
        lambda: (make_manager(teams=[team]), make_manager(teams=[other_team]))
    )()
    desk, other_desk = await _connected(manager), await _connected(stranger)

    def route():
        RuleFactory(team=team, action=RoutingRule.Action.SKIM)
        lead_route(lead=screened_lead(team=team, first_name=SECRET))

    await _in_a_thread(route)
    frame = await desk.receive_from(timeout=5)
    assert 'data-live-event="desk-sync"' in frame and SECRET not in frame
    await assert_next_frame_is_a_sentinel(other_desk, stranger.pk)


async def test_a_hand_assign_drops_the_row_on_other_desks_and_tells_both_reps(team):
    manager, other, old, new = await sync_to_async(
        lambda: (
            make_manager(teams=[team]),
            make_manager(teams=[team]),
            make_rep(team=team),
            make_rep(team=team),
        )
    )()
    lead = await sync_to_async(
        lambda: LeadFactory(status=LeadState.ASSIGNED, owner=old, team=team, first_name=SECRET)
    )()
    desk, old_page, new_page = (
        await _connected(other),
        await _connected(old),
        await _connected(new),
    )
    await _in_a_thread(
        lambda: lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=new.pk, reason="On leave")
    )
    to_new = await new_page.receive_from(timeout=5)
    assert 'data-live-event="leads-changed"' in to_new
    to_old = await old_page.receive_from(timeout=5)
    assert f'data-live-replace="my-lead-{lead.pk}"' in to_old
    # Not in the queue before, not in it now: the team's desks hear nothing.
    await assert_next_frame_is_a_sentinel(desk, other.pk)


async def test_a_managers_pool_page_socket_hears_its_teams_pool_and_only_that(team, other_team):
    from channels.testing import WebsocketCommunicator

    from pools.pull.claim import lead_claim
    from routing.live.consumers import LiveConsumer
    from tests.factories import PoolFactory
    from tests.pool_helpers import pooled

    pool, manager, stranger, rep = await sync_to_async(
        lambda: (
            PoolFactory(team=team),
            make_manager(teams=[team]),
            make_manager(teams=[other_team]),
            make_rep(team=team),
        )
    )()
    lead = await sync_to_async(lambda: pooled(pool, first_name=SECRET))()
    sockets = {}
    for user in (manager, stranger):
        communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), f"/ws/live/?pool={pool.pk}")
        communicator.scope["user"] = user
        assert (await communicator.connect())[0]
        sockets[user.pk] = communicator
    await _in_a_thread(lambda: lead_claim(user=rep, lead_id=lead.pk, pool_id=pool.pk))
    frame = await sockets[manager.pk].receive_from(timeout=5)
    assert 'data-live-replace="pl-' in frame and SECRET not in frame
    await assert_next_frame_is_a_sentinel(sockets[stranger.pk], stranger.pk)
    for communicator in sockets.values():
        await communicator.disconnect()
