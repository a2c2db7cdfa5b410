"""The team board's pings on the real channel layer: who hears that a rep's counts,
status or presence changed, that one transaction is one ping, and that a ping names
nothing (each board re-reads its own, server-scoped rows)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction

from accounts.services import rep_availability_set
from leadroute.asgi import application
from leadroute.shared.live import user_group
from pools.lifecycle import LeadState
from routing.desk.services import lead_hand_assign
from tests.factories import LeadFactory, make_manager, make_rep
from tests.leadroute.test_live import _session_cookie
from tests.live_helpers import assert_next_frame_is_a_sentinel

pytestmark = pytest.mark.django_db(transaction=True)
PING = 'data-live-event="board-changed"'
SECRET = "Zebulonboardsecret"


async def _socket(user, path="/ws/live/?board=1"):
    cookie = await sync_to_async(_session_cookie)(user)
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    communicator = WebsocketCommunicator(application, path, [*headers, (b"cookie", cookie)])
    assert (await communicator.connect())[0]
    return communicator


def _committed(fn):
    """On a thread of its own, as a request or a Celery task commits."""

    def run():
        try:
            return fn()
        finally:
            connection.close()

    return asyncio.to_thread(run)


async def _frames_until_sentinel(communicator, user_id) -> list[str]:
    sentinel = "<p>sentinel</p>"
    message = {"type": "live.html", "html": sentinel}
    await get_channel_layer().group_send(user_group(user_id), message)
    frames = []
    while (frame := await communicator.receive_from(timeout=5)) != sentinel:
        frames.append(frame)
    return frames


async def test_a_lead_given_to_a_rep_pings_their_teams_boards_only(team, other_team):
    manager, stranger, rep, other = await sync_to_async(
        lambda: (
            make_manager(teams=[team]),
            make_manager(teams=[other_team]),
            make_rep(team=team),
            make_rep(team=team),
        )
    )()
    lead = await sync_to_async(
        lambda: LeadFactory(status=LeadState.SKIMMING, team=team, first_name=SECRET)
    )()
    rep_page = await _socket(rep, "/ws/live/")  # before the boards: its presence ping is past
    plain = await _socket(manager, "/ws/live/")  # the manager's desk, not the board
    board, other_board = await _socket(manager), await _socket(stranger)
    await _committed(lambda: lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=rep.pk))
    # The board's socket is in the team group too (the desk's queue frames): of all it
    # got, exactly one ping, and no lead field anywhere.
    frames = await _frames_until_sentinel(board, manager.pk)
    assert "".join(frames).count(PING) == 1 and SECRET not in "".join(frames)
    await assert_next_frame_is_a_sentinel(other_board, stranger.pk)
    # The rep hears of their new lead, the manager's desk of the queue; neither of the board.
    assert not any(PING in f for f in await _frames_until_sentinel(rep_page, rep.pk))
    assert not any(PING in f for f in await _frames_until_sentinel(plain, manager.pk))
    for socket in (rep_page, plain, board, other_board):
        await socket.disconnect()


async def test_many_moves_in_one_transaction_are_one_ping(team):
    manager, rep = await sync_to_async(lambda: (make_manager(teams=[team]), make_rep(team=team)))()
    leads = await sync_to_async(
        lambda: [LeadFactory(status=LeadState.SKIMMING, team=team) for _ in range(5)]
    )()
    board = await _socket(manager)

    def assign_all():
        with transaction.atomic():
            for lead in leads:
                lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=rep.pk)

    await _committed(assign_all)
    assert "".join(await _frames_until_sentinel(board, manager.pk)).count(PING) == 1
    await board.disconnect()


async def test_a_rolled_back_change_pings_nobody(team):
    manager, rep = await sync_to_async(lambda: (make_manager(teams=[team]), make_rep(team=team)))()
    board = await _socket(manager)

    def set_away_then_roll_back():
        with transaction.atomic():
            rep_availability_set(profile=rep.rep_profile, availability="away")
            transaction.set_rollback(True)

    await _committed(set_away_then_roll_back)
    await assert_next_frame_is_a_sentinel(board, manager.pk)
    await _committed(lambda: rep_availability_set(profile=rep.rep_profile, availability="away"))
    assert PING in await board.receive_from(timeout=5)
    await board.disconnect()


async def test_a_reps_first_socket_and_their_last_closing_ping_the_board(team):
    manager, rep = await sync_to_async(lambda: (make_manager(teams=[team]), make_rep(team=team)))()
    board = await _socket(manager)
    first = await _socket(rep, "/ws/live/")
    assert PING in await board.receive_from(timeout=5)  # online
    second = await _socket(rep, "/ws/live/")  # still online: nothing changed
    await assert_next_frame_is_a_sentinel(board, manager.pk)
    await second.disconnect()
    await assert_next_frame_is_a_sentinel(board, manager.pk)
    await first.disconnect()
    assert PING in await board.receive_from(timeout=5)  # offline
    await board.disconnect()
