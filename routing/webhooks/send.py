"""Sending: the drain takes due deliveries in batches, signs and POSTs them, and records
each outcome — delivered, or retried later with exponential backoff and jitter for
WEBHOOK_RETRY_HOURS, then given up.

Taking is one statement: due (`next_attempt_at` passed), the subscription not paused, no
earlier delivery of the same lead to the same subscription still open (so a lead's events
arrive in order), `FOR UPDATE SKIP LOCKED` (drains running at once take different rows).
A taken delivery is leased: `sending`, due again when the lease ends, so a worker killed
mid-delivery leaves it for the next drain or sweep (at least once; receivers dedupe by the
event id). Nothing waits in a worker's memory: every retry time is a column.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from leadroute.shared.sql import run_batch

from .models import WebhookDelivery, WebhookSubscription
from .payload import bodies_build
from .pending import pending_clear
from .signing import HEADER, signature_header
from .streaks import subscriptions_failures_record

log = logging.getLogger(__name__)
Status = WebhookDelivery.Status


@dataclass
class Outcome:
    delivery: WebhookDelivery
    sent: bool  # False: not attempted (its receiver failed earlier in the batch)
    ok: bool = False
    status_code: int | None = None
    error: str = ""
    duration_ms: float | None = None
    finished: float = 0.0  # monotonic, to order a batch's outcomes per subscription


@dataclass
class Drained:
    delivered: int = 0
    failed: int = 0
    finished: bool = True


def deliveries_drain(*, seconds: float | None = None) -> Drained:
    """Send every due delivery, batch after batch, for at most `seconds`
    (WEBHOOK_DRAIN_SECONDS; `finished` False when it stopped with work left). Safe to run
    twice and in parallel."""
    pending_clear()  # before the first look (routing.webhooks.kick says why)
    budget = settings.WEBHOOK_DRAIN_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + budget
    done = Drained()
    while True:
        taken = deliveries_take(now=timezone.now(), size=settings.WEBHOOK_BATCH)
        if not taken:
            return done
        outcomes = deliveries_post(deliveries=taken)
        outcomes_record(outcomes=outcomes, now=timezone.now())
        done.delivered += sum(o.ok for o in outcomes)
        done.failed += sum(o.sent and not o.ok for o in outcomes)
        if time.monotonic() >= deadline:
            done.finished = False
            return done


def deliveries_take(*, now: datetime, size: int) -> list[WebhookDelivery]:
    """Lease up to `size` due deliveries (see the module's docstring), with their
    subscriptions, bodies built and stored."""
    lease = now + timedelta(seconds=lease_seconds())
    with transaction.atomic():
        # Walk the due index in order and stop at `size` eligible rows: with nearly every
        # row due the planner would rather scan them all, anti-join each and sort (70 ms
        # against 8 ms a batch at 10,000 due), as it did for the claim (pools.pull).
        rows = run_batch(
            [
                ("SET LOCAL enable_seqscan = off", []),
                ("SET LOCAL enable_bitmapscan = off", []),
                ("SET LOCAL enable_sort = off", []),
                (_take_sql(), [now, size, lease]),
            ]
        )[-1]
        ids = [row[0] for row in rows]
        if not ids:
            return []
        taken = list(
            WebhookDelivery.objects.filter(pk__in=ids).select_related("subscription").order_by("id")
        )
        bodies = bodies_build(deliveries=taken)
        for d in taken:
            if d.pk in bodies:
                d.body = bodies[d.pk]
        if bodies:
            # One UPDATE from arrays: bulk_update's CASE per row cost more than the POSTs.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {WebhookDelivery._meta.db_table} x SET body = b.body "
                    "FROM unnest(%s::bigint[], %s::text[]) AS b(id, body) WHERE x.id = b.id",
                    [list(bodies), list(bodies.values())],
                )
    return taken


def lease_seconds() -> int:
    # Past the longest a batch can take (every POST of it timing out, THREADS at a time),
    # so a live drain is never overtaken by a second one sending the same rows.
    waves = -(-settings.WEBHOOK_BATCH // max(1, settings.WEBHOOK_SEND_THREADS))
    return int(waves * settings.WEBHOOK_TIMEOUT_SECONDS) + 30


@cache
def _take_sql() -> str:
    d = WebhookDelivery._meta.db_table
    s = WebhookSubscription._meta.db_table
    return f"""
        WITH due AS (
            SELECT d.id FROM {d} d JOIN {s} s ON s.id = d.subscription_id
            WHERE d.status IN ('pending', 'sending') AND d.next_attempt_at <= %s
              AND s.paused_at IS NULL
              AND NOT EXISTS (
                  SELECT 1 FROM {d} e
                  WHERE e.subscription_id = d.subscription_id AND e.lead_id = d.lead_id
                    AND e.status IN ('pending', 'sending') AND e.id < d.id)
            ORDER BY d.next_attempt_at, d.id
            LIMIT %s
            FOR UPDATE OF d SKIP LOCKED
        )
        UPDATE {d} x
        SET status = 'sending', attempts = x.attempts + 1, next_attempt_at = %s
        FROM due WHERE x.id = due.id
        RETURNING x.id"""


_local = threading.local()


def _session() -> requests.Session:
    # One per sending thread: keep-alive to each receiver, and no session shared by threads.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def deliveries_post(*, deliveries: list[WebhookDelivery]) -> list[Outcome]:
    """POST each, WEBHOOK_SEND_THREADS at a time. Once a receiver fails, its other
    deliveries in the batch are not tried (they would hit the same wall): they wait for
    the failed one's retry."""
    broken: set[int] = set()

    def post(d: WebhookDelivery) -> Outcome:
        if d.subscription_id in broken:
            return Outcome(d, sent=False, finished=time.monotonic())
        outcome = delivery_post(d)
        if not outcome.ok:
            broken.add(d.subscription_id)
        return outcome

    threads = min(settings.WEBHOOK_SEND_THREADS, len(deliveries))
    if threads <= 1:
        return [post(d) for d in deliveries]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(post, deliveries))


