"""Realtime groups and broadcasts.

Group names live here, below every app, so that services in any app can broadcast and the
consumer in `routing` can join the same names. A group message reaches every member, so it
carries only what every member may see: ids and redacted fragments, never a blind lead's
protected fields.
"""

import asyncio
import os
import threading

from channels.layers import get_channel_layer
from django.db import transaction

# Sync callers (views, services, Celery tasks) send through one long-lived event loop per
# process. `async_to_sync` from a thread with no loop builds a fresh loop — and so a fresh
# Redis connection — on every call, which was half the CPU of a pool claim. Keyed by pid:
# a forked child (Celery prefork, benchmarks) must not reuse its parent's loop thread.
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None
_loop_lock = threading.Lock()
SEND_TIMEOUT = 5


def _send_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="live-broadcast", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def pool_group(pool_id: int) -> str:
    return f"pool.{pool_id}"


def broadcast(group: str, *, html: str, event: str = "live.html") -> None:
    """Send an HTML fragment (htmx out-of-band swaps) to every socket in `group`."""
    message = {"type": event, "html": html}
    future = asyncio.run_coroutine_threadsafe(get_channel_layer().group_send(group, message),
                                              _send_loop())
    future.result(timeout=SEND_TIMEOUT)


def broadcast_on_commit(group: str, *, html: str, event: str = "live.html") -> None:
    transaction.on_commit(lambda: broadcast(group, html=html, event=event))
