"""Who is online: reps with a LeadRoute page open, told by its websocket's heartbeats.

One Redis sorted set: a member per open socket ("<user id>:<channel name>"), scored with
the time of its last heartbeat. The consumer adds the member when the socket connects and
at every heartbeat (every HEARTBEAT_SECONDS), and removes it when the socket closes. A
socket whose server died never says goodbye, so a rep counts as online only while one of
their sockets has been heard from within OFFLINE_AFTER_SECONDS: two missed heartbeats.
In Redis, not a database column: a heartbeat a rep every 15 s is a write that nobody
needs to keep, and the profile rows are the ones routing locks.
"""

from __future__ import annotations

import logging
import time

import redis

from leadroute.shared.redis_client import redis_client, redis_key

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15
# Two heartbeats missed, and a little slack for a busy browser tab's timers.
OFFLINE_AFTER_SECONDS = 2 * HEARTBEAT_SECONDS + 5


def presence_key() -> str:
    return redis_key("presence")


def _member(user_id: int, connection: str) -> str:
    return f"{user_id}:{connection}"


def presence_seen(*, user_id: int, connection: str, at: float | None = None) -> None:
    """A heartbeat (or a new socket) from one of the user's pages."""
    redis_client().zadd(presence_key(), {_member(user_id, connection): at or time.time()})


def presence_gone(*, user_id: int, connection: str) -> None:
    """A socket closed; the user stays online while another of theirs beats."""
    redis_client().zrem(presence_key(), _member(user_id, connection))


def users_online(*, user_ids: list[int] | None = None, at: float | None = None) -> frozenset[int]:
    """Of `user_ids` (everyone when None), those heard from within OFFLINE_AFTER_SECONDS.

    Redis unreachable → nobody: an offer then goes to its fallback at once, where a lead
    is safe, rather than to reps who may not be there to see it."""
    now = at or time.time()
    key = presence_key()
    try:
        pipe = redis_client().pipeline()
        # Sockets silent for long are dropped here, so the set stays as small as the
        # sockets open now.
        pipe.zremrangebyscore(key, "-inf", now - 10 * OFFLINE_AFTER_SECONDS)
        pipe.zrangebyscore(key, now - OFFLINE_AFTER_SECONDS, "+inf")
        _, members = pipe.execute()
    except redis.RedisError:
        log.warning("Redis unreachable for presence: counting nobody online", exc_info=True)
        return frozenset()
    online = {int(m.split(b":", 1)[0]) for m in members}
    return frozenset(online if user_ids is None else online & set(user_ids))
