"""The live channel (real Redis channel layer), the Celery worker (real process against
Redis) and /healthz."""

import time
import uuid

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from leadroute.asgi import application
from leadroute.live import broadcast, team_group, user_group
from routing.models import Heartbeat
from routing.tasks import sweep
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
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


@ws_db
async def test_a_sync_broadcast_reaches_the_socket_and_only_its_group(rep, other_rep):
    """`broadcast` publishes straight to Redis (no event loop) on the channel the Pub/Sub
    layer subscribed the consumer to: a frame for this rep arrives; another rep's does not."""
    from asgiref.sync import sync_to_async

    cookie = await sync_to_async(_session_cookie)(rep)
    communicator = _communicator(cookie=cookie)
    connected, _ = await communicator.connect()
    assert connected
    await sync_to_async(broadcast)(user_group(other_rep.pk), html="<p>not yours</p>")
    await sync_to_async(broadcast)(user_group(rep.pk), html="<p>sync</p>")
    assert await communicator.receive_from(timeout=5) == "<p>sync</p>"
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def _received(communicator) -> list[str]:
    """Every frame that arrives until the socket has been quiet for a second."""
    frames = []
    while not await communicator.receive_nothing(timeout=1):
        frames.append(await communicator.receive_from())
    return frames


@ws_db
async def test_broadcasts_arrive_in_order_batched_and_redis_sends_the_publisher_no_replies(rep):
    """Frames leave in batches: a burst to one group reaches the socket as a few frames
    that carry every fragment, in order. The publisher does not wait for PUBLISH's answer:
    its connection asked for none, so nothing piles up unread however many frames it
    sends. After Redis drops the connection, the next batch goes out on a new one."""
    import select

    from asgiref.sync import sync_to_async

    from leadroute.live import _publisher
    from leadroute.redis_client import redis_client

    cookie = await sync_to_async(_session_cookie)(rep)
    communicator = _communicator(cookie=cookie)
    assert (await communicator.connect())[0]

    def send(first: int, last: int) -> None:
        for i in range(first, last):
            broadcast(user_group(rep.pk), html=f"<p>{i}</p>")

    def replies_waiting() -> bool:
        # Readable within 0.2 s: Redis answered (or closed) the publisher's connection.
        return bool(select.select([_publisher._conn._sock], [], [], 0.2)[0])

    await sync_to_async(send)(0, 200)
    frames = await _received(communicator)
    assert "".join(frames) == "".join(f"<p>{i}</p>" for i in range(200))
    assert len(frames) < 20  # batched: 200 broadcasts, far fewer frames
    assert not await sync_to_async(replies_waiting)()

    # Redis drops the publisher's connection (a restart, a timeout): the next batch sees
    # the closed socket before writing and reconnects, so nothing is lost.
    def kill_publisher_connection() -> None:
        port = _publisher._conn._sock.getsockname()[1]
        (ours,) = [c for c in redis_client().client_list() if c["addr"].endswith(f":{port}")]
        assert ours["name"] == _publisher.NAME
        redis_client().client_kill_filter(_id=ours["id"])

    await sync_to_async(kill_publisher_connection)()
    await sync_to_async(send)(200, 260)
    assert "".join(await _received(communicator)) == "".join(f"<p>{i}</p>" for i in range(200, 260))
    assert not await sync_to_async(replies_waiting)()
    await communicator.disconnect()


