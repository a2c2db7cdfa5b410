"""Escalation sweep benchmark — prints figures, asserts nothing.

    make bench ARGS="bench/sweep.py [--leads 100000] [--due 5000] [--reps 20] [--reassign 500]"

Uses a fresh `<DATABASE_URL's database>_bench` (bench/_common.py). Seeds --leads owned,
untouched leads of one team under an SLA policy "remind the owner after 15 min", of which
--due are past their step and the rest due tomorrow, then:

1. One sweep (`escalation_sweep_run`, the beat task's service, ESCALATION_BATCH per
   transaction) applying every due step: its wall time, and what it did.
2. An empty sweep (nothing due), median of 20.
3. Queries per batch: one batch of 50 due leads and one of 500 (`leads_escalate` on locked
   rows), counted with Django's query log: equal when the count is constant.
4. --reassign (500) due reassignments by a team rule over the --reps reps: each goes
   through the routing engine on its own, so this is the per-lead figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta

from _common import bench_env, django_setup, prepare_database
from _results import result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=5_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--reassign", type=int, default=500)
    args = parser.parse_args()
    env = bench_env()
    prepare_database(env)
    django_setup(env)

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import RepProfile, Team, User
    from pools.lifecycle import LeadState
    from pools.models import Lead
    from routing.escalation.sweep import escalation_sweep_run, leads_escalate
    from routing.models import SlaPolicy, SlaStep

    team = Team.objects.create(name="Bench team")
    reps = []
    for i in range(args.reps):
        user = User.objects.create(username=f"bench-rep-{i}", email=f"rep{i}@bench.test")
        RepProfile.objects.create(user=user, team=team)
        reps.append(user)
    policy = SlaPolicy.objects.create(name="Bench SLA", team=team)
    SlaStep.objects.create(policy=policy, after_minutes=15, action=SlaStep.Action.REMIND)

    now = timezone.now()
    started = time.perf_counter()
    chunk = 10_000
    for first in range(0, args.leads, chunk):
        Lead.objects.bulk_create(
            [
                Lead(
                    email=f"lead{i}@bench.test",
                    status=LeadState.ASSIGNED,
                    owner=reps[i % len(reps)],
                    team=team,
                    assigned_at=now - timedelta(hours=1),
                    escalation_due_at=(
                        now - timedelta(minutes=1) if i < args.due else now + timedelta(days=1)
                    ),
                )
                for i in range(first, min(first + chunk, args.leads))
            ],
            batch_size=2_000,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE pools_lead")
    print(
        f"seeded {args.leads} owned leads ({args.due} due) in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    done = escalation_sweep_run()
    elapsed = time.perf_counter() - started
    print(f"1. one sweep: {elapsed:.2f} s for {args.due} due leads -> {done}")
    result(
        f"escalation sweep, {args.due} due of {args.leads}",
        elapsed * 1000,
        "ms",
        goal="< 5000 ms",
        met=elapsed < 5,
    )

    empty = []
    for _ in range(20):
        started = time.perf_counter()
        escalation_sweep_run()
        empty.append(time.perf_counter() - started)
    print(
        f"2. empty sweep: median {statistics.median(empty) * 1000:.1f} ms, "
        f"max {max(empty) * 1000:.1f} ms (n=20)"
    )
    median = statistics.median(empty) * 1000
    result("empty escalation sweep, median", median, "ms", goal="< 50 ms", met=median < 50)

    counts = {}
    for size in (50, 500):
        ids = list(
            Lead.objects.filter(escalation_due_at__isnull=True).values_list("pk", flat=True)[:size]
        )
        Lead.objects.filter(pk__in=ids).update(
            escalation_due_at=timezone.now() - timedelta(minutes=1), escalation_step=0
        )
        with transaction.atomic():
            leads = list(
                Lead.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("pool")
                .filter(pk__in=ids)
            )
            with CaptureQueriesContext(connection) as queries:
                leads_escalate(leads=leads, now=timezone.now())
        counts[size] = len(queries)
    print(f"3. queries per batch: {counts[50]} for 50 leads, {counts[500]} for 500 leads")

    # 4. Reassignments go through the engine one lead at a time: their own figure.
    from routing.models import RoutingRule

    RoutingRule.objects.create(name="Bench team rule", team=team, priority=1)
    policy.steps.update(action=SlaStep.Action.REASSIGN)
    ids = list(
        Lead.objects.filter(escalation_due_at__isnull=True).values_list("pk", flat=True)[
            : args.reassign
        ]
    )
    Lead.objects.filter(pk__in=ids).update(
        escalation_due_at=timezone.now() - timedelta(minutes=1), escalation_step=0
    )
    started = time.perf_counter()
    done = escalation_sweep_run()
    elapsed = time.perf_counter() - started
    print(
        f"4. reassignments: {elapsed:.2f} s for {len(ids)} leads "
        f"({elapsed / max(len(ids), 1) * 1000:.1f} ms each, new owners' first look included)"
        f" -> {done}"
    )


if __name__ == "__main__":
    sys.exit(main())
