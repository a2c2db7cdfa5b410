"""An open websocket does not outlive its session: logging out, deactivation or a team
move closes or re-scopes it (accounts.signals → the consumer's `session_check`), and a
session ended by a path no signal covers closes at the next heartbeat. Real Redis channel
layer, real sessions through the login machinery."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from leadroute.asgi import application
from leadroute.shared.live import team_group, user_group
from routing.live.consumers import SESSION_OVER
from tests.factories import PoolFactory
from tests.live_helpers import assert_next_frame_is_a_sentinel

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def _socket(client: Client, path: str = "/ws/live/"):
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    communicator = WebsocketCommunicator(application, path, headers=[*headers, (b"cookie", cookie)])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _closed(communicator) -> None:
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": SESSION_OVER,
    }


async def _frame(group: str, html: str) -> None:
    await get_channel_layer().group_send(group, {"type": "live.html", "html": html})


async def _settled(communicator, user_id: int) -> None:
    """The socket has handled the control message sent before this (one consumer handles
    its messages in order)."""
    await assert_next_frame_is_a_sentinel(communicator, user_id)


async def test_logging_out_closes_that_sessions_sockets_only(rep):
    browser, phone = await sync_to_async(_signed_in)(rep), await sync_to_async(_signed_in)(rep)
    on_browser, on_phone = await _socket(browser), await _socket(phone)
    await sync_to_async(browser.post)("/accounts/logout/")
    await _closed(on_browser)
    # The phone's session goes on, and so does its socket.
    await _settled(on_phone, rep.pk)
    await on_phone.disconnect()


async def test_a_deactivated_users_socket_closes(rep):
    socket = await _socket(await sync_to_async(_signed_in)(rep))

    def deactivate():
        rep.is_active = False
        rep.save()

    await sync_to_async(deactivate)()
    await _closed(socket)


async def test_a_session_ended_without_a_signal_closes_at_the_next_heartbeat(rep):
    socket = await _socket(await sync_to_async(_signed_in)(rep))
    await sync_to_async(User.objects.filter(pk=rep.pk).update)(is_active=False)
    await _settled(socket, rep.pk)  # no signal: nothing happened yet
    await socket.send_to(text_data="heartbeat")
    await _closed(socket)


async def test_a_team_move_drops_the_old_teams_frames_and_brings_the_new_ones(
    rep, team, other_team
):
    pool = await sync_to_async(PoolFactory)(team=team)
    socket = await _socket(await sync_to_async(_signed_in)(rep), f"/ws/live/?pool={pool.pk}")
    await _frame(team_group(team.pk), "<p>old team, before</p>")
    assert await socket.receive_from(timeout=5) == "<p>old team, before</p>"

    def move():
        profile = rep.rep_profile
        profile.team = other_team
        profile.save()

    await sync_to_async(move)()
    await _settled(socket, rep.pk)
    await _frame(team_group(team.pk), "<p>old team, after</p>")
    await _frame(f"pool.{pool.pk}", "<p>old team's pool, after</p>")
    await _settled(socket, rep.pk)
    await _frame(team_group(other_team.pk), "<p>new team</p>")
    assert await socket.receive_from(timeout=5) == "<p>new team</p>"
    # Still their own socket: the user's group reaches it.
    await _frame(user_group(rep.pk), "<p>yours</p>")
    assert await socket.receive_from(timeout=5) == "<p>yours</p>"
    await socket.disconnect()


async def test_a_manager_taken_off_a_team_stops_getting_its_frames(manager, team):
    socket = await _socket(await sync_to_async(_signed_in)(manager))
    await _frame(team_group(team.pk), "<p>managed</p>")
    assert await socket.receive_from(timeout=5) == "<p>managed</p>"
    await sync_to_async(team.managers.remove)(manager)
    await _settled(socket, manager.pk)
    await _frame(team_group(team.pk), "<p>no longer</p>")
    await _settled(socket, manager.pk)
    await socket.disconnect()


def test_the_heartbeats_session_check_is_two_queries(rep, django_assert_num_queries):
    """The price of re-checking a session on every heartbeat: the session row and the
    user row (channels' get_user on a fresh session store), nothing more."""
    from asgiref.sync import async_to_sync

    from routing.live.consumers import _session_user

    key = _signed_in(rep).cookies["sessionid"].value
    with django_assert_num_queries(2):
        assert async_to_sync(_session_user)(key).pk == rep.pk
