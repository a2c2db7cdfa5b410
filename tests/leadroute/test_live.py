"""The live channel (real Redis channel layer), the Celery worker (real process against
Redis) and /healthz."""

import asyncio
import logging
import time
import uuid
from contextlib import suppress

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from leadroute.asgi import application
from leadroute.shared.live import SEND_TIMEOUT, broadcast_on_commit, team_group, user_group
from routing.models import Heartbeat
from routing.tasks import sweep
from tests.live_helpers import assert_next_frame_is_a_sentinel
from tests.servers import celery_worker

ws_db = pytest.mark.django_db(transaction=True)


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _communicator(*, cookie: bytes | None = None, origin: bytes = b"http://127.0.0.1:8000"):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1:8000")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


@ws_db
async def test_anonymous_socket_is_refused():
    communicator = _communicator()
    connected, _ = await communicator.connect()
    assert not connected


@ws_db
async def test_foreign_origin_is_refused_even_when_signed_in(rep):
    from asgiref.sync import sync_to_async

    cookie = await sync_to_async(_session_cookie)(rep)
    communicator = _communicator(cookie=cookie, origin=b"https://evil.example")
    connected, _ = await communicator.connect()
    assert not connected


@ws_db
async def test_signed_in_user_receives_group_messages_for_them_and_their_team(rep, other_rep):
    from asgiref.sync import sync_to_async

    cookie = await sync_to_async(_session_cookie)(rep)
    team_id = await sync_to_async(lambda: rep.rep_profile.team_id)()
    communicator = _communicator(cookie=cookie)
    connected, _ = await communicator.connect()
    assert connected
    layer = get_channel_layer()
    await layer.group_send(user_group(rep.pk), {"type": "live.html", "html": "<p>for you</p>"})
    assert await communicator.receive_from(timeout=5) == "<p>for you</p>"
    await layer.group_send(team_group(team_id), {"type": "live.html", "html": "<p>team</p>"})
    assert await communicator.receive_from(timeout=5) == "<p>team</p>"
    # Another rep's group does not reach this socket.
    await layer.group_send(user_group(other_rep.pk), {"type": "live.html", "html": "<p>no</p>"})
    await assert_next_frame_is_a_sentinel(communicator, rep.pk)
    await communicator.disconnect()


def _in_a_thread_of_its_own(fn):
    """Run `fn` as Celery or a command would: on a thread with no event loop above it
    (not sync_to_async's, which async_to_sync hops back from)."""

    def run():
        try:
            fn()
        finally:
            connection.close()

    return asyncio.to_thread(run)


def _via_sync_to_async(fn):
    return sync_to_async(fn)()


committers = pytest.mark.parametrize(
    "commit_from", [_via_sync_to_async, _in_a_thread_of_its_own], ids=["asgi", "celery"]
)


async def _received(communicator) -> list[str]:
    """Every frame that arrives until the socket has been quiet for a second."""
    frames = []
    while not await communicator.receive_nothing(timeout=1):
        frames.append(await communicator.receive_from())
    return frames


async def _connected(user):
    communicator = _communicator(cookie=await sync_to_async(_session_cookie)(user))
    assert (await communicator.connect())[0]
    return communicator


@ws_db
@committers
async def test_a_committed_broadcast_reaches_the_socket_and_only_its_group(
    rep, other_rep, commit_from
):
    """Through the configured channel layer on the real Redis, sent by the committing
    thread: a frame for this rep arrives; another rep's does not."""
    communicator = await _connected(rep)

    def send() -> None:
        with transaction.atomic():
            broadcast_on_commit(user_group(other_rep.pk), html="<p>not yours</p>")
            broadcast_on_commit(user_group(rep.pk), html="<p>committed</p>")

    await commit_from(send)
    assert await communicator.receive_from(timeout=5) == "<p>committed</p>"
    await assert_next_frame_is_a_sentinel(communicator, rep.pk)
    await communicator.disconnect()


