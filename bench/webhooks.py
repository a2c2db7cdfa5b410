"""Outbound webhooks benchmark — prints figures, asserts nothing.

    make bench ARGS="bench/webhooks.py [--events 10000] [--leads 2000] [--requests 400]"

Uses a fresh `<DATABASE_URL's database>_bench` (bench/_common.py) and a local HTTP receiver
in a process of its own on 127.0.0.1 (it answers 200 and records what arrived).

1. The request's added time: the same API capture request (`POST /api/leads` through
   Django's whole stack in-process, committed, its on-commit work included) with no
   subscription and with one subscribed to `lead.created`, in alternating blocks; the
   difference of the medians is what the outbox adds to the request (goal < 2 ms). Also
   the outbox's own statement, timed alone.
2. Throughput: --events lead events over --leads leads (several per lead, so per-lead
   order matters) written in bulk, then one drain (routing.webhooks.send, WEBHOOK_BATCH
   per lease, WEBHOOK_SEND_THREADS at once) until every delivery is delivered:
   deliveries per second, and a check of what the receiver got (all, once each, each
   lead's in order).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
import urllib.request

from _common import bench_env, django_setup, free_port, prepare_database
from _results import result


def receiver_main(port: int, ready) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[tuple[int, int, str]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((body["lead"]["id"], body["event"]["id"], body["id"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            out = json.dumps(seen).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    ready.set()
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--leads", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=400, help="per side, part 1")
    args = parser.parse_args()
    env = bench_env()
    env["API_RATE_LIMIT_PER_MINUTE"] = "1000000"
    # Kept connections, as production keeps them (the psycopg pool, DB_POOL_MAX_SIZE): a
    # new connection per request would charge each table's first use to whoever touched it.
    prepare_database(env)
    sep = "&" if "?" in env["DATABASE_URL"] else "?"
    env["DATABASE_URL"] += f"{sep}conn_max_age=600"
    django_setup(env)

    from _procs import backend_cpu
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from accounts.models import Team
    from pools.capture.apikeys import apikey_create
    from pools.lifecycle import LeadState
    from pools.models import Lead, LeadEvent, LeadSource
    from routing.models import WebhookDelivery, WebhookSubscription
    from routing.webhooks.outbox import deliveries_insert
    from routing.webhooks.send import deliveries_drain

    port = free_port()
    ready = multiprocessing.Event()
    receiver = multiprocessing.Process(target=receiver_main, args=(port, ready), daemon=True)
    receiver.start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}/hook"

    team = Team.objects.create(name="Bench")
    source = LeadSource.objects.create(name="Bench", slug="bench", team=team)
    key = apikey_create(source=source)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    n = 0

    def capture() -> tuple[float, float, float]:
        """One request: (wall, this process's CPU, its PostgreSQL backend's CPU) seconds."""
        nonlocal n
        n += 1
        cpu, backend = time.process_time(), backend_cpu()
        start = time.perf_counter()
        response = client.post(
            "/api/leads", {"email": f"b{n}@example.com"}, content_type="application/json"
        )
        took = time.perf_counter() - start
        assert response.status_code == 201, response.content
        # backend_cpu's own query is outside `took` but inside the CPU window: the same on
        # both sides, so it cancels out of the difference.
        return took, time.process_time() - cpu, backend_cpu() - backend

    # 1. The request's added time, alternating blocks of each side.
    for _ in range(50):
        capture()  # warm-up: connections, caches, compiled SQL
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    capture()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == pid, "each request must keep the connection"
    sides: dict[str, list[float]] = {"none": [], "subscribed": []}
    sub = None
    block = 25
    for i in range(2 * args.requests // block):
        side = "none" if i % 2 == 0 else "subscribed"
        if side == "subscribed" and sub is None:
            sub = WebhookSubscription.objects.create(
                name="Bench CRM", url=url, events=["lead.created"], paused_at=timezone.now()
            )  # paused: part 1 measures the request; nothing is sent meanwhile
        elif side == "none" and sub is not None:
            sub.delete()
            sub = None
        sides[side] += [capture() for _ in range(block)]
    if sub is not None:
        sub.delete()
    figures = {}
    for side, runs in sides.items():
        wall = statistics.median(r[0] for r in runs) * 1000
        cpu = sum(r[1] + r[2] for r in runs) / len(runs) * 1000
        figures[side] = (wall, cpu)
    print("1. API capture request (in-process, committed, kept connection):")
    for side, (wall, cpu) in figures.items():
        print(
            f"   {side:11s} wall p50 {wall:6.2f} ms   CPU {cpu:5.2f} ms a request "
            f"(Django + PostgreSQL)  n={len(sides[side])}"
        )
    added_cpu = figures["subscribed"][1] - figures["none"][1]
    added_wall = figures["subscribed"][0] - figures["none"][0]
    print(f"   added by the outbox: {added_cpu:.2f} ms of CPU, {added_wall:+.2f} ms wall p50")
    print(f"   (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: on a busy")
    print("    machine the wall clock measures the neighbours, CPU time the request)")
    # The outbox statement alone, with and without a matching subscription.
    lead = Lead.objects.order_by("-id").first()
    event = LeadEvent.objects.filter(lead=lead).first()
    alone = {}
    for label, make in (("no subscription", False), ("one subscription", True)):
        s = (
            WebhookSubscription.objects.create(
                name="x", url=url, events=["lead.created"], paused_at=timezone.now()
            )
            if make
            else None
        )
        times = []
        for _ in range(200):
            with transaction.atomic():
                start = time.perf_counter()
                deliveries_insert(rows=[(event.pk, lead.pk, "lead.created")], now=timezone.now())
                times.append(time.perf_counter() - start)
                transaction.set_rollback(True)
        alone[label] = statistics.median(times) * 1000
        if s is not None:
            s.delete()
    for label, value in alone.items():
        print(f"   the outbox statement, {label}: {value:.3f} ms")
    result(
        "request time added by the outbox (CPU)",
        added_cpu,
        "ms",
        goal="< 2 ms",
        met=added_cpu < 2,
    )

    # 2. Throughput.
    Lead.objects.all().delete()
    WebhookSubscription.objects.create(name="Bench CRM", url=url, events=["lead.escalated"])
    leads = Lead.objects.bulk_create(
        [
            Lead(email=f"t{i}@example.com", team=team, status=LeadState.NEW)
            for i in range(args.leads)
        ],
        batch_size=2000,
    )
    per_lead = max(1, args.events // len(leads))
    started = time.perf_counter()
    for r in range(per_lead):
        LeadEvent.objects.bulk_create(
            [LeadEvent(lead=lead, kind=LeadEvent.Kind.ESCALATED, reason=f"r{r}") for lead in leads],
            batch_size=2000,
        )
    wrote = time.perf_counter() - started
    total = WebhookDelivery.objects.count()
    print(
        f"\n2. {total} events over {len(leads)} leads written in {wrote:.1f} s (bulk, outbox incl.)"
    )
    started = time.perf_counter()
    delivered = 0
    while True:
        drained = deliveries_drain(seconds=3600)
        delivered += drained.delivered
        if not WebhookDelivery.objects.filter(status__in=WebhookDelivery.OPEN).exists():
            break
    took = time.perf_counter() - started
    rate = total / took
    print(f"   drained in {took:.1f} s: {rate:.0f} deliveries/s (one drain)")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=30) as response:
        seen = json.loads(response.read())
    ids = [s[2] for s in seen]
    by_lead: dict[int, list[int]] = {}
    for lead_id, event_id, _ in seen:
        by_lead.setdefault(lead_id, []).append(event_id)
    in_order = all(v == sorted(v) for v in by_lead.values())
    print(
        f"   the receiver got {len(seen)} (distinct ids {len(set(ids))}), "
        f"each lead's in order: {in_order}"
    )
    result("webhook deliveries per second (one drain)", rate, "/s")
    receiver.terminate()
    if len(set(ids)) != total or not in_order:
        sys.exit("deliveries lost, repeated or out of order")


if __name__ == "__main__":
    main()
