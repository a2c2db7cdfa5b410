"""Desk benchmarks — prints figures, asserts nothing.

    make bench ARGS="bench/desk.py [--leads 5000] [--reps 50] [--runs 60]"

Uses `<DATABASE_URL's database>_bench` (bench/_pool_django.py); its "bench-desk-*" rows
are created once and reused. With --leads leads waiting in one team's skim queue and
--reps reps on that team:

1. The desk page's server time (in-process test client, full middleware and template):
   the queue's first page, the oldest lead in full and its ranked suggestions.
2. The suggestions for one lead alone (routing.desk.suggestions.lead_suggestions: the
   engine's matching, RepBook and strategy in preview).
3. Query counts of both beside a team of 10 reps: constant in the number of reps.
"""

from __future__ import annotations

import argparse
import time

from _common import percentile
from _pool_django import ROOT  # noqa: F401  sets Django up: before the imports below
from _results import result
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import RepProfile, Team, User
from accounts.roles import Role
from pools.lifecycle import LeadState
from pools.models import Lead
from routing.desk.suggestions import lead_suggestions

ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def team_with(name: str, *, reps: int, leads: int) -> tuple[Team, User]:
    """A team with `reps` reps, `leads` skimming leads and a manager (kept between runs)."""
    team, _ = Team.objects.get_or_create(name=name)
    rep_group = Group.objects.get_or_create(name=Role.REP.value)[0]
    have = RepProfile.objects.filter(team=team).count()
    for i in range(have, reps):
        user = User.objects.create(username=f"{name}-rep-{i}", first_name="Rep", last_name=str(i))
        user.groups.add(rep_group)
        RepProfile.objects.create(
            user=user, team=team, working_hours=ALL_DAY, languages=["pt"], weight=1 + i % 3
        )
    waiting = Lead.objects.filter(team=team, status=LeadState.SKIMMING).count()
    if waiting < leads:
        Lead.objects.bulk_create(
            [
                Lead(
                    status=LeadState.SKIMMING,
                    team=team,
                    first_name=f"Lead {i}",
                    email=f"{name}-{i}@example.test",
                    country="BR",
                    language="pt",
                    score=i % 100,
                )
                for i in range(waiting, leads)
            ],
            batch_size=1000,
        )
    manager, created = User.objects.get_or_create(username=f"{name}-manager")
    if created:
        manager.groups.add(Group.objects.get_or_create(name=Role.MANAGER.value)[0])
        team.managers.add(manager)
    return team, manager


def timed(fn, runs: int) -> list[float]:
    fn()  # warm caches and the connection
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def line(label: str, times: list[float], goal: str) -> None:
    print(
        f"  {label:<34} p50 {percentile(times, 50):6.1f} ms   p95 {percentile(times, 95):6.1f} ms"
        f"   ({goal})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    big, big_manager = team_with("bench-desk", reps=args.reps, leads=args.leads)
    small, small_manager = team_with("bench-desk-small", reps=10, leads=20)
    waiting = Lead.objects.filter(team=big, status=LeadState.SKIMMING).count()
    print(f"Desk: {waiting} leads waiting, {args.reps} reps on the team, {args.runs} runs each")

    client = Client()
    client.force_login(big_manager)

    def page():
        response = client.get("/desk/")
        assert response.status_code == 200, response.status_code

    page_times = timed(page, args.runs)
    line("GET /desk/", page_times, "goal p95 < 150 ms")
    p95 = percentile(page_times, 95)
    result(f"desk page p95, {waiting} waiting", p95, "ms", goal="< 150 ms", met=p95 < 150)
    lead = Lead.objects.filter(team=big, status=LeadState.SKIMMING).order_by("created_at").first()
    suggest_times = timed(lambda: lead_suggestions(lead=lead), args.runs)
    line("suggestions for one lead", suggest_times, "goal < 50 ms")
    p95 = percentile(suggest_times, 95)
    result("suggestions for one lead p95", p95, "ms", goal="< 50 ms", met=p95 < 50)

    small_client = Client()
    small_client.force_login(small_manager)
    small_lead = Lead.objects.filter(team=small, status=LeadState.SKIMMING).first()
    small_client.get("/desk/")
    print(f"  queries, 10 reps vs {args.reps} reps:")
    print(
        f"    suggestions  {queries(lambda: lead_suggestions(lead=small_lead))}"
        f" vs {queries(lambda: lead_suggestions(lead=lead))}"
    )
    print(f"    desk page    {queries(lambda: small_client.get('/desk/'))} vs {queries(page)}")


if __name__ == "__main__":
    main()