def test_a_batch_is_one_message_per_channel_and_type_with_fragments_in_order():
    from leadroute.live import _Frame, _merged

    def frame(channel, html, kind="live.html", **extra):
        message = {"type": kind, "html": html, **extra}
        return _Frame("redis://x", channel, channel, message, repr)

    batch = [
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
    assert _merged(batch) == [
        ("a", repr({"type": "live.html", "html": "<p>1</p><p>2</p><p>1</p>"})),
        ("a", repr({"type": "live.other", "html": "<p>ping</p>"})),
        ("a", repr({"type": "live.html", "html": "<p>3</p>"})),
        ("b", repr({"type": "live.html", "html": "<p>x</p>"})),
        ("b", repr({"type": "live.html", "html": "<p>offer</p>", "offer": 7})),
        ("b", repr({"type": "live.html", "html": "<p>y</p>"})),
    ]


def test_a_forked_process_publishes_on_its_own_connection():
    """Celery and server workers are forked: the child gets its own queue, thread and
    connection (the parent's are the parent's), and its frames arrive."""
    import os

    from leadroute.live import _publisher, _pubsub_channel
    from leadroute.redis_client import redis_client

    broadcast(user_group(1), html="<p>parent</p>")
    _publisher.flush()  # the parent has a connection and a thread
    # The child's own group: the parent's frame, sent without waiting for Redis, may still
    # be on its way when the subscription starts.
    group = f"fork-test.{uuid.uuid4().hex}"
    subscriber = redis_client().pubsub()
    subscriber.subscribe(_pubsub_channel(group))
    assert subscriber.get_message(timeout=5)["type"] == "subscribe"
    pid = os.fork()
    if pid == 0:  # the child: publish through its own publisher, then leave at once
        code = 1
        try:
            broadcast(group, html="<p>child</p>")
            code = 0 if _publisher._conn is None else 2  # nothing inherited
            _publisher.flush()
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    message = subscriber.get_message(timeout=5)
    assert message is not None and b"<p>child</p>" in message["data"]
    subscriber.close()


@ws_db
async def test_fragments_made_later_go_after_commit_in_order_and_a_failing_one_alone_is_lost(
    rep, caplog
):
    """`broadcast_later_on_commit`: nothing is made while the transaction is open (nor if
    it rolls back); after commit the publisher makes the fragments with its batch, in
    their place among plain frames, and a fragment that fails to render is logged and
    skipped without costing the others."""
    from asgiref.sync import sync_to_async
    from django.db import transaction

    from leadroute.live import broadcast_later_on_commit, broadcast_on_commit

    cookie = await sync_to_async(_session_cookie)(rep)
    communicator = _communicator(cookie=cookie)
    assert (await communicator.connect())[0]
    group, made = user_group(rep.pk), []

    def fragment(text: str):
        def render():
            made.append(text)
            return [(group, f"<p>{text}</p>")]

        return render

    def broken():
        raise ValueError("no such row")

    def send() -> None:
        with transaction.atomic():
            broadcast_later_on_commit(fragment("rolled back"))
            transaction.set_rollback(True)
        with transaction.atomic():
            broadcast_later_on_commit(fragment("one"))
            broadcast_later_on_commit(broken)
            broadcast_on_commit(group, html="<p>two</p>")
            broadcast_later_on_commit(fragment("three"))
            assert made == []  # not before commit

    await sync_to_async(send)()
    frames = await _received(communicator)
    assert "".join(frames) == "<p>one</p><p>two</p><p>three</p>"
    assert made == ["one", "three"]
    assert "live fragment failed to render" in caplog.text
    await communicator.disconnect()


def test_a_broadcast_with_redis_down_is_logged_not_raised(settings, caplog):
    from leadroute import redis_client as module
    from leadroute.live import _publisher

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CHANNEL_LAYERS = {
        "default": {**settings.CHANNEL_LAYERS["default"], "CONFIG": {"hosts": [settings.REDIS_URL]}}
    }
    saved, module._client = module._client, None
    try:
        broadcast(user_group(1), html="<p>x</p>")
        _publisher.flush()  # what the publisher's thread does a moment later
    finally:
        module._client = saved
    assert "live broadcast to user.1 failed" in caplog.text


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
def test_healthz_reports_a_stale_beat(client, settings):
    Heartbeat.objects.create(
        name=Heartbeat.SWEEP, beat_at=timezone.now() - timezone.timedelta(hours=1)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["beat"]["error"] == "the last sweep is too old"


@pytest.mark.django_db
def test_healthz_reports_redis_down(client, settings):
    sweep.apply()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert not body["redis"]["ok"] and body["database"]["ok"]
