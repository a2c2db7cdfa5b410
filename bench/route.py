"""Routing throughput: 10 rules, 50 reps, PostgreSQL, in-process.

    make bench ARGS="bench/route.py [--leads N]
        [--reps N] [--batch N] [--workers N] [--profile]"
        BENCH_SQL=1 also prints SQL time by statement

Creates a throwaway test database (test_<name>) and routes N screened leads twice over
(fresh leads each time): one lead per transaction, as an intake drain does for a lead
posted alone, then --batch leads per transaction, as the intake does when leads arrive
together (routing.intake: a drain in a burst, an import's chunks). Prints leads/s, CPU and SQL
round trips per lead for each, then drops the database.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadroute.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402
from _results import result  # noqa: E402

django.setup()

from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

ALL_DAY = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ORIGINS = [
    "organic_search",
    "paid_search",
    "social",
    "email",
    "referral",
    "direct_traffic",
    "display",
    "other",
    "unknown",
]


def seed(n_reps: int):
    from accounts.models import RepProfile, Team, User
    from pools.models import LeadSource
    from routing.models import RoutingRule

    teams = [Team.objects.create(name=f"Team {i}") for i in range(5)]
    users = User.objects.bulk_create([User(username=f"bench{i}") for i in range(n_reps)])
    RepProfile.objects.bulk_create(
        [
            RepProfile(
                user=u,
                team=teams[i % len(teams)],
                working_hours=ALL_DAY,
                weight=1 + i % 3,
                languages=["pt"],
                max_per_day=10_000,
            )
            for i, u in enumerate(users)
        ]
    )
    sources = [LeadSource.objects.create(name=o, slug=o) for o in ORIGINS]
    methods = ["round_robin", "weighted", "load_balanced", "skills", "round_robin"]
    # Nine specific rules (one per origin, the last ones never match) and a catch-all.
    for i in range(9):
        RoutingRule.objects.create(
            name=f"rule {i}",
            priority=i + 1,
            team=teams[i % 5],
            method=methods[i % 5],
            conditions=[
                [
                    {"field": "source", "op": "equals", "value": ORIGINS[(i + 3) % 9]},
                    {"field": "country", "op": "equals", "value": "BR"},
                ]
            ],
        )
    RoutingRule.objects.create(name="catch-all", priority=100, team=teams[0])
    return sources


def leads(n: int, sources):
    from pools.lifecycle import LeadState
    from pools.models import Lead

    return list(
        Lead.objects.bulk_create(
            [
                Lead(
                    status=LeadState.SCREENED,
                    country="BR",
                    language="pt",
                    state="SP",
                    source=sources[i % len(sources)],
                    email=f"b{i}@example.test",
                )
                for i in range(n)
            ]
        )
    )


def route_chunk(lead_ids: list[int]) -> None:
    """One transaction: lock the leads, route them (as routing.tasks does)."""
    from pools.models import Lead
    from routing.engine import leads_route

    with transaction.atomic():
        leads_route(
            leads=list(Lead.objects.select_for_update().filter(pk__in=lead_ids).order_by("id"))
        )


def run(lead_ids: list[int], size: int) -> None:
    for start in range(0, len(lead_ids), size):
        route_chunk(lead_ids[start : start + size])


def measure(args, sources, size: int) -> None:
    from collections import Counter

    from pools.models import Lead

    ids = [lead.pk for lead in leads(args.leads, sources)]
    run(ids[:50], size)  # warm-up (first intake rows, connection, caches)
    rest = ids[50:]
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
        profiler.runcall(run, rest, size)
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(
            35
        )
        return
    started, cpu_started = time.perf_counter(), time.process_time()
    if args.workers == 1:
        run(rest, size)
    else:
        import threading

        def worker(chunk):
            try:
                run(chunk, size)
            finally:
                connection.close()

        per = -(-len(rest) // args.workers)
        threads = [
            threading.Thread(target=worker, args=(rest[i * per : (i + 1) * per],))
            for i in range(args.workers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    routed = Lead.objects.filter(pk__in=rest).exclude(status="screened").count()

    # Queries per lead, measured on a fresh sample with query logging on.
    sample = [lead.pk for lead in leads(max(50, size), sources)]
    connection.force_debug_cursor = True
    reset_queries()
    run(sample, size)
    per_lead = sum(q["sql"] not in ("BEGIN", "COMMIT") for q in connection.queries) / len(sample)
    if os.environ.get("BENCH_SQL"):
        from collections import defaultdict

        by = defaultdict(float)
        for q in connection.queries:
            by[q["sql"][:90]] += float(q["time"])
        print("SQL time per lead by statement (server + round trip):")
        for sql, t in sorted(by.items(), key=lambda kv: -kv[1])[:15]:
            print(f"{t * 1000 / len(sample):7.2f} ms  {' '.join(sql.split())}")
    connection.force_debug_cursor = False
    outcomes = Counter(Lead.objects.filter(pk__in=rest).values_list("status", flat=True))
    label = "one lead per transaction" if size == 1 else f"{size} leads per transaction"
    print(f"\n{label}:")
    print(
        f"  routed {routed} leads in {elapsed:.2f}s: {routed / elapsed:.0f} leads/s, "
        f"{elapsed / routed * 1000:.2f} ms/lead"
    )
    print(
        f"  this process's CPU: {cpu / routed * 1000:.2f} ms/lead (the rest is waiting "
        f"for PostgreSQL or for a CPU; load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  SQL round trips per lead (lead lock included, BEGIN/COMMIT not; statements "
        f"sent together count once): {per_lead:.2f}"
    )
    print(f"  outcomes: {dict(outcomes)}")
    result(f"routing, {label}", routed / elapsed, "leads/s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=1, help="parallel routers (threads, one connection each)"
    )
    parser.add_argument(
        "--batch", type=int, default=100, help="leads per transaction in the batched run"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile (CPU time) each run instead of timing it"
    )
    args = parser.parse_args()

    from django.conf import settings

    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        sources = seed(args.reps)
        print(
            f"reps={args.reps} rules=10 leads={args.leads} workers={args.workers} "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before)"
        )
        for size in (1, args.batch):
            measure(args, sources, size)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