@ws_db
@committers
async def test_a_rolled_back_broadcast_sends_nothing_and_the_next_transaction_sends_its_own(
    rep, commit_from
):
    """A rolled-back transaction sends nothing, nor does a rolled-back savepoint inside a
    committed one, while the frames around it go; a transaction after a rolled-back one
    is sent on its own."""
    communicator = await _connected(rep)
    group = user_group(rep.pk)

    def send() -> None:
        with transaction.atomic():
            broadcast_on_commit(group, html="<p>rolled back</p>")
            transaction.set_rollback(True)
        with transaction.atomic():
            with transaction.atomic():
                broadcast_on_commit(group, html="<p>savepoint kept</p>")
            broadcast_on_commit(group, html="<p>one</p>")
            with suppress(ValueError), transaction.atomic():
                broadcast_on_commit(group, html="<p>savepoint undone</p>")
                raise ValueError
            broadcast_on_commit(group, html="<p>two</p>")

    await commit_from(send)
    assert await _received(communicator) == ["<p>savepoint kept</p><p>one</p><p>two</p>"]

    def opened_in_a_rolled_back_savepoint() -> None:
        # The transaction's first frame (the one that registers its send) is undone.
        with transaction.atomic():
            with suppress(ValueError), transaction.atomic():
                broadcast_on_commit(group, html="<p>undone</p>")
                raise ValueError
            broadcast_on_commit(group, html="<p>after</p>")

    await commit_from(opened_in_a_rolled_back_savepoint)
    assert await _received(communicator) == ["<p>after</p>"]
    await communicator.disconnect()


@ws_db
@committers
async def test_broadcasts_to_one_group_in_one_transaction_arrive_as_one_frame(
    rep, other_rep, commit_from
):
    """Many frames for one group in one transaction: one group_send, every fragment in
    order; each group gets its own; a fragment repeated back to back goes once."""
    mine, theirs = await _connected(rep), await _connected(other_rep)

    def send() -> None:
        with transaction.atomic():
            for i in range(50):
                broadcast_on_commit(user_group(rep.pk), html=f"<p>{i}</p>")
                broadcast_on_commit(user_group(other_rep.pk), html="<p>same</p>")

    await commit_from(send)
    assert await _received(mine) == ["".join(f"<p>{i}</p>" for i in range(50))]
    assert await _received(theirs) == ["<p>same</p>"]
    await mine.disconnect()
    await theirs.disconnect()


