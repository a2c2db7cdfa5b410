"""Realtime groups and broadcasts.

Group names live here, below every app, so that services in any app can broadcast and the
consumer in `routing` can join the same names. A group message reaches every member, so it
carries only what every member may see: ids and redacted fragments, never a blind lead's
protected fields.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.db import transaction
from redis import RedisError

from .redis_client import redis_client

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
        redis_client().publish(channel, layer.serialize(message))
    except RedisError:
        # Sent after the change committed: the claim or move stands, and pages catch up
        # on their next fetch (they resync when their socket reconnects). Not worth a 500.
        logger.warning("live broadcast to %s failed", group, exc_info=True)


def broadcast_on_commit(group: str, *, html: str, event: str = "live.html") -> None:
    transaction.on_commit(lambda: broadcast(group, html=html, event=event))
