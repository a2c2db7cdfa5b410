"""Rule simulator: replay a month of leads through a rule set — prints figures, asserts
nothing.

    make bench ARGS="bench/simulate.py [--leads 10000] [--reps 50]"

Creates a throwaway test database (test_<name>), as bench/route.py does: 5 teams, --reps
reps (some with a daily cap, one a week out of office), 3 territories, 10 live rules
(round robin, weighted, load balanced, territory, top performer, quota-free skills, a
pool, a catch-all round robin) and --leads leads that arrived over 30 days, each with a
recorded decision (inserted, not routed: the replay reads only the first decision's
outcome and the rotations' history). Then times routing.simulator.replay over the whole
period: the live rules, and a draft copy whose round robins are load balanced. Goal at
10,000 leads, 50 reps, 10 rules: < 30 s.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadroute.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")  # the run's page renders unbuilt assets

import django  # noqa: E402
from _results import result  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

ALL_DAY = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
WORK_DAYS = {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
ORIGINS = ["organic_search", "paid_search", "social", "email", "referral", "display"]
STATES = ["SP", "RJ", "MG", "PR", "SC", "BA"]
DAYS = 30


def seed(n_reps: int, n_leads: int):
    from accounts.models import OutOfOffice, RepProfile, Team, Territory, User
    from pools.lifecycle import LeadState
    from pools.models import Lead, LeadSource, Pool
    from routing.models import RoutingDecision, RoutingRule

    now = timezone.now()
    start = now - timedelta(days=DAYS)
    teams = [Team.objects.create(name=f"Team {i}") for i in range(5)]
    territories = [Territory.objects.create(name=s, countries=[], states=[s]) for s in STATES[:3]]
    users = User.objects.bulk_create([User(username=f"sim{i}") for i in range(n_reps)])
    profiles = RepProfile.objects.bulk_create(
        [
            RepProfile(
                user=u,
                team=teams[i % len(teams)],
                weight=1 + i % 3,
                languages=["pt"],
                time_zone="America/Sao_Paulo" if i % 2 else "UTC",
                working_hours=ALL_DAY if i % 4 else WORK_DAYS,
                max_per_day=12 if i % 7 == 0 else None,
            )
            for i, u in enumerate(users)
        ]
    )
    for i, p in enumerate(profiles):
        p.territories.add(territories[i % len(territories)])
    OutOfOffice.objects.create(
        profile=profiles[0], starts_at=start + timedelta(days=3), ends_at=start + timedelta(days=10)
    )
    sources = [LeadSource.objects.create(name=o, slug=o) for o in ORIGINS]
    pool = Pool.objects.create(name="Overflow", slug="overflow", team=teams[4])

    def on(field, value):
        return [[{"field": field, "op": "equals", "value": value}]]

    catch_all = RoutingRule.objects.create(name="catch-all", priority=100, team=teams[0])
    specs = [
        dict(conditions=on("source", "paid_search"), method="weighted", team=teams[1]),
        dict(conditions=on("source", "social"), method="load_balanced", team=teams[2]),
        dict(
            conditions=on("state", "SP"),
            method="territory",
            target="territory",
            team=teams[3],
            fallback="rule",
            fallback_rule=catch_all,
        ),
        dict(conditions=on("source", "referral"), method="top_performer", team=teams[1]),
        dict(conditions=on("source", "email"), method="skills", team=teams[2]),
        dict(conditions=on("source", "display"), action="pool", pool=pool),
        dict(conditions=on("state", "RJ"), method="round_robin", team=teams[3]),
        dict(conditions=on("state", "MG"), method="round_robin", team=teams[4], keep_turn=False),
        dict(conditions=on("state", "XX"), method="load_balanced", team=teams[0]),  # never
    ]
    for i, spec in enumerate(specs):
        RoutingRule.objects.create(name=f"rule {i}", priority=i + 1, **spec)
    # Closed leads before the period: top performer's conversion history.
    history = Lead.objects.bulk_create(
        [
            Lead(
                status=LeadState.WON if i % 4 == 0 else LeadState.LOST,
                owner=users[i % n_reps],
                country="BR",
                email=f"old{i}@example.test",
                created_at=start - timedelta(days=20),
                first_touch_at=start - timedelta(days=19),
                closed_at=start - timedelta(days=5),
            )
            for i in range(n_reps * 10)
        ]
    )
    step = timedelta(days=DAYS) / n_leads
    pick = random.Random(22)  # the same leads every run
    leads = Lead.objects.bulk_create(
        [
            Lead(
                status=LeadState.SKIMMING,
                country="BR",
                language="pt",
                state=pick.choice(STATES),
                source=pick.choice(sources),
                industry=pick.choice(["pet", "toys", "books"]),
                email=f"sim{i}@example.test",
                created_at=start + step * i,
                first_touch_at=start + step * i + timedelta(minutes=30) if i % 3 else None,
                closed_at=start + step * i + timedelta(days=2) if i % 2 else None,
            )
            for i in range(n_leads)
        ]
    )
    RoutingDecision.objects.bulk_create(
        [
            RoutingDecision(
                lead=lead,
                outcome=RoutingDecision.Outcome.SKIMMING,
                reason="bench",
                created_at=lead.created_at,
            )
            for lead in leads
        ],
        batch_size=2000,
    )
    return start, now, len(history)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=50)
    args = parser.parse_args()

    from django.conf import settings

    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from routing.models import RoutingRule, RuleSet
        from routing.simulator.drafts import rule_set_copy_live
        from routing.simulator.replay import rule_set_replay

        started = time.perf_counter()
        start, end, _ = seed(args.reps, args.leads)
        print(
            f"seeded {args.leads} leads, {args.reps} reps, "
            f"{RoutingRule.objects.count()} rules in {time.perf_counter() - started:.1f}s "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        draft = rule_set_copy_live(name="Load balanced instead of round robin")
        draft.rules.filter(method="round_robin").update(method="load_balanced")
        placed = {}
        for label, rule_set in (("live rules", RuleSet.objects.live().get()), ("draft", draft)):
            started = time.perf_counter()
            replay = rule_set_replay(rule_set=rule_set, start=start, end=end)
            seconds = time.perf_counter() - started
            busiest = replay.per_rep.most_common(1)[0][1] if replay.per_rep else 0
            print(
                f"\n{label}: replayed {len(replay.leads)} leads in {seconds:.2f}s "
                f"({len(replay.leads) / seconds:.0f} leads/s)\n"
                f"  outcomes {dict(replay.outcomes)}; reps served {len(replay.per_rep)}, "
                f"busiest {busiest}; cap hits {sum(replay.cap_hits.values())}; "
                f"fallbacks {replay.fallbacks}; nobody could take {replay.nobody}"
            )
            placed[label] = [(r.to, r.rep_id) for r in replay.leads]
            if label == "draft":
                moved = sum(
                    a != b for a, b in zip(placed["live rules"], placed["draft"], strict=True)
                )
                print(f"  {moved} leads placed otherwise than by the live rules")
            result(
                f"replay {len(replay.leads)} leads, {args.reps} reps ({label})",
                seconds,
                "s",
                goal="< 30 s at 10,000 leads",
                met=seconds < 30 if args.leads >= 10_000 else None,
            )
        kept_run(start=start, end=end, draft=draft, n_leads=args.leads)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def kept_run(*, start, end, draft, n_leads: int) -> None:
    """The Celery task's work, in process: both replays, progress saved, every lead's row
    kept; then the run's page and its CSV as an admin reads them."""
    from django.test import Client

    from accounts.models import User
    from routing.models import SimulationLead
    from routing.simulator.runs import simulation_run_create, simulation_run_execute

    admin = User.objects.create_superuser("bench-admin", password="x")
    # Queued without a task: the bench is the worker.
    run = simulation_run_create(
        user=admin, draft=draft, start=start, end=end, team=None, send=False
    )
    started = time.perf_counter()
    state = simulation_run_execute(run_id=run.pk)
    seconds = time.perf_counter() - started
    rows = SimulationLead.objects.filter(run=run).count()
    print(f"\nkept run: {state}, both sets replayed and {rows} rows kept in {seconds:.2f}s")
    result(f"kept replay run {rows} leads (task's work)", seconds, "s")
    client = Client()
    client.force_login(admin)
    for label, url in (
        ("run page", f"/reports/simulations/{run.pk}/"),
        ("run page, changed only, page 3", f"/reports/simulations/{run.pk}/?changed=on&page=3"),
        ("CSV of every lead", f"/reports/simulations/{run.pk}/leads.csv"),
    ):
        started = time.perf_counter()
        response = client.get(url, secure=True)  # production settings redirect to HTTPS
        size = (
            len(b"".join(response.streaming_content))
            if response.streaming
            else len(response.content)
        )
        seconds = time.perf_counter() - started
        print(f"  {label}: {response.status_code}, {size / 1024:.0f} kB in {seconds * 1000:.0f} ms")
        result(f"{label} ({n_leads} leads)", seconds * 1000, "ms")


if __name__ == "__main__":
    main()
