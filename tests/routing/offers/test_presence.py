"""Presence: online while a socket beats, offline after two missed heartbeats."""

import time

import pytest

from leadroute.shared.redis_client import redis_client
from routing.live.presence import (
    OFFLINE_AFTER_SECONDS,
    presence_gone,
    presence_key,
    presence_seen,
    users_online,
)


def test_a_rep_is_online_from_their_first_heartbeat_until_two_are_missed():
    now = time.time()
    presence_seen(user_id=7, connection="a", at=now)
    assert users_online(user_ids=[7, 8], at=now) == {7}
    assert users_online(user_ids=[7], at=now + OFFLINE_AFTER_SECONDS - 1) == {7}
    assert users_online(user_ids=[7], at=now + OFFLINE_AFTER_SECONDS + 1) == set()


def test_a_closed_tab_leaves_the_rep_online_while_another_beats():
    now = time.time()
    presence_seen(user_id=7, connection="tab1", at=now)
    presence_seen(user_id=7, connection="tab2", at=now)
    presence_gone(user_id=7, connection="tab1")
    assert users_online(user_ids=[7], at=now) == {7}
    presence_gone(user_id=7, connection="tab2")
    assert users_online(user_ids=[7], at=now) == set()


def test_long_silent_sockets_are_dropped_from_the_set():
    now = time.time()
    presence_seen(user_id=7, connection="dead", at=now - 100 * OFFLINE_AFTER_SECONDS)
    users_online(at=now)
    assert redis_client().zcard(presence_key()) == 0


def test_redis_unreachable_counts_nobody_online(monkeypatch):
    import redis

    from routing.live import presence
    from tests.servers import free_port

    # A real client to a port nobody listens on.
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setattr(presence, "redis_client", lambda: down)
    assert users_online(user_ids=[1]) == set()


@pytest.mark.django_db(transaction=True)
async def test_the_live_socket_marks_its_rep_online_beats_and_leaves(rep):
    from asgiref.sync import sync_to_async

    from tests.leadroute.test_live import _communicator, _session_cookie

    cookie = await sync_to_async(_session_cookie)(rep)
    socket = _communicator(cookie=cookie)
    connected, _ = await socket.connect()
    assert connected
    assert users_online(user_ids=[rep.pk]) == {rep.pk}
    first = redis_client().zrange(presence_key(), 0, -1, withscores=True)[0][1]
    time.sleep(0.01)
    await socket.send_to(text_data="heartbeat")
    await socket.receive_nothing(timeout=0.2)
    assert redis_client().zrange(presence_key(), 0, -1, withscores=True)[0][1] > first
    await socket.disconnect()
    assert users_online(user_ids=[rep.pk]) == set()
