"""Live offer benchmarks — prints figures, asserts nothing.

    make bench ARGS="bench/offers.py [--reps 50] [--leads 30] [--rounds 20] [--only accepts]"

Uses a fresh `<DATABASE_URL's database>_bench` (bench/_common.py). Two parts:

1. Offer delivery: one uvicorn process (the psycopg pool) and one Celery worker, and
   --reps websocket clients signed in as --reps reps of a team whose shotgun rule takes
   the bench source. For each of --leads leads, one at a time: from `POST /api/leads` to
   the offer's frame arriving at each socket (the capture's commit, the intake drain's
   pick-up, routing, the offer and its --reps frames), p50/p95 over every (lead, socket).
   Beside it, alternating with it in the same run: a bare `group_send` of a frame to the
   same reps' groups, from this process, to the same sockets — the channel layer's floor.
2. Accepts: --reps processes (one connection each, as bench/pool.py's Workers) accept one
   offer at once, --rounds rounds; every answer's time (the winner's and the "Someone else
   took it"s), and the winners' apart (theirs include telling the other reps on commit),
   beside a bare conditional UPDATE of one offer row by the same processes at once (one
   wins, the others match nothing), alternating rounds. Also, not the goal's floor: the
   same UPDATE in a transaction whose winner holds the row --hold-ms before committing, as
   an accept's winner holds it through its re-check and writes — the others queue on the
   row lock (PostgreSQL wakes them one at a time), which the autocommit UPDATE hardly shows.

`--only accepts` (or `delivery`) runs one part.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import threading
import time
from datetime import timedelta

from _common import (
    bench_env,
    django_setup,
    free_port,
    percentile,
    prepare_database,
    start_server,
    start_worker,
)
from _results import result


def ms(values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, p) * 1000 for p in (50, 95, 99))
    return f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms  (n={len(values)})"


def setup(n_reps: int):
    from django.contrib.auth.models import Group

    from accounts.models import RepProfile, Team, User
    from pools.capture.apikeys import apikey_create
    from pools.models import LeadSource
    from routing.models import RoutingRule

    team = Team.objects.create(name="Bench offers")
    source = LeadSource.objects.create(name="Bench referral", slug="bench-referral", team=team)
    key = apikey_create(source=source)[1]
    rep_group = Group.objects.get_or_create(name="rep")[0]
    reps = []
    for i in range(n_reps):
        user = User.objects.create(username=f"bench-offer-rep-{i}")
        user.groups.add(rep_group)
        # Always at work, whatever the hour the benchmark runs at.
        hours = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        RepProfile.objects.create(user=user, team=team, working_hours=hours)
        reps.append(user)
    rule = RoutingRule.objects.create(
        name="Bench: shotgun",
        priority=1,
        conditions=[[{"field": "source", "op": "equals", "value": "bench-referral"}]],
        action=RoutingRule.Action.OFFER,
        offer_method=RoutingRule.OfferMethod.SHOTGUN,
        offer_seconds=600,  # open through the run: the sweep must not move them meanwhile
        team=team,
    )
    return team, reps, key, rule


def sessions_of(reps) -> list[str]:
    from django.conf import settings
    from django.test import Client

    cookies = []
    for rep in reps:
        client = Client()
        client.force_login(rep)
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    return cookies


class Sockets:
    """One websocket per rep, each with a thread noting when each frame arrived."""

    def __init__(self, port: int, cookies: list[str]):
        from websockets.sync.client import connect

        self.frames: list[list[tuple[float, str]]] = [[] for _ in cookies]
        self._sockets = [
            connect(
                f"ws://127.0.0.1:{port}/ws/live/",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": cookie},
                max_size=None,
            )
            for cookie in cookies
        ]
        for i, ws in enumerate(self._sockets):
            threading.Thread(target=self._listen, args=(i, ws), daemon=True).start()

    def _listen(self, i: int, ws) -> None:
        try:
            for message in ws:
                self.frames[i].append((time.perf_counter(), message))
        except Exception:  # closed at the end
            pass

    def arrivals(self, marker: str, since: float, timeout: float = 10.0) -> list[float | None]:
        """For each socket, the first frame after `since` containing `marker`: its delay."""
        deadline = time.perf_counter() + timeout
        found: list[float | None] = [None] * len(self.frames)
        while time.perf_counter() < deadline:
            for i, frames in enumerate(self.frames):
                if found[i] is None:
                    found[i] = next(
                        (t - since for t, text in frames if t >= since and marker in text), None
                    )
            if all(f is not None for f in found):
                break
            time.sleep(0.001)
        return found

    def close(self) -> None:
        for ws in self._sockets:
            ws.close()


def bench_delivery(port: int, reps, key: str, sockets: Sockets, n_leads: int) -> None:
    from leadroute.shared.live import broadcast, user_group
    from routing.models import Offer

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    offer_delays, bare_delays, missing = [], [], {"offer": 0, "bare": 0}
    for i in range(-2, n_leads):  # two unmeasured warm-up rounds
        # A bare group_send to the same groups: what delivering costs without an offer.
        marker = f"bench-bare-{i}-{time.time_ns()}"
        start = time.perf_counter()
        for rep in reps:
            broadcast(user_group(rep.pk), html=f"<p>{marker}</p>")
        got = sockets.arrivals(marker, start)
        if i >= 0:
            bare_delays += [d for d in got if d is not None]
            missing["bare"] += sum(d is None for d in got)
        # The real thing: a lead posted, routed by the worker, offered to everyone.
        body = json.dumps({"email": f"offer{i}-{time.time_ns()}@bench.test", "first_name": "B"})
        start = time.perf_counter()
        conn.request(
            "POST",
            "/api/leads",
            body=body,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        lead_id = json.loads(response.read())["id"]
        assert response.status == 201, response.status
        got = sockets.arrivals('id="offer-', start)
        offer = Offer.objects.filter(lead_id=lead_id).first()
        if offer is None or any(f'id="offer-{offer.pk}"' not in text for text in _last(sockets)):
            print(f"  (lead {lead_id}: no offer frame for every socket)")
        if i >= 0:
            offer_delays += [d for d in got if d is not None]
            missing["offer"] += sum(d is None for d in got)
        time.sleep(0.05)
    conn.close()
    n = len(reps)
    print(f"offer delivery, {n} reps online, {n_leads} leads one at a time:")
    print(f"  POST /api/leads → offer frame   {ms(offer_delays)}  {missing['offer']} missing")
    print(f"  bare group_send → frame         {ms(bare_delays)}  {missing['bare']} missing")
    p95 = percentile(offer_delays, 95) * 1000
    result(
        f"lead posted → offer frame at {n} reps, p95",
        p95,
        "ms",
        goal="< 250 ms",
        floor=percentile(bare_delays, 95) * 1000,
        met=p95 < 250 and not missing["offer"],
    )


def _last(sockets: Sockets) -> list[str]:
    return [frames[-1][1] if frames else "" for frames in sockets.frames]


def bench_accepts(team, reps, rule, rounds: int, hold_ms: float) -> None:
    from _procs import Workers
    from django.db import connection, transaction
    from django.utils import timezone

    from pools.lifecycle import LeadState
    from pools.models import Lead
    from routing.models import Offer
    from routing.offers.services import OfferError, offer_accept

    n = len(reps)

    def offers(count: int) -> list[int]:
        now = timezone.now()
        leads = Lead.objects.bulk_create(
            [
                Lead(
                    status=LeadState.OFFERED, email=f"acc{time.time_ns()}-{i}@bench.test", team=team
                )
                for i in range(count)
            ]
        )
        return [
            o.pk
            for o in Offer.objects.bulk_create(
                [
                    Offer(
                        lead=lead,
                        rule=rule,
                        method="shotgun",
                        recipient_ids=[r.pk for r in reps],
                        plan={"steps": [{"reps": [r.pk for r in reps], "seconds": 600}]},
                        sent_at=now,
                        expires_at=now + timedelta(seconds=600),
                    )
                    for lead in leads
                ]
            )
        ]

    accept_ids, floor_ids, held_ids = offers(rounds + 1), offers(rounds + 1), offers(rounds + 1)

    def accept(i, offer_id):
        start = time.perf_counter()
        try:
            won = offer_accept(offer_id=offer_id, user=reps[i]) is not None
        except OfferError:
            won = False
        return time.perf_counter() - start, won

    def bare(i, offer_id):
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(
                "UPDATE routing_offer SET state = 'accepted', winner_id = %s, closed_at = now()"
                " WHERE id = %s AND state = 'open'",
                [reps[i].pk, offer_id],
            )
            won = cursor.rowcount == 1
        return time.perf_counter() - start, won

    def held(i, offer_id):
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE routing_offer SET state = 'accepted', winner_id = %s, closed_at = now()"
                " WHERE id = %s AND state = 'open'",
                [reps[i].pk, offer_id],
            )
            won = cursor.rowcount == 1
            if won:
                cursor.execute("SELECT pg_sleep(%s)", [hold_ms / 1000])
        return time.perf_counter() - start, won

    workers = Workers(n, {"accept": accept, "bare": bare, "held": held})
    try:
        workers.run("accept", accept_ids[0])  # warm-up: imports, plans, Redis
        workers.run("bare", floor_ids[0])
        workers.run("held", held_ids[0])
        accepts, updates, winners, holds, bad = [], [], [], [], 0
        for r in range(1, rounds + 1):
            got = workers.run("accept", accept_ids[r])
            accepts += [t for t, _ in got]
            winners += [t for t, w in got if w]
            bad += sum(w for _, w in got) != 1
            got = workers.run("bare", floor_ids[r])
            updates += [t for t, _ in got]
            holds += [t for t, _ in workers.run("held", held_ids[r])]
    finally:
        workers.close()
    print(
        f"accepts, {n} processes at once on one offer, {rounds} rounds"
        f" ({bad} without exactly one winner):"
    )
    print(f"  offer_accept (every answer)     {ms(accepts)}")
    print(f"    the winners' answers          {ms(winners)}")
    print(f"  bare conditional UPDATE         {ms(updates)}")
    print(f"  {f'the same, row held {hold_ms:g} ms':32s}{ms(holds)}")
    ratio = percentile(accepts, 99) / percentile(updates, 99)
    print(
        f"  → p99 {ratio:.1f}× the bare UPDATE's"
        f" ({percentile(accepts, 99) / percentile(holds, 99):.1f}× the held one's)"
    )
    result(
        f"offer accept p99, {n} at once",
        percentile(accepts, 99) * 1000,
        "ms",
        goal="≤ 2× floor (bare UPDATE)",
        floor=percentile(updates, 99) * 1000,
        met=ratio <= 2 and not bad,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--leads", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", choices=("delivery", "accepts"), help="run one part")
    parser.add_argument(
        "--hold-ms", type=float, default=15, help="about one accept's transaction, uncontended"
    )
    args = parser.parse_args()
    env = bench_env()
    prepare_database(env)
    django_setup(env)
    team, reps, key, rule = setup(args.reps)
    print(f"{os.cpu_count()} CPUs")
    if args.only != "accepts":
        delivery(env, reps, key, args.leads)
    if args.only != "delivery":
        bench_accepts(team, reps, rule, args.rounds, args.hold_ms)


def delivery(env: dict, reps, key: str, n_leads: int) -> None:
    cookies = sessions_of(reps)
    port = free_port()
    server = start_server({**env, "DB_POOL_MAX_SIZE": "20"}, port)
    worker = start_worker(env)
    sockets = None
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        sockets = Sockets(port, cookies)
        time.sleep(1)  # every socket has said hello (presence) and joined its groups
        print("one uvicorn process, one Celery worker (solo)")
        bench_delivery(port, reps, key, sockets, n_leads)
    finally:
        if sockets is not None:
            sockets.close()
        for proc in (server, worker):
            proc.terminate()
            proc.wait(timeout=20)
        from leadroute.celery import app

        app.control.purge()


if __name__ == "__main__":
    main()
