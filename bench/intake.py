"""Leads per second through POST /api/leads against a real uvicorn server, with client
and server (Server-Timing) latency percentiles, and the CPU each lead costs the server
processes, PostgreSQL and this client.

    make bench ARGS="bench/intake.py [--requests 3000] [--concurrency 16]
        [--workers 2] [--port 8765] [--worker] [--door google-ads]"

`--door google-ads` sends Google's lead form payload to the Google Ads webhook instead
(pools.capture.webhooks): the same capture behind a different reading of the body.

The server runs as the README's "Running in production" section says (uvicorn workers,
no access log, the psycopg pool). Every request is a distinct, valid lead; only 201s
count as leads. Uses its own database (see bench/_common.py) and its own Redis queue
contents are purged at the end.

Without --worker this measures capture alone: captures kick an intake drain (one task
publish while none is pending, see routing.intake.kick), and with no worker to run it the
first kick's flag stays set, so the run publishes about once. With --worker a Celery
worker on the same cores screens and routes the leads as they arrive, each drain clears
the flag and the next capture publishes again: the deployment's real cost, and the time
until the last lead was routed.

Throughput on a shared machine says as much about the neighbours as about the code, so
the CPU time per lead (from /proc, Linux only) is printed too: server + PostgreSQL +
client CPU per lead bounds what the cores can do, whatever else is running."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from _common import (
    bench_env,
    django_setup,
    percentile,
    prepare_database,
    start_server,
    start_worker,
)
from _results import result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--door", choices=("api", "google-ads"), default="api")
    parser.add_argument(
        "--no-pool", action="store_true", help="serve without the psycopg pool (DB_POOL_MAX_SIZE)"
    )
    parser.add_argument(
        "--worker",
        action="store_true",
        help="also run a Celery worker (one process) that screens and routes the leads as "
        "they arrive, on the same cores, and report when the last one was routed",
    )
    args = parser.parse_args()

    env = bench_env()
    prepare_database(env)
    django_setup(env)
    from accounts.models import Team
    from pools.capture.apikeys import apikey_create
    from pools.models import Lead, LeadSource, Pool

    team = Team.objects.create(name="Bench")
    Pool.objects.create(name="Bench pool", slug="bench", team=team, is_team_default=True)
    # One key per client thread: the per-key rate limit (600/min by default) is meant for
    # one integration, and the benchmark plays several.
    sources = [
        LeadSource.objects.create(name=f"Bench {i}", slug=f"bench-{i}", team=team)
        for i in range(args.concurrency)
    ]
    if args.door == "api":
        keys = [(apikey_create(source=source)[1], "/api/leads") for source in sources]
    else:
        from pools.capture.webhooks.secrets import hook_create
        from pools.models import InboundHook

        keys = [
            (
                hook_create(source=source, kind=InboundHook.Kind.GOOGLE_ADS)[1],
                f"/api/hooks/google-ads/{source.slug}",
            )
            for source in sources
        ]

    server_env = dict(env)
    if not args.no_pool:
        server_env["DB_POOL_MAX_SIZE"] = "20"
    server = start_server(server_env, args.port, workers=args.workers)
    worker = start_worker(env) if args.worker else None
    routed_after = None
    try:
        _wait(args.port, server)
        _intake_flag_clear()  # a flag an earlier run left (no drain will come for it)
        _run(args, keys, warmup=True)
        if worker is not None:
            _wait_routed(Lead, timeout=120)
        Lead.objects.all().delete()
        _intake_flag_clear()  # the warm-up's kick must not spare the measured run its own
        load_before = _loadavg()
        pushes = _broker_pushes()
        cpu_before = _cpu_by_role(server.pid, worker)
        client_cpu = time.process_time()
        started = time.perf_counter()
        client_ms, server_ms, codes = _run(args, keys)
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        if worker is not None:
            routed_after = _wait_routed(Lead, timeout=600) - started
        cpu_after = _cpu_by_role(server.pid, worker)
        pushes = _broker_pushes() - pushes
        load_after = _loadavg()
    finally:
        server.terminate()
        server.wait(timeout=20)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
    created = Lead.objects.count()
    # The API answers a new lead 201; Google's webhook answers every lead 200 (each body
    # here is a new lead).
    made = codes[201] if args.door == "api" else codes[200]
    door = "intake API" if args.door == "api" else "Google Ads webhook"
    from leadroute.celery import app

    app.control.purge()
    print(
        f"requests        {args.requests} to the {door} ({args.concurrency} clients, "
        f"{args.workers} uvicorn workers, "
        f"{'new connection per request' if args.no_pool else 'psycopg pool'})"
    )
    print(f"status codes    {dict(codes)}")
    print(f"leads created   {created}")
    # Only 201s are leads: a merged, replayed, refused or failed request is not.
    print(f"throughput      {made / elapsed:.0f} leads/s  ({elapsed:.2f} s)")
    result(f"{door} throughput", made / elapsed, "leads/s")
    result(f"{door} server time p95", percentile(server_ms, 95), "ms")
    print(
        f"client latency  p50 {percentile(client_ms, 50):.1f} ms   "
        f"p95 {percentile(client_ms, 95):.1f} ms"
    )
    print(
        f"server time     p50 {percentile(server_ms, 50):.1f} ms   "
        f"p95 {percentile(server_ms, 95):.1f} ms"
    )
    if routed_after is not None:
        waiting = Lead.objects.filter(status__in=("new", "screened")).count()
        print(
            f"routed          every lead screened and routed {routed_after:.2f} s after the "
            f"first request ({made / routed_after:.0f} leads/s end to end; "
            f"{waiting} left waiting)"
        )
    # Kombu publishes with LPUSH; Redis counts commands server-wide, so another client of
    # the same Redis server would add to this.
    print(f"task publishes  {pushes} (LPUSH calls on the Redis server during the run)")
    if cpu_before is not None:
        roles = ("server", "worker", "postgres") if worker is not None else ("server", "postgres")
        per_lead = {
            role: 1000 * _cpu_spent(cpu_before[role], cpu_after[role]) / args.requests
            for role in roles
        }
        per_lead["client"] = 1000 * client_cpu / args.requests
        total = sum(per_lead.values())
        print(
            "CPU per request "
            + "   ".join(f"{role} {ms:.2f} ms" for role, ms in per_lead.items())
            + f"   total {total:.2f} ms"
        )
        print(
            f"CPU-bound limit {os.cpu_count()} cores / {total:.2f} ms = "
            f"{os.cpu_count() * 1000 / total:.0f} leads/s (Redis not counted)"
        )
    print(
        f"load average    {load_before} before, {load_after} after "
        f"({os.cpu_count()} cores; another process's load lowers the throughput above)"
    )


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def _with_children(pid: int) -> set[int]:
    pids = {pid}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                pids.add(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return pids


def _cpu_by_role(server_pid: int, worker=None) -> dict[str, dict[int, int]] | None:
    """CPU ticks so far of the uvicorn processes (the supervisor and its workers), of the
    Celery worker if any, and of the bench database's PostgreSQL backends (pool
    connections live through the run; the worker's backend counts here too)."""
    if not Path("/proc/self/stat").exists():
        return None
    from django.db import connection

    server = _with_children(server_pid)
    workers = _with_children(worker.pid) if worker is not None else set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        postgres = {row[0] for row in cursor.fetchall()}
    return {
        role: {pid: t for pid in pids if (t := _cpu_ticks(pid)) is not None}
        for role, pids in (("server", server), ("worker", workers), ("postgres", postgres))
    }


