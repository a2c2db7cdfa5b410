"""Realtime groups and broadcasts.

Group names live here, below every app, so that services in any app can broadcast and the
consumer in `routing` can join the same names. A group message reaches every member, so it
carries only what every member may see: ids and redacted fragments, never a blind lead's
protected fields.
"""

import atexit
import codecs
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from redis import RedisError

logger = logging.getLogger(__name__)


def _pubsub_channel(group: str) -> str | None:
    """The Redis Pub/Sub channel the configured layer listens on for `group`, when a plain
    PUBLISH can stand in for its group_send: a Pub/Sub layer on the one Redis host.
    The name is the layer's own (`RedisPubSubLoopLayer._get_group_channel_name`);
    tests/test_foundation_live.py proves a published frame reaches a real socket."""
    prefix = _pubsub_prefix()
    return None if prefix is None else f"{prefix}__group__{group}"


@functools.cache
def _pubsub_prefix() -> str | None:
    # Settings do not change while a process serves (tests change them: see below).
    config = settings.CHANNEL_LAYERS["default"]
    if not isinstance(get_channel_layer(), RedisPubSubChannelLayer):
        return None
    hosts = config.get("CONFIG", {}).get("hosts") or []
    if hosts != [settings.REDIS_URL]:
        return None
    return config["CONFIG"].get("prefix", "asgi")


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs) -> None:
    if setting in ("CHANNEL_LAYERS", "REDIS_URL"):
        _pubsub_prefix.cache_clear()


class _Frame(NamedTuple):
    url: str  # REDIS_URL when queued
    group: str
    channel: str
    message: dict  # {"type": …, "html": …}
    serialize: Callable[[dict], bytes]  # the layer's


class _Later(NamedTuple):
    """Frames made in the publisher's thread, at their place in the queue."""

    url: str  # REDIS_URL when queued
    render: Callable[[], Iterable[tuple[str, str]]]  # → (group, html) pairs


def _made(batch: list) -> Iterator[_Frame]:
    """The batch with its `_Later` items rendered into frames, in queue order."""
    for item in batch:
        if not isinstance(item, _Later):
            yield item
            continue
        try:
            pairs = list(item.render())
        except Exception:  # one bad fragment must not cost the batch
            logger.exception("live fragment failed to render")
            continue
        layer = get_channel_layer()
        for group, html in pairs:
            channel = _pubsub_channel(group)
            if channel is not None:  # (the layer was swapped since: tests only)
                message = {"type": "live.html", "html": html}
                yield _Frame(item.url, group, channel, message, layer.serialize)


def _merged(frames: list[_Frame]) -> list[tuple[str, bytes]]:
    """The batch as PUBLISHes, channel by channel in the order they first appear: a
    channel's consecutive HTML messages of one type become one, their fragments
    (out-of-band swaps, applied in order) joined, a fragment repeated back to back kept
    once (swapping it twice does what once does). A message carrying more than its type
    and HTML goes as it is."""
    by_channel: dict[str, list[tuple[_Frame, list[str] | None]]] = {}
    for frame in frames:
        kept = by_channel.setdefault(frame.channel, [])
        html_only = frame.message.keys() == {"type", "html"}
        last, fragments = kept[-1] if kept else (None, None)
        if html_only and fragments is not None and last.message["type"] == frame.message["type"]:
            if fragments[-1] != frame.message["html"]:
                fragments.append(frame.message["html"])
        else:
            kept.append((frame, [frame.message["html"]] if html_only else None))
    out = []
    for channel, kept in by_channel.items():
        for frame, fragments in kept:
            message = frame.message
            if fragments is not None:
                message = {**message, "html": "".join(fragments)}
            out.append((channel, frame.serialize(message)))
    return out