def test_a_transaction_is_one_message_per_group_and_type_with_fragments_in_order():
    from leadroute.shared.live import _coalesced

    def frame(group, html, kind="live.html", **extra):
        return group, {"type": kind, "html": html, **extra}

    frames = [
        frame("a", "<p>1</p>"),
        frame("b", "<p>x</p>"),
        frame("a", "<p>2</p>"),
        frame("a", "<p>2</p>"),  # the same swap back to back: once
        frame("a", "<p>1</p>"),  # not back to back: kept, order matters
        frame("a", "<p>ping</p>", kind="live.other"),
        frame("a", "<p>3</p>"),
        frame("b", "<p>offer</p>", offer=7),  # more than HTML: never merged
        frame("b", "<p>y</p>"),
    ]
    assert _coalesced(frames) == [
        ("a", {"type": "live.html", "html": "<p>1</p><p>2</p><p>1</p>"}),
        ("a", {"type": "live.other", "html": "<p>ping</p>"}),
        ("a", {"type": "live.html", "html": "<p>3</p>"}),
        ("b", {"type": "live.html", "html": "<p>x</p>"}),
        ("b", {"type": "live.html", "html": "<p>offer</p>", "offer": 7}),
        ("b", {"type": "live.html", "html": "<p>y</p>"}),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_broadcast_with_redis_down_is_logged_and_the_commit_stands(settings, caplog, rep):
    """Nothing listens on port 1: the transaction commits, its request goes on within the
    send's timeout, and the lost frame is logged."""
    from accounts.models import User

    settings.CHANNEL_LAYERS = {
        "default": {
            **settings.CHANNEL_LAYERS["default"],
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    start = time.monotonic()
    with transaction.atomic():
        User.objects.filter(pk=rep.pk).update(first_name="Committed")
        broadcast_on_commit(user_group(rep.pk), html="<p>x</p>")
    assert time.monotonic() - start < SEND_TIMEOUT + 1
    assert User.objects.get(pk=rep.pk).first_name == "Committed"
    assert f"live broadcast to {user_group(rep.pk)} failed" in caplog.text


def _sends_from_a_fresh_loop(queue) -> None:
    from leadroute.shared import live

    inherited = live._sender._loop
    live.broadcast(team_group(0), html="<p>child</p>")
    queue.put((inherited is None, live._sender._loop.is_closed()))


def test_a_forked_process_sends_on_a_loop_and_connection_of_its_own():
    """A loop kept from before a fork would share its Redis socket between the processes,
    each reading the others' replies (bench/pool.py's forked claimers timed out so)."""
    import multiprocessing

    from leadroute.shared import live

    live.broadcast(team_group(0), html="<p>parent</p>")  # the parent's loop and connection
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_sends_from_a_fresh_loop, args=(queue,))
    child.start()
    child.join(10)
    assert queue.get(timeout=5) == (True, False)
    assert child.exitcode == 0


def test_sends_from_many_threads_share_one_loop_and_connection():
    """Django serves each page request on a thread of its own: a loop (and a Redis
    connection) per sending thread would leak one with every request."""
    import os
    import threading

    from leadroute.shared import live

    live.broadcast(team_group(0), html="<p>warm</p>")
    before = len(os.listdir("/proc/self/fd"))
    threads = [
        threading.Thread(target=live.broadcast, args=(team_group(0),), kwargs={"html": "<p>x</p>"})
        for _ in range(30)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(os.listdir("/proc/self/fd")) <= before + 2


@pytest.mark.worker
@ws_db
def test_a_real_worker_runs_the_sweep_against_redis_and_the_database():
    queue = f"test-{uuid.uuid4().hex[:8]}"
    started = timezone.now()
    with celery_worker(queue):
        sweep.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            beat = Heartbeat.objects.filter(name=Heartbeat.SWEEP).first()
            if beat and beat.beat_at >= started:
                break
            time.sleep(0.25)
    assert beat is not None and beat.beat_at >= started, "the worker never ran the sweep"


@pytest.mark.django_db
def test_sweep_is_idempotent():
    sweep.apply()
    sweep.apply()
    assert Heartbeat.objects.filter(name=Heartbeat.SWEEP).count() == 1


@pytest.mark.django_db
def test_healthz_is_503_until_beat_has_swept_then_200(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] and body["redis"]["ok"] and not body["beat"]["ok"]
    sweep.apply()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["healthy"] is True


@pytest.mark.django_db
def test_healthz_answers_plain_http_when_every_other_page_redirects_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/healthz").status_code in (200, 503)


@pytest.mark.django_db
def test_healthz_reports_a_stale_beat(client, settings):
    Heartbeat.objects.create(
        name=Heartbeat.SWEEP, beat_at=timezone.now() - timezone.timedelta(hours=1)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["beat"]["error"] == "the last sweep is too old"


@pytest.mark.django_db
def test_healthz_reports_redis_down_without_its_error_text(client, settings, caplog):
    sweep.apply()
    # Nothing listens on port 1. The page is public: it says which check failed, never the
    # driver's text (hosts, ports, user names), which goes to the log.
    settings.REDIS_URL = "redis://opsuser:hunter2@127.0.0.1:1/0"
    with caplog.at_level(logging.WARNING, logger="leadroute.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert not body["redis"]["ok"] and body["database"]["ok"]
    assert body["redis"]["error"] == "Redis did not answer"
    for detail in ("127.0.0.1", "opsuser", "hunter2", "Connection refused"):
        assert detail not in response.content.decode()
    assert "127.0.0.1:1" in caplog.text
