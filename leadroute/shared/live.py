"""Realtime groups and broadcasts.

Group names live here, below every app, so that services in any app can broadcast and the
consumer in `routing` can join the same names. A group message reaches every member, so it
carries only what every member may see: ids and redacted fragments, never a blind lead's
protected fields.

Frames go out through the channel layer's `group_send` once their transaction commits, one
message per group per transaction: a batch that moves many leads of one pool reaches each
watching page as one frame.
"""

import asyncio
import html as html_lib
import logging
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# A frame is due within a second; a Redis that does not answer must not hold the request
# that committed for longer (redis-py retries a refused connection with backoff).
SEND_TIMEOUT = 1.0


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def pool_group(pool_id: int) -> str:
    return f"pool.{pool_id}"


def board_group(team_id: int) -> str:
    """The team board's open pages (managers of the team): not the team group, so a
    change to one rep's counts costs the team's other reps' pages nothing."""
    return f"board.{team_id}"


def simulation_group(run_id: int) -> str:
    """A kept replay's page (routing.simulator.runs): its progress and its end."""
    return f"simulation.{run_id}"


def live_signal(event: str) -> str:
    """A frame part that makes the page fire `event` on <body> (static/js/app.js), so the
    parts listening (hx-trigger="… from:body") re-fetch themselves from the server."""
    return (
        '<div hx-swap-oob="beforeend:#toasts">'
        f'<span data-live-event="{html_lib.escape(event)}" hidden></span></div>'
    )


def live_toast(text: str, *, kind: str = "info") -> str:
    """A frame (or answer) part that shows `text` (escaped here) as a toast on the page;
    `kind` is the flash style: info, success, warning or error."""
    role = ' role="alert"' if kind == "error" else ""
    return (
        '<div hx-swap-oob="beforeend:#toasts">'
        f'<div class="flash flash-{kind}"{role}>{html_lib.escape(text)}</div></div>'
    )


def live_replace(element_id: str, html: str = "") -> str:
    """A frame (or answer) part that replaces the element `element_id` with `html` — by
    default removes it — if the page still has it, and else does nothing (static/js/app.js).
    An answer and a live frame often both remove one thing (a taken offer's card, a pool
    row), in either order, and a frame goes to pages that may not show it: htmx's own
    out-of-band swap logs an error for every missing target."""
    return (
        '<div hx-swap-oob="beforeend:#toasts">'
        f'<template data-live-replace="{html_lib.escape(element_id)}">{html}</template></div>'
    )


BOARD_CHANGED = "board-changed"


def board_changed_on_commit(*team_ids: int | None) -> None:
    """Tell the boards of these teams that a rep's counts, availability or presence
    changed: a ping with no data (each board re-reads its rows, server-scoped). Within one
    transaction the pings to a team coalesce into one frame."""
    for team_id in sorted({t for t in team_ids if t}):
        broadcast_on_commit(board_group(team_id), html=live_signal(BOARD_CHANGED))


def broadcast(group: str, *, html: str, event: str = "live.html") -> None:
    """Send an HTML fragment (htmx out-of-band swaps) to every socket in `group`, now."""
    _send([(group, {"type": event, "html": html})])


