"""Team board benchmarks — prints figures, asserts nothing.

    make bench ARGS="bench/team_board.py [--reps 50] [--leads-per-rep 200] [--runs 40]"

Uses `<DATABASE_URL's database>_bench` (bench/_pool_django.py); its "bench-board-*" rows
are created once and reused. A team of --reps reps, each owning --leads-per-rep leads with
a timeline event of their own and a few offer answers today, in four time zones:

1. The board's re-read (GET /reports/team/ as htmx asks it: the fragment a live ping
   fetches), server time in-process with full middleware and template.
2. Query counts beside a team of 5 reps: constant in the number of reps.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from _common import percentile
from _pool_django import ROOT  # noqa: F401  sets Django up: before the imports below
from _results import result
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import RepProfile, Team, User
from accounts.roles import Role
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from routing.models import Offer, OfferResponse

ZONES = ("UTC", "Asia/Tokyo", "America/Sao_Paulo", "Pacific/Kiritimati")


def team_with(name: str, *, reps: int, leads_per_rep: int) -> User:
    team, _ = Team.objects.get_or_create(name=name)
    rep_group = Group.objects.get_or_create(name=Role.REP.value)[0]
    now = timezone.now()
    for i in range(RepProfile.objects.filter(team=team).count(), reps):
        user = User.objects.create(username=f"{name}-rep-{i}", first_name="Rep", last_name=str(i))
        user.groups.add(rep_group)
        RepProfile.objects.create(user=user, team=team, time_zone=ZONES[i % len(ZONES)])
        leads = Lead.objects.bulk_create(
            [
                Lead(
                    status=LeadState.ASSIGNED if k % 3 else LeadState.CONTACTED,
                    owner=user,
                    team=team,
                    email=f"{name}-{i}-{k}@example.test",
                    assigned_at=now,
                )
                for k in range(leads_per_rep)
            ],
            batch_size=1000,
        )
        LeadEvent.objects.bulk_create(
            [
                LeadEvent(lead=lead, kind=LeadEvent.Kind.TOUCH, actor=user, created_at=now)
                for lead in leads[: leads_per_rep // 3]
            ]
        )
        offer = Offer.objects.create(
            lead=leads[0],
            method="shotgun",
            recipient_ids=[user.pk],
            plan={"steps": []},
            expires_at=now + timedelta(minutes=5),
            state=Offer.State.EXPIRED,
        )
        OfferResponse.objects.create(
            offer=offer, rep=user, response=OfferResponse.Response.DECLINED
        )
    manager, created = User.objects.get_or_create(username=f"{name}-manager")
    if created:
        manager.groups.add(Group.objects.get_or_create(name=Role.MANAGER.value)[0])
        team.managers.add(manager)
    return manager


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--leads-per-rep", type=int, default=200)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    big = team_with("bench-board", reps=args.reps, leads_per_rep=args.leads_per_rep)
    small = team_with("bench-board-small", reps=5, leads_per_rep=20)
    clients = {}
    for user in (big, small):
        clients[user.pk] = Client(HTTP_HX_REQUEST="true")
        clients[user.pk].force_login(user)

    def board(user):
        response = clients[user.pk].get("/reports/team/")
        assert response.status_code == 200, response.status_code

    board(big)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        board(big)
        times.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentile(times, 50), percentile(times, 95)
    print(
        f"Team board: {args.reps} reps × {args.leads_per_rep} leads, {args.runs} runs\n"
        f"  board re-read (htmx fragment)   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms"
    )
    # Half of the board's "within a second of the change": the rest is the ping and the swap.
    result(f"team board re-read p95, {args.reps} reps", p95, "ms", goal="< 500 ms", met=p95 < 500)

    def queries(user) -> int:
        with CaptureQueriesContext(connection) as ctx:
            board(user)
        return len(ctx.captured_queries)

    print(f"  queries, 5 reps vs {args.reps} reps: {queries(small)} vs {queries(big)}")


if __name__ == "__main__":
    main()
