"""Leads per second through POST /api/leads against a real uvicorn server, with client
and server (Server-Timing) latency percentiles.

    /work/main/.venv/bin/python bench/intake.py [--requests 3000] [--concurrency 16]
        [--workers 2] [--port 8765]

Uses its own database (see bench/_common.py) and its own Redis queue contents are purged
at the end (no worker runs: this measures capture, not routing)."""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from collections import Counter

from _common import ROOT, bench_env, django_setup, percentile, prepare_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-pool", action="store_true",
                        help="serve without the psycopg pool (DB_POOL_MAX_SIZE)")
    args = parser.parse_args()

    env = bench_env()
    prepare_database(env)
    django_setup(env)
    from accounts.models import Team
    from pools.apikeys import apikey_create
    from pools.models import Lead, LeadSource, Pool

    team = Team.objects.create(name="Bench")
    Pool.objects.create(name="Bench pool", slug="bench", team=team, is_team_default=True)
    # One key per client thread: the per-key rate limit (600/min by default) is meant for
    # one integration, and the benchmark plays several.
    keys = [apikey_create(source=LeadSource.objects.create(
        name=f"Bench {i}", slug=f"bench-{i}", team=team))[1] for i in range(args.concurrency)]

    server_env = dict(env)
    if not args.no_pool:
        server_env["DB_POOL_MAX_SIZE"] = "20"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "leadroute.asgi:application", "--host", "127.0.0.1",
         "--port", str(args.port), "--workers", str(args.workers), "--log-level", "warning",
         "--no-access-log"], cwd=ROOT, env=server_env)
    try:
        _wait(args.port, server)
        _run(args, keys, warmup=True)
        Lead.objects.all().delete()
        started = time.perf_counter()
        client_ms, server_ms, codes = _run(args, keys)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=20)
    created = Lead.objects.count()
    from leadroute.celery import app

    app.control.purge()
    print(f"requests        {args.requests} ({args.concurrency} clients, "
          f"{args.workers} uvicorn workers, "
          f"{'new connection per request' if args.no_pool else 'psycopg pool'})")
    print(f"status codes    {dict(codes)}")
    print(f"leads created   {created}")
    print(f"throughput      {args.requests / elapsed:.0f} leads/s  ({elapsed:.2f} s)")
    print(f"client latency  p50 {percentile(client_ms, 50):.1f} ms   "
          f"p95 {percentile(client_ms, 95):.1f} ms")
    print(f"server time     p50 {percentile(server_ms, 50):.1f} ms   "
          f"p95 {percentile(server_ms, 95):.1f} ms")


def _wait(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("uvicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/openapi.json")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("uvicorn did not start")


def _run(args, keys: list[str], warmup: bool = False):
    total = 100 if warmup else args.requests
    client_ms: list[float] = []
    server_ms: list[float] = []
    codes: Counter = Counter()
    lock = threading.Lock()
    counter = iter(range(total))
    tag = "w" if warmup else "r"

    def client(key: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            body = json.dumps({"first_name": "Bench", "last_name": f"Lead {i}",
                               "email": f"bench-{tag}{i}@example.com",
                               "phone": f"+55119{i:08d}", "company": "Bench Co",
                               "country": "BR", "company_size": "51-200", "utm": "bench"})
            t0 = time.perf_counter()
            conn.request("POST", "/api/leads", body, headers)
            response = conn.getresponse()
            response.read()
            dt = (time.perf_counter() - t0) * 1000
            timing = response.getheader("Server-Timing", "")
            with lock:
                client_ms.append(dt)
                codes[response.status] += 1
                if timing.startswith("app;dur="):
                    server_ms.append(float(timing.removeprefix("app;dur=")))
        conn.close()

    threads = [threading.Thread(target=client, args=(keys[n % len(keys)],))
               for n in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return client_ms, server_ms, codes


if __name__ == "__main__":
    main()
