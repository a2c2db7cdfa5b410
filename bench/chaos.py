"""Chaos run: the whole stack takes leads through mixed rules while processes die.

    make bench ARGS="bench/chaos.py [--leads 2000] [--reps 8] [--clients 6]"

Two uvicorn processes, two Celery workers (solo) and beat, on PostgreSQL (the benchmark
database, see bench/_common.py) and on a Redis server of the run's own, started here on a
free port so it can be restarted without touching anyone else's. Lead sources feed three
rules: push (round robin to the team), pool, and a live shotgun offer (falling back to the
pool). Client threads post the leads through both web processes (a refused connection is
retried on the other, with the same e-mail: intake dedupes it); each rep claims from the
pool and accepts the offers made to them through the API, and keeps every answer.

Mid-stream the script kills worker 1 with SIGKILL (and starts it again) at a quarter of
the leads, restarts Redis (losing the queued tasks and presence: the beat's sweep must
re-publish the lost drains and expiries) at half, and kills and restarts web process 2 at
three quarters. Then it waits for the leads to drain and checks:

- every lead posted exists exactly once (none lost, none doubled by a retry);
- each is in exactly one place: pooled in a pool with no owner, or owned and in no pool;
  none left new, screened or under an open offer;
- each was routed once (one transition out of `screened`) and had at most one owner;
- every 200 a rep got for a claim or an accept names a lead that rep owns now, no lead was
  won twice, and every refused accept is an offer the rep did not win.

It prints the figures and exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from _common import ROOT, bench_env, django_setup, free_port, prepare_database

CSRF = "c" * 32  # any 32 characters: Django compares the cookie with the header


class Stack:
    """The processes of the run, each (re)started by role."""

    def __init__(self, env: dict[str, str], ports: dict[str, int], workdir: str):
        self.env, self.ports, self.workdir = env, ports, workdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.kills = self.restarts = 0

    def _command(self, role: str) -> list[str]:
        if role == "redis":
            return [
                "redis-server",
                "--port",
                str(self.ports["redis"]),
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ]
        if role.startswith("web"):
            return [
                sys.executable,
                "-m",
                "uvicorn",
                "leadroute.asgi:application",
                "--port",
                str(self.ports[role]),
                "--no-access-log",
                "--log-level",
                "error",
            ]
        if role.startswith("worker"):
            return [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "leadroute",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "ERROR",
                "-n",
                f"{role}@chaos",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ]
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "leadroute",
            "beat",
            "--loglevel",
            "ERROR",
            "--schedule",
            str(Path(self.workdir) / "beat-schedule"),
        ]

    def start(self, role: str) -> None:
        self.procs[role] = subprocess.Popen(
            self._command(role),
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(self.workdir) / f"{role}.log", "a"),
        )
        if role == "redis" or role.startswith("web"):
            _wait_port(self.ports[role])

    def kill(self, role: str, sig=signal.SIGKILL) -> None:
        proc = self.procs[role]
        proc.send_signal(sig)
        proc.wait(timeout=30)
        self.kills += 1

    def restart(self, role: str, sig=signal.SIGKILL, pause: float = 1.0) -> None:
        self.kill(role, sig)
        time.sleep(pause)
        self.start(role)
        self.restarts += 1

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_port(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


def _post(port: int, path: str, body: dict, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}


def setup(n_reps: int):
    from django.contrib.auth.models import Group
    from django.test import Client

    from accounts.models import RepProfile, Team, User
    from pools.capture.apikeys import apikey_create
    from pools.models import LeadSource, Pool
    from routing.models import RoutingRule

    team = Team.objects.create(name="Chaos")
    pool = Pool.objects.create(name="Chaos pool", slug="chaos", team=team, claim_cooldown_hours=0)
    rep_group = Group.objects.get_or_create(name="rep")[0]
    hours = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    reps, cookies = [], []
    for i in range(n_reps):
        user = User.objects.create(username=f"chaos-rep-{i}")
        user.groups.add(rep_group)
        RepProfile.objects.create(user=user, team=team, working_hours=hours)
        client = Client()
        client.force_login(user)
        reps.append(user)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}")
    keys = {}
    for priority, (kind, fields) in enumerate(
        [
            (
                "push",
                {"action": RoutingRule.Action.ASSIGN, "method": RoutingRule.Method.ROUND_ROBIN},
            ),
            ("pool", {"action": RoutingRule.Action.POOL, "pool": pool}),
            (
                "offer",
                {
                    "action": RoutingRule.Action.OFFER,
                    "offer_method": RoutingRule.OfferMethod.SHOTGUN,
                    "offer_seconds": 8,
                    "fallback": RoutingRule.Fallback.POOL,
                    "fallback_pool": pool,
                },
            ),
        ],
        start=1,
    ):
        source = LeadSource.objects.create(name=f"Chaos {kind}", slug=f"chaos-{kind}", team=team)
        RoutingRule.objects.create(
            name=f"Chaos: {kind}",
            priority=priority,
            team=team,
            conditions=[[{"field": "source", "op": "equals", "value": source.slug}]],
            **fields,
        )
        keys[kind] = apikey_create(source=source)[1]
    return pool, reps, cookies, keys


def run(args) -> bool:
    env = bench_env()
    workdir = tempfile.mkdtemp(prefix="chaos-")
    ports = {"redis": free_port(), "web1": free_port(), "web2": free_port()}
    env.update(
        REDIS_URL=f"redis://127.0.0.1:{ports['redis']}/0",
        API_RATE_LIMIT_PER_MINUTE="1000000",
        # Lost drains and expiries are found by the sweep: every few seconds here.
        SWEEP_INTERVAL_SECONDS="3",
        INTAKE_SWEEP_GRACE_SECONDS="3",
    )
    stack = Stack(env, ports, workdir)
    stack.start("redis")
    prepare_database(env)
    django_setup(env)
    from django.utils import timezone

    from pools.lifecycle import LeadState
    from pools.models import Lead, LeadEvent
    from routing.live.presence import presence_seen
    from routing.models import Offer

    pool, reps, cookies, keys = setup(args.reps)
    for role in ("web1", "web2", "worker1", "worker2", "beat"):
        stack.start(role)

    kinds = ("push", "pool", "offer")
    posted: dict[str, int] = {}  # e-mail → the status of its last attempt
    retries = Counter()
    lock = threading.Lock()
    counter = iter(range(args.leads))
    done = threading.Event()
    claims: list[tuple[int, int]] = []  # (rep id, lead id) for every 200
    accepts: list[tuple[int, int, int]] = []  # (rep id, offer id, lead id) for every 200
    refused_accepts: list[tuple[int, int]] = []
    answers = Counter()

    def poster(n: int) -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            kind, email = kinds[i % 3], f"chaos-{i}@example.com"
            body = {"first_name": "Chaos", "last_name": str(i), "email": email, "country": "BR"}
            for attempt in range(60):
                port = ports["web1" if (i + attempt) % 2 == 0 else "web2"]
                try:
                    status, _ = _post(
                        port, "/api/leads", body, {"Authorization": f"Bearer {keys[kind]}"}
                    )
                except OSError:
                    status = 0
                if status in (200, 201):
                    break
                with lock:
                    retries[status] += 1
                time.sleep(0.3)
            with lock:
                posted[email] = status

    def rep_client(k: int) -> None:
        rep, headers = reps[k], {"Cookie": cookies[k], "X-CSRFToken": CSRF}
        while not done.is_set():
            port = ports["web1" if k % 2 == 0 else "web2"]
            try:
                status, body = _post(port, f"/api/pool/{pool.pk}/claim", {}, headers)
                with lock:
                    answers[f"claim {status} {body.get('code', '')}".rstrip()] += 1
                    if status == 200:
                        claims.append((rep.pk, body["lead_id"]))
                for offer_id in Offer.objects.filter(
                    state=Offer.State.OPEN,
                    recipient_ids__contains=[rep.pk],
                    expires_at__gt=timezone.now(),  # as the rep's card shows it
                ).values_list("pk", flat=True)[:3]:
                    status, body = _post(port, f"/api/offers/{offer_id}/accept", {}, headers)
                    with lock:
                        answers[f"accept {status} {body.get('code', '')}".rstrip()] += 1
                        if status == 200:
                            accepts.append((rep.pk, offer_id, body["lead_id"]))
                        elif status in (403, 409):
                            refused_accepts.append((rep.pk, offer_id))
            except OSError:
                with lock:
                    answers["connection refused"] += 1
            time.sleep(0.2)

    def presence() -> None:
        # The reps' pages beat (no browser here): a restarted Redis forgets them, and the
        # next beat brings them back.
        while not done.is_set():
            for rep in reps:
                try:
                    presence_seen(user_id=rep.pk, connection=f"chaos-{rep.pk}")
                except Exception:
                    pass
            time.sleep(2)

    threads = [threading.Thread(target=poster, args=(n,)) for n in range(args.clients)]
    threads += [threading.Thread(target=rep_client, args=(k,)) for k in range(len(reps))]
    threads.append(threading.Thread(target=presence))
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        for fraction, action in (
            (0.25, lambda: stack.restart("worker1")),
            (0.50, lambda: stack.restart("redis", signal.SIGTERM, pause=2.0)),
            (0.75, lambda: stack.restart("web2")),
        ):
            while len(posted) < fraction * args.leads and any(
                t.is_alive() for t in threads[: args.clients]
            ):
                time.sleep(0.05)
            action()
        for thread in threads[: args.clients]:
            thread.join()
        posted_at = time.monotonic()
        deadline = posted_at + args.drain_timeout
        waiting = (LeadState.NEW, LeadState.SCREENED, LeadState.OFFERED)
        while (
            Lead.objects.filter(status__in=waiting).exists()
            or Offer.objects.filter(state=Offer.State.OPEN).exists()
        ):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        drained = time.monotonic() - posted_at
        time.sleep(1)  # the reps' last answers
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
        stack.stop_all()

    # --- The checks ---------------------------------------------------------------------
    problems: list[str] = []
    emails = [f"chaos-{i}@example.com" for i in range(args.leads)]
    counts = Counter(Lead.objects.filter(email__in=emails).values_list("email", flat=True))
    lost = [e for e in emails if counts[e] == 0]
    doubled = [e for e in emails if counts[e] > 1]
    unanswered = [e for e in emails if posted.get(e) not in (200, 201)]
    if lost:
        problems.append(f"{len(lost)} leads lost, e.g. {lost[:3]}")
    if doubled:
        problems.append(f"{len(doubled)} leads stored twice, e.g. {doubled[:3]}")
    if unanswered:
        problems.append(f"{len(unanswered)} leads never accepted by intake, e.g. {unanswered[:3]}")
    leads = Lead.objects.filter(email__in=emails)
    states = Counter(leads.values_list("status", flat=True))
    misplaced = (
        leads.exclude(status=LeadState.POOLED, pool__isnull=False, owner__isnull=True)
        .exclude(status=LeadState.ASSIGNED, pool__isnull=True, owner__isnull=False)
        .exclude(status=LeadState.REJECTED, pool__isnull=True, owner__isnull=True)
    )
    if misplaced.exists():
        problems.append(
            f"{misplaced.count()} leads not in exactly one place: "
            f"{list(misplaced.values_list('pk', 'status', 'pool_id', 'owner_id')[:5])}"
        )
    routed = Counter(
        LeadEvent.objects.filter(lead__in=leads, from_state=LeadState.SCREENED).values_list(
            "lead_id", flat=True
        )
    )
    twice = [lead for lead, n in routed.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} leads routed twice, e.g. {twice[:5]}")
    owners = {}
    for lead_id, owner_id in LeadEvent.objects.filter(
        lead__in=leads, owner__isnull=False
    ).values_list("lead_id", "owner_id"):
        owners.setdefault(lead_id, set()).add(owner_id)
    two_owners = [lead for lead, who in owners.items() if len(who) > 1]
    if two_owners:
        problems.append(f"{len(two_owners)} leads with two owners, e.g. {two_owners[:5]}")
    owner_now = dict(leads.values_list("pk", "owner_id"))
    won = Counter(lead for _, lead in claims) + Counter(lead for _, _, lead in accepts)
    if won_twice := [lead for lead, n in won.items() if n > 1]:
        problems.append(f"{len(won_twice)} leads won twice by clients, e.g. {won_twice[:5]}")
    wrong = [(rep, lead) for rep, lead in claims if owner_now.get(lead) != rep]
    wrong += [(rep, lead) for rep, _, lead in accepts if owner_now.get(lead) != rep]
    if wrong:
        problems.append(f"{len(wrong)} claim/accept answers the database contradicts: {wrong[:5]}")
    winners = dict(Offer.objects.values_list("pk", "winner_id"))
    contradicted = [(rep, offer) for rep, offer in refused_accepts if winners.get(offer) == rep]
    if contradicted:
        problems.append(f"{len(contradicted)} refused accepts that the rep won: {contradicted[:5]}")

    print(f"leads           {args.leads} posted by {args.clients} clients through 2 web processes")
    print(f"where they are  {dict(states)}")
    print(
        f"client answers  claims {len(claims)} won, accepts {len(accepts)} won, "
        f"{len(refused_accepts)} accepts refused; {dict(answers)}"
    )
    print(f"intake retries  {dict(retries)} (0 = connection refused)")
    print(
        f"chaos           {stack.kills} kills, {stack.restarts} restarts "
        "(worker 1 SIGKILL, Redis, web 2 SIGKILL)"
    )
    print(
        f"time            posting {posted_at - started:.1f} s, drained {drained:.1f} s "
        "after the last post"
    )
    for problem in problems:
        print(f"FAILED          {problem}")
    print("OK" if not problems else f"{len(problems)} checks failed (logs in {workdir})")
    return not problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--drain-timeout", type=float, default=300)
    args = parser.parse_args()
    sys.exit(0 if run(args) else 1)


if __name__ == "__main__":
    main()