def _wait_routed(Lead, *, timeout: float) -> float:
    """perf_counter() when no lead waits for intake any more (new or screened)."""
    deadline = time.monotonic() + timeout
    while Lead.objects.filter(status__in=("new", "screened")).exists():
        if time.monotonic() > deadline:
            raise SystemExit("leads still waiting for intake: is the worker running?")
        time.sleep(0.05)
    return time.perf_counter()


def _intake_flag_clear() -> None:
    from routing.intake.pending import intake_pending_clear

    intake_pending_clear()


def _broker_pushes() -> int:
    import redis

    stats = redis.Redis.from_url(os.environ["REDIS_URL"]).info("commandstats")
    return int(stats.get("cmdstat_lpush", {}).get("calls", 0))


def _cpu_spent(before: dict[int, int], after: dict[int, int]) -> float:
    """Seconds of CPU between two snapshots; processes seen only at the end (a pool
    connection opened mid-run) count whole."""
    return sum(t - before.get(pid, 0) for pid, t in after.items()) / os.sysconf("SC_CLK_TCK")


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


class _KeepAliveClient:
    """A minimal HTTP/1.1 keep-alive client. It runs on the same cores as the server, and
    http.client (its header parsing goes through the email package) took 0.47 ms of CPU
    per request against 0.19 ms for this. It sends real requests and reads whole
    responses; a response not framed by Content-Length is an error, not a guess."""

    def __init__(self, port: int, key: str = ""):
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._file = self._sock.makefile("rb")
        self._head = (
            f"Host: 127.0.0.1:{port}\r\n"
            + (f"Authorization: Bearer {key}\r\n" if key else "")
            + "Content-Type: application/json\r\n"
        ).encode()

    def post_json(self, path: str, body: bytes) -> tuple[int, dict[bytes, bytes]]:
        self._sock.sendall(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self._head, len(body), body)
        )
        status = int(self._file.readline().split(b" ", 2)[1])
        headers = {}
        while (line := self._file.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"content-length" not in headers:
            raise RuntimeError(f"Response without Content-Length: {headers}")
        body = self._file.read(int(headers[b"content-length"]))
        if status in (200, 201) and not body.startswith(b"{"):
            raise RuntimeError(f"{status} without a JSON body: {body[:200]!r}")
        return status, headers

    def close(self) -> None:
        self._file.close()
        self._sock.close()


def _run(args, keys: list[str], warmup: bool = False):
    total = 100 if warmup else args.requests
    client_ms: list[float] = []
    server_ms: list[float] = []
    codes: Counter = Counter()
    lock = threading.Lock()
    counter = iter(range(total))
    tag = "w" if warmup else "r"

    def client(key: str, path: str) -> None:
        conn = _KeepAliveClient(args.port, key if args.door == "api" else "")
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            lead = {
                "first_name": "Bench",
                "last_name": f"Lead {i}",
                "email": f"bench-{tag}{i}@example.com",
                "phone": f"+55119{i:08d}",
                "company": "Bench Co",
                "country": "BR",
                "company_size": "51-200",
                "utm": "bench",
            }
            body = json.dumps(lead if args.door == "api" else _google(lead, key, f"{tag}{i}"))
            body = body.encode()
            t0 = time.perf_counter()
            status, headers = conn.post_json(path, body)
            dt = (time.perf_counter() - t0) * 1000
            timing = headers.get(b"server-timing", b"").decode()
            with lock:
                client_ms.append(dt)
                codes[status] += 1
                if timing.startswith("app;dur="):
                    server_ms.append(float(timing.removeprefix("app;dur=")))
        conn.close()

    threads = [
        threading.Thread(target=client, args=keys[n % len(keys)]) for n in range(args.concurrency)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return client_ms, server_ms, codes


_GOOGLE_COLUMNS = {
    "first_name": "FIRST_NAME",
    "last_name": "LAST_NAME",
    "email": "EMAIL",
    "phone": "PHONE_NUMBER",
    "company": "COMPANY_NAME",
    "country": "COUNTRY",
    "company_size": "Q_COMPANY_SIZE",
}


def _google(lead: dict, key: str, lead_id: str) -> dict:
    """The same lead as Google's lead form webhook sends it."""
    return {
        "lead_id": f"bench-{lead_id}",
        "user_column_data": [
            {"column_id": column, "column_name": name, "string_value": lead[name]}
            for name, column in _GOOGLE_COLUMNS.items()
        ],
        "api_version": "1.0",
        "form_id": 40000000000,
        "campaign_id": 50000000000,
        "google_key": key,
        "is_test": False,
        "gcl_id": "bench",
    }


if __name__ == "__main__":
    main()
