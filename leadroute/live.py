"""Realtime groups and broadcasts.

Group names live here, below every app, so that services in any app can broadcast and the
consumer in `routing` can join the same names. A group message reaches every member, so it
carries only what every member may see: ids and redacted fragments, never a blind lead's
protected fields.
"""

import logging
import os
import threading

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.db import transaction
from redis import RedisError

logger = logging.getLogger(__name__)


def _pubsub_channel(group: str) -> str | None:
    """The Redis Pub/Sub channel the configured layer listens on for `group`, when a plain
    PUBLISH can stand in for its group_send: a Pub/Sub layer on the one Redis host.
    The name is the layer's own (`RedisPubSubLoopLayer._get_group_channel_name`);
    tests/test_foundation_live.py proves a published frame reaches a real socket."""
    config = settings.CHANNEL_LAYERS["default"]
    if not isinstance(get_channel_layer(), RedisPubSubChannelLayer):
        return None
    hosts = config.get("CONFIG", {}).get("hosts") or []
    if hosts != [settings.REDIS_URL]:
        return None
    return f"{config['CONFIG'].get('prefix', 'asgi')}__group__{group}"


class _NoReplyPublisher:
    """PUBLISH without waiting for Redis's answer, on one connection per process that asked
    for none (`CLIENT REPLY OFF`). A live frame is fire-and-forget anyway (Pub/Sub keeps
    nothing for absent listeners), and waiting for the reply added a second round trip (a
    sleep and a wake) to every claim and every routed lead. A lock keeps threads' commands
    whole; a forked child (Celery, uvicorn workers) or a changed REDIS_URL gets a new
    connection. Any error drops the connection (the next frame reconnects): it must never
    be reused without REPLY OFF, or unread replies would pile up."""

    NAME = "leadroute-live-publisher"

    def __init__(self):
        self._lock = threading.Lock()
        self._conn = None
        self._owner = None

    def _connect(self) -> redis.Connection:
        conn = redis.ConnectionPool.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1, client_name=self.NAME
        ).make_connection()
        conn.connect()
        conn.send_command("CLIENT", "REPLY", "OFF", check_health=False)
        return conn

    def publish(self, channel: str, data: bytes) -> None:
        owner = (os.getpid(), settings.REDIS_URL)
        with self._lock:
            try:
                if self._conn is None or self._owner != owner:
                    self._conn = None  # a parent's socket is left to the parent
                    self._conn, self._owner = self._connect(), owner
                self._conn.send_command("PUBLISH", channel, data, check_health=False)
            except RedisError:
                if self._conn is not None:
                    self._conn.disconnect()
                self._conn = None
                raise


_publisher = _NoReplyPublisher()


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
    # One synchronous PUBLISH on the process's Redis client: no event loop to hop to.
    # Sync callers (a claim, a routing batch, a Celery task) broadcast on every lead they
    # move, and the layer's async group_send from sync code cost more CPU than the claim's
    # own Python.
    try:
        _publisher.publish(channel, layer.serialize(message))
    except RedisError:
        # Sent after the change committed: the claim or move stands, and pages catch up
        # on their next fetch (they resync when their socket reconnects). Not worth a 500.
        logger.warning("live broadcast to %s failed", group, exc_info=True)


def broadcast_on_commit(group: str, *, html: str, event: str = "live.html") -> None:
    transaction.on_commit(lambda: broadcast(group, html=html, event=event))