def delivery_post(delivery: WebhookDelivery) -> Outcome:
    body = delivery.body.encode()
    sub = delivery.subscription
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "LeadRoute-Webhooks/1",
        HEADER: signature_header(
            secrets=sub.signing_secrets(timezone.now()), timestamp=int(time.time()), body=body
        ),
        "LeadRoute-Event-Id": delivery.event_id_public,
        "LeadRoute-Event-Type": delivery.type,
    }
    started = time.monotonic()
    try:
        response = _session().post(
            sub.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        response.close()
    except requests.RequestException as exc:
        return Outcome(
            delivery,
            sent=True,
            error=f"{type(exc).__name__}: {exc}"[:500],
            duration_ms=(time.monotonic() - started) * 1000,
            finished=time.monotonic(),
        )
    ok = 200 <= response.status_code < 300
    return Outcome(
        delivery,
        sent=True,
        ok=ok,
        status_code=response.status_code,
        error="" if ok else f"HTTP {response.status_code}",
        duration_ms=(time.monotonic() - started) * 1000,
        finished=time.monotonic(),
    )


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling from
    WEBHOOK_RETRY_BASE_SECONDS up to WEBHOOK_RETRY_MAX_SECONDS, ±20 % jitter so receivers
    that come back are not hit by every retry at once."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return min(base, settings.WEBHOOK_RETRY_MAX_SECONDS) * random.uniform(0.8, 1.2)


def outcomes_record(*, outcomes: list[Outcome], now: datetime) -> None:
    """Write a batch's outcomes in one transaction. Each row is written only if it is still
    the lease this drain took (`sending`, same attempt): a drain that outlived its lease
    leaves the row to whoever took it since."""
    delivered = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if o.sent and not o.ok]
    retry_at: dict[int, datetime] = {}
    with transaction.atomic():
        if delivered:
            with connection.cursor() as cursor:
                cursor.execute(
                    _delivered_sql(),
                    [
                        now,
                        now,
                        [o.delivery.pk for o in delivered],
                        [o.delivery.attempts for o in delivered],
                        [o.status_code for o in delivered],
                        [o.duration_ms for o in delivered],
                    ],
                )
        for o in failed:
            d = o.delivery
            give_up_at = d.give_up_at or now
            if now >= give_up_at:
                fields = {"status": Status.FAILED, "next_attempt_at": None}
            else:
                # The last try lands on the deadline rather than past it.
                at = min(now + timedelta(seconds=retry_delay(d.attempts)), give_up_at)
                fields = {"status": Status.PENDING, "next_attempt_at": at}
                retry_at[d.subscription_id] = max(at, retry_at.get(d.subscription_id, at))
            WebhookDelivery.objects.filter(
                pk=d.pk, status=Status.SENDING, attempts=d.attempts
            ).update(
                last_attempt_at=now,
                last_status_code=o.status_code,
                last_error=o.error,
                last_duration_ms=o.duration_ms,
                **fields,
            )
        for o in outcomes:
            if o.sent:
                continue
            # Not tried: back to waiting, its attempt not counted, due with its receiver's
            # retry (or at once, if that receiver failed for good).
            WebhookDelivery.objects.filter(
                pk=o.delivery.pk, status=Status.SENDING, attempts=o.delivery.attempts
            ).update(
                status=Status.PENDING,
                attempts=o.delivery.attempts - 1,
                next_attempt_at=retry_at.get(o.delivery.subscription_id, now),
            )
        waiting = [o.delivery.pk for o in outcomes if not o.ok]
        if waiting:
            with connection.cursor() as cursor:
                cursor.execute(_followers_sql(), [waiting])
        by_time = sorted((o for o in outcomes if o.sent), key=lambda o: o.finished)
        runs: dict[int, list[bool]] = {}
        for o in by_time:
            runs.setdefault(o.delivery.subscription_id, []).append(o.ok)
        subscriptions_failures_record(runs=runs, now=now)


@cache
def _delivered_sql() -> str:
    d = WebhookDelivery._meta.db_table
    # One statement for a batch's successes (the common case): no round trip per row.
    return f"""
        UPDATE {d} x
        SET status = 'delivered', delivered_at = %s, last_attempt_at = %s,
            next_attempt_at = NULL, last_error = '', last_status_code = r.code,
            last_duration_ms = r.ms
        FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::float8[])
             AS r(id, attempts, code, ms)
        WHERE x.id = r.id AND x.status = 'sending' AND x.attempts = r.attempts"""


@cache
def _followers_sql() -> str:
    d = WebhookDelivery._meta.db_table
    # A lead's later deliveries cannot go before its waiting one: due no sooner than it,
    # so a receiver that is down for long leaves the due scan only the heads to look at.
    return f"""
        UPDATE {d} f SET next_attempt_at = h.next_attempt_at
        FROM {d} h
        WHERE h.id = ANY (%s) AND h.status = 'pending'
          AND f.subscription_id = h.subscription_id AND f.lead_id = h.lead_id
          AND f.id > h.id AND f.status = 'pending' AND f.next_attempt_at < h.next_attempt_at"""