def broadcast_on_commit(
    group: str, *, html: str, event: str = "live.html", using: str | None = None
) -> None:
    """`broadcast` after the current transaction commits (at once outside one); nothing if
    it, or the savepoint this runs in, rolls back."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        broadcast(group, html=html, event=event)
        return
    outboxes = _outboxes.__dict__
    outbox = outboxes.get(connection.alias, _dead)()
    if outbox is None or outbox.sent:
        outbox = _Outbox()
        outboxes[connection.alias] = weakref.ref(outbox)
        transaction.on_commit(outbox.send, using=using)
        outbox.frames.append((group, {"type": event, "html": html}, None))
        return
    marker = _Marker()
    transaction.on_commit(marker, using=using)
    outbox.frames.append((group, {"type": event, "html": html}, weakref.ref(marker)))


# The control message that has a user's open sockets check their session again: each
# closes when its session ended (logout, deactivation, a changed password) or re-joins the
# groups the user now belongs in (a team move). Not a frame: the consumer handles it.
SESSION_CHECK = "session.check"


def user_sockets_recheck_on_commit(user_id: int, *, ended_session: str = "") -> None:
    """After commit, have every socket of the user re-check its session and groups.
    `ended_session` names a session that is ending now (logout: the message can arrive
    before the session row is gone), whose sockets close without asking."""
    message = {"type": SESSION_CHECK, "ended_session": ended_session}
    transaction.on_commit(lambda: _send([(user_group(user_id), message)]))


class _Outbox:
    """One transaction's frames, sent by its on_commit callback.

    Django holds a pending on_commit callback until it runs and drops it when its
    transaction or savepoint rolls back. Only Django holds the outbox (through `send`) and
    each later frame's marker; here they are weak references. So a dead outbox is a
    rolled-back transaction's (the next frame starts a new one; a sent one is marked, as a
    caught exception's frames may keep it alive), and a dead marker, seen when `send` runs
    first of them all, is a frame from a savepoint that rolled back."""

    def __init__(self):
        self.frames: list[tuple[str, dict, weakref.ref | None]] = []
        self.sent = False

    def send(self) -> None:
        self.sent = True
        kept = [(group, message) for group, message, marker in self.frames if _alive(marker)]
        _send(_coalesced(kept))


class _Marker:
    """An on_commit callback that does nothing: alive while its frame is due."""

    __slots__ = ("__weakref__",)

    def __call__(self) -> None:
        pass


_outboxes = threading.local()  # connection alias → weak reference to its open outbox


def _dead() -> None:
    return None


def _alive(marker: weakref.ref | None) -> bool:
    return marker is None or marker() is not None


def _coalesced(frames: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """One message per group where the frames allow it, groups in the order they first
    appear: a group's consecutive HTML messages of one type become one, their fragments
    (out-of-band swaps, applied in order) joined, a fragment repeated back to back kept
    once (swapping it twice does what once does). A message carrying more than its type and
    HTML goes as it is."""
    by_group: dict[str, list[tuple[dict, list[str] | None]]] = {}
    for group, message in frames:
        kept = by_group.setdefault(group, [])
        html_only = message.keys() == {"type", "html"}
        last, fragments = kept[-1] if kept else (None, None)
        if html_only and fragments is not None and last["type"] == message["type"]:
            if fragments[-1] != message["html"]:
                fragments.append(message["html"])
        else:
            kept.append((message, [message["html"]] if html_only else None))
    return [
        (group, message if fragments is None else {**message, "html": "".join(fragments)})
        for group, kept in by_group.items()
        for message, fragments in kept
    ]


def _send(messages: list[tuple[str, dict]]) -> None:
    """group_send each message, from sync code. A failure is logged, not raised: the change
    that made the frame has committed, and a page re-syncs when its socket reconnects."""
    if not messages:
        return
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            _sender.run(_group_send_all(messages))
        else:
            # Sync code on a thread whose event loop it must not block (a test driving
            # Playwright's sync API): the send runs on a loop in a thread of its own.
            with ThreadPoolExecutor(max_workers=1) as executor:
                executor.submit(asyncio.run, _group_send_all(messages)).result()
    except Exception:
        groups = ", ".join(sorted({group for group, _ in messages}))
        logger.warning("live broadcast to %s failed", groups, exc_info=True)


class _Sender:
    """One event loop per process, run by whichever thread sends, one at a time. The
    channel layer keeps a Redis connection per loop: a new loop per send (async_to_sync's
    way outside a server's loop) cost 1.5 ms of CPU against 0.15 ms, and a loop per thread
    kept one loop and connection for every request thread Django ever started."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, coroutine) -> None:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(coroutine)


_sender = _Sender()
# A forked child starts afresh: its parent's loop would share one Redis socket between the
# processes, each reading the others' replies (and the lock may be held at the fork).
os.register_at_fork(after_in_child=_sender.__init__)


async def _group_send_all(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    async with asyncio.timeout(SEND_TIMEOUT):
        for group, message in messages:
            await layer.group_send(group, message)