class _Publisher:
    """The process's live frames, sent in batches by a thread, without waiting for answers.

    `publish` queues a frame and returns. A flusher thread sends what has queued, every
    WINDOW while frames keep coming: one PUBLISH per channel (a burst of claims on a pool
    reaches each watching page as one frame, not one per lead), all in one write on a
    connection that asked for no replies (`CLIENT REPLY OFF`) — a frame is fire-and-forget
    anyway (Pub/Sub keeps nothing for absent listeners). Why: with 50 reps claiming at
    once, a PUBLISH per claim (a write, a wake of Redis and of every subscribed server)
    was the largest cost of a claim beyond its SQL; batched, claims that send their frames
    measured as fast as claims that send none (bench/pool.py's setup, in one run). Pages
    see a frame at most WINDOW later; their promise is a second.

    Each process has its own thread, queue and connection (made afresh after a fork:
    Celery and server workers). Before each write, a connection Redis has closed is
    replaced (on it Redis sends nothing, so anything readable means it is gone), so a
    Redis restart loses no batch to a dead socket. Any error drops the connection (it must
    never be reused without REPLY OFF, or unread replies would pile up) and the batch,
    with a warning; the next batch reconnects. Frames still queued at exit are sent."""

    NAME = "leadroute-live-publisher"
    WINDOW = 0.05  # seconds

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)
        atexit.register(self.flush)

    def _reset(self) -> None:
        self._queue: list[_Frame] = []
        self._wake = threading.Condition()
        self._sending = threading.Lock()  # one batch at a time, so frames keep their order
        self._thread: threading.Thread | None = None
        self._idle = False  # the thread waits for a first frame (else it wakes on a timer)
        self._conn: redis.Connection | None = None
        self._url: str | None = None

    def publish(self, group: str, channel: str, message: dict, serialize) -> None:
        self._enqueue(_Frame(settings.REDIS_URL, group, channel, message, serialize))

    def later(self, render: Callable[[], Iterable[tuple[str, str]]]) -> None:
        self._enqueue(_Later(settings.REDIS_URL, render))

    def _enqueue(self, item: _Frame | _Later) -> None:
        with self._wake:
            self._queue.append(item)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.NAME, daemon=True)
                self._thread.start()
            elif self._idle:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                self._idle = True
                self._wake.wait_for(lambda: self._queue)  # until a frame comes
                self._idle = False
            # A batch every WINDOW while frames keep coming: one wake of this thread per
            # batch (each wake is a context switch, a cost of its own when claims are
            # queueing for the cores), then idle again.
            while True:
                time.sleep(self.WINDOW)
                try:
                    if not self.flush():
                        break
                except Exception:  # the thread must outlive any surprise, or frames pile up
                    logger.exception("live publisher failed")

    def flush(self) -> int:
        """Send every queued frame now (the thread's batches; exit; tests). Returns how
        many were queued."""
        with self._sending:
            with self._wake:
                batch, self._queue = self._queue, []
            for url, frames in groupby(_made(batch), key=attrgetter("url")):
                frames = list(frames)
                try:
                    conn = self._connection(url)
                    commands = [("PUBLISH", ch, data) for ch, data in _merged(frames)]
                    conn.send_packed_command(conn.pack_commands(commands), check_health=False)
                except RedisError:
                    self._drop()
                    groups = ", ".join(sorted({frame.group for frame in frames}))
                    # The changes behind the frames stand; pages catch up on their next
                    # fetch (they resync when their socket reconnects).
                    logger.warning("live broadcast to %s failed", groups, exc_info=True)
            return len(batch)

    def _connection(self, url: str) -> redis.Connection:
        if self._conn is not None and self._url == url:
            try:
                if not self._conn.can_read(timeout=0):
                    return self._conn
            except RedisError:  # closed by Redis
                pass
        self._drop()
        conn = redis.ConnectionPool.from_url(
            url, socket_timeout=1, socket_connect_timeout=1, client_name=self.NAME
        ).make_connection()
        conn.connect()
        conn.send_command("CLIENT", "REPLY", "OFF", check_health=False)
        self._conn, self._url = conn, url
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.disconnect()
        self._conn = None


_publisher = _Publisher()
# Connecting resolves the host name with the "idna" codec, looked up (and cached) here:
# its first lookup inside the publisher thread of a forked process failed with
# "LookupError: unknown encoding: idna" (seen in bench/pool.py's worker processes).
codecs.lookup("idna")


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def pool_group(pool_id: int) -> str:
    return f"pool.{pool_id}"


def broadcast(group: str, *, html: str, event: str = "live.html") -> None:
    """Send an HTML fragment (htmx out-of-band swaps) to every socket in `group`."""
    message = {"type": event, "html": html}
    layer = get_channel_layer()
    channel = _pubsub_channel(group)
    if channel is None:  # another layer: its own group_send
        async_to_sync(layer.group_send)(group, message)
        return
    # Queued for the process's publisher: no event loop to hop to. Sync callers (a claim,
    # a routing batch, a Celery task) broadcast on every lead they move, and the layer's
    # async group_send from sync code cost more CPU than the claim's own Python.
    _publisher.publish(group, channel, message, layer.serialize)


def broadcast_on_commit(group: str, *, html: str, event: str = "live.html") -> None:
    transaction.on_commit(lambda: broadcast(group, html=html, event=event))


def broadcast_later_on_commit(render: Callable[[], Iterable[tuple[str, str]]]) -> None:
    """After commit, HTML fragments that `render()` makes as (group, html) pairs, made in
    the publisher's thread with the rest of its batch. For frames sent from a hot path (a
    claim, many at once): its request pays for a closure and a queue append, not for
    making and routing the fragment. That work cost 6 µs made in a row but 15 µs
    interleaved with each claim's own; deferred, a claim's Python went from 72 to 62 µs
    (min per claim over batches, one claimer). `render` runs in another thread: it must
    not touch the database (only what it was given). With a layer other than Redis
    Pub/Sub, the frames are made and sent at once."""
    transaction.on_commit(lambda: _later(render))


def _later(render) -> None:
    if _pubsub_prefix() is None:
        for group, html in render():
            broadcast(group, html=html)
        return
    _publisher.later(render)
