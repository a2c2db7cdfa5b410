"""Quota attainment benchmark — prints figures, asserts nothing.

    make bench ARGS="bench/quotas.py [--leads 1000000] [--reps 50] [--runs 5]"

Uses `<DATABASE_URL's database>_bench` (bench/_pool_django.py); its "bench-quota" team and
leads are created once (in SQL, a few minutes at a million) and reused. Each lead was
routed to one of --reps reps over the last 180 days, touched once, and closed (10 % won,
20 % lost) or left open; three timeline events a lead. The team has a week's and a
month's quota for every metric.

1. quota_attainment for every rep of the team (pools.work.quotas: the team board's and
   the reports' read, and quota fill's for its metric): p50 and p95 over --runs.
2. The same for leads worked only (what quota fill reads per routed batch).
3. Query count beside 5 reps: constant in the number of reps.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from _common import percentile
from _pool_django import ROOT  # noqa: F401  sets Django up: before the imports below
from _results import result
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Quota, RepProfile, Team, User
from pools.models import Lead, LeadEvent
from pools.work.quotas import quota_attainment

TEAM = "bench-quota"
ZONES = ("America/Sao_Paulo", "Europe/Lisbon", "Asia/Tokyo", "UTC", "America/New_York")


def insert_select(model, overrides: dict[str, str], source: str, params: list) -> str:
    """INSERT … SELECT for `model`: `overrides` are SQL expressions over `source`'s rows,
    every other column its field's default (the table has no defaults of its own)."""
    columns, exprs = [], []
    defaults = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if f.column in overrides:
            exprs.append(overrides[f.column])
        elif f.null and not f.has_default():
            exprs.append("NULL")
        else:
            exprs.append("%s")
            defaults.append(f.get_db_prep_save(f.get_default(), connection))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} FROM {source}"
    )
    # The defaults' placeholders come first in the SELECT list, the source's after.
    with connection.cursor() as cursor:
        cursor.execute(sql, [*defaults, *params])
        return cursor.rowcount


def seed(*, leads: int, reps: int) -> tuple[Team, list[int]]:
    team, _ = Team.objects.get_or_create(name=TEAM)
    have = RepProfile.objects.filter(team=team).count()
    for i in range(have, reps):
        user = User.objects.create(username=f"{TEAM}-{i}", first_name="Rep", last_name=str(i))
        RepProfile.objects.create(user=user, team=team, time_zone=ZONES[i % len(ZONES)])
    for metric, target in ((Quota.Metric.LEADS_WORKED, 100), (Quota.Metric.TOUCHES, 150)):
        for period in Quota.Period.values:
            Quota.objects.get_or_create(
                team=team, metric=metric, period=period, rep=None, defaults={"target": target}
            )
    for metric, target in ((Quota.Metric.DEALS_WON, 10), (Quota.Metric.WON_VALUE, 50000)):
        for period in Quota.Period.values:
            Quota.objects.get_or_create(
                team=team, metric=metric, period=period, rep=None, defaults={"target": target}
            )
    ids = list(
        RepProfile.objects.filter(team=team).order_by("user_id").values_list("user_id", flat=True)
    )[:reps]
    missing = leads - Lead.objects.filter(team=team).count()
    if missing > 0:
        started = time.perf_counter()
        now = timezone.now()
        reps_array = "ARRAY[" + ", ".join(str(i) for i in ids) + "]::bigint[]"
        source = f"""(SELECT g, ({reps_array})[1 + g %% {len(ids)}] AS owner,
                %s::timestamptz - (random() * interval '180 days') AS at,
                CASE WHEN g / {len(ids)} %% 10 = 0 THEN 'won'
                     WHEN g / {len(ids)} %% 10 IN (1, 2) THEN 'lost'
                     ELSE 'contacted' END AS state
              FROM generate_series(1, %s) g) s"""
        n = insert_select(
            Lead,
            {
                "first_name": "'Bench'",
                "email": f"'{TEAM}-' || g || '@example.test'",
                "country": "'BR'",
                "status": "s.state",
                "owner_id": "s.owner",
                "team_id": str(team.pk),
                "created_at": "s.at",
                "updated_at": "s.at",
                "routed_at": "s.at",
                "assigned_at": "s.at + interval '1 minute'",
                "first_touch_at": "s.at + interval '5 minutes'",
                "closed_at": "CASE WHEN s.state IN ('won', 'lost') "
                "THEN s.at + interval '2 days' END",
                "won_value": "CASE WHEN s.state = 'won' THEN 1000 + g %% 9000 END",
            },
            source,
            [now, missing],
        )
        lead_table, event_table = Lead._meta.db_table, LeadEvent._meta.db_table
        for kind, to_state, when, actor in (
            ("created", "'new'", "l.created_at", "NULL"),
            ("routed", "'assigned'", "l.assigned_at", "NULL"),
            ("touch", "'contacted'", "l.first_touch_at", "l.owner_id"),
        ):
            # The team's leads without an event of this kind yet: those just seeded.
            source = (
                f"(SELECT * FROM {lead_table} WHERE team_id = {team.pk} AND NOT EXISTS "
                f"(SELECT 1 FROM {event_table} e WHERE e.lead_id = {lead_table}.id "
                f"AND e.kind = '{kind}')) l"
            )
            overrides = {
                "lead_id": "l.id",
                "kind": f"'{kind}'",
                "from_state": "''",
                "to_state": to_state,
                "actor_id": actor,
                "owner_id": "NULL" if kind == "created" else "l.owner_id",
                "created_at": when,
            }
            insert_select(LeadEvent, overrides, source, [])
        # What autovacuum does to a table that stops changing: statistics, and the
        # visibility map that lets the quota reads answer from their indexes alone.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {lead_table}")
            cursor.execute(f"VACUUM (ANALYZE) {event_table}")
        print(f"seeded {n} leads and their events in {time.perf_counter() - started:.0f} s")
    return team, ids


def timed(fn, runs: int) -> list[float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    _, ids = seed(leads=args.leads, reps=args.reps)
    now = timezone.now() - timedelta(days=3)
    total = Lead.objects.filter(team__name=TEAM).count()
    print(f"{total} leads, {len(ids)} reps")

    every = timed(lambda: quota_attainment(user_ids=ids, at=now), args.runs)
    p50, p95 = percentile(every, 50), percentile(every, 95)
    print(f"quota_attainment, every metric, {len(ids)} reps: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    result(
        "quota attainment, every metric (p95)", round(p95), "ms", goal="< 2000 ms", met=p95 < 2000
    )
    worked = timed(
        lambda: quota_attainment(user_ids=ids, at=now, metrics=[Quota.Metric.LEADS_WORKED]),
        args.runs,
    )
    p50, p95 = percentile(worked, 50), percentile(worked, 95)
    print(f"quota_attainment, leads worked (quota fill's read): p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    result("quota fill's leads-worked read (p95)", round(p95), "ms")

    counts = {}
    for n in (5, len(ids)):
        with CaptureQueriesContext(connection) as ctx:
            quota_attainment(user_ids=ids[:n], at=now)
        counts[n] = len(ctx.captured_queries)
    print(f"queries: {counts}")


if __name__ == "__main__":
    main()
