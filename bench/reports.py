"""Report pages at scale — prints figures, asserts nothing.

    make bench ARGS="bench/reports.py [--leads 1000000] [--reps 50] [--loads 5]"

Uses its own database per size, `<DATABASE_URL's database>_reports_bench_<leads>` (other
benches drop and recreate `<name>_bench`; a year of leads takes minutes to generate, so
this one is kept).
Generation is resumable: leads go in chunks of 100,000, each chunk with its routing
decisions, claims, offers, answers, escalations and notifications in one transaction, so
a run stopped half-way resumes at the next chunk and a finished set is reused as is
(`--fresh` starts over).

The world: 5 teams of `--reps`/5 reps, one pool, two rules (round robin, weighted) and an
SLA policy each; 5 sources. Leads arrive evenly over the past year, in id order; leads
of the last two weeks are mostly still open (pooled, offered, assigned), older ones mostly
won or lost. A quarter of owned leads were claimed from a pool (wait: exponential, mean
30 min), 1 in 10 went through a live offer (60% accepted, the rest declined, expired or
withdrawn), 1 in 12 owned leads got an SLA reminder, 3% were reassigned untouched; every
lead has its arrival, routing and first-touch events, so the report's events (claims,
escalations) are a few in a hundred of the timeline, as in a live database.

Then every registered report page (reports.registry, so other families' pages count
too) is loaded `--loads` times through Django's test client as a manager of one team
(a fifth of the leads), for the last 30 and 90 days; the A/B page with two rules and
with two 90-day periods. Printed: p95 per page against the 2 s goal.
"""

from __future__ import annotations

import argparse
import sys
import time
from urllib.parse import urlparse

from _common import bench_env, django_setup, ensure_database, percentile
from _results import result

CHUNK = 100_000
GOAL_MS = 2000
TEAMS = 5
PREFIX = "Bench reports"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="drop the generated data first")
    args = parser.parse_args()
    env = bench_env()
    parsed = urlparse(env["DATABASE_URL"])
    # One database per size: `make bench`'s small run never reuses (or grows) the full one.
    env["DATABASE_URL"] = parsed._replace(
        path=parsed.path.removesuffix("_bench") + f"_reports_bench_{args.leads}"
    ).geturl()
    if args.fresh:
        _drop(env["DATABASE_URL"])
    ensure_database(env)
    django_setup(env)

    world = _world(reps=args.reps)
    started = time.monotonic()
    made = _generate(world, leads=args.leads)
    took = time.monotonic() - started
    if made:
        print(f"Generated {made:,} leads (and their rows) in {took:.0f} s", flush=True)
    else:
        print("Reusing the generated leads", flush=True)
    _measure(world, loads=args.loads)


def _drop(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')


def _world(*, reps: int) -> dict:
    """Teams, reps, managers, pools, sources, rules and SLA policies (kept between runs)."""
    from django.contrib.auth.models import Group

    from accounts.models import RepProfile, Team, User
    from accounts.roles import Role
    from pools.models import LeadSource, Pool
    from routing.models import RoutingRule, SlaPolicy, SlaStep

    rep_group = Group.objects.get_or_create(name=Role.REP.value)[0]
    manager_group = Group.objects.get_or_create(name=Role.MANAGER.value)[0]
    per_team = max(reps // TEAMS, 1)
    world = {"teams": [], "reps": [], "pools": [], "rules": [], "rule_names": [], "methods": []}
    world["policies"] = []
    for t in range(TEAMS):
        team, _ = Team.objects.get_or_create(name=f"{PREFIX} {t + 1}")
        world["teams"].append(team.pk)
        for i in range(per_team):
            user, created = User.objects.get_or_create(
                username=f"bench-reports-{t + 1}-{i}",
                defaults={"first_name": "Rep", "last_name": f"{t + 1}.{i}"},
            )
            if created:
                user.groups.add(rep_group)
                RepProfile.objects.create(user=user, team=team)
            world["reps"].append(user.pk)
        manager, created = User.objects.get_or_create(username=f"bench-reports-manager-{t + 1}")
        if created:
            manager.groups.add(manager_group)
            team.managers.add(manager)
        pool, _ = Pool.objects.get_or_create(
            slug=f"bench-reports-{t + 1}", defaults={"name": f"{PREFIX} pool {t + 1}", "team": team}
        )
        world["pools"].append(pool.pk)
        for method in (RoutingRule.Method.ROUND_ROBIN, RoutingRule.Method.WEIGHTED):
            rule, _ = RoutingRule.objects.get_or_create(
                name=f"{PREFIX} {t + 1} {method}",
                defaults={"team": team, "method": method, "priority": 1000 + t, "is_active": False},
            )
            world["rules"].append(rule.pk)
            world["rule_names"].append(rule.name)
            world["methods"].append(method.value)
        policy, created = SlaPolicy.objects.get_or_create(name=f"{PREFIX} SLA {t + 1}", team=team)
        if created:
            SlaStep.objects.create(policy=policy, after_minutes=15, action=SlaStep.Action.REMIND)
            SlaStep.objects.create(policy=policy, after_minutes=60, action=SlaStep.Action.REASSIGN)
        world["policies"].append(policy.pk)
    world["sources"] = [
        LeadSource.objects.get_or_create(
            slug=f"bench-reports-{name.lower()}", defaults={"name": f"{PREFIX} {name}"}
        )[0].pk
        for name in ("Web", "Ads", "Fair", "Referral", "Import")
    ]
    world["per_team"] = per_team
    world["manager"] = User.objects.get(username="bench-reports-manager-1")
    world["team"] = world["teams"][0]
    return world


# One chunk of leads: every random draw made once per lead (r1…r7) in `draws`, the
# state from the draw and the lead's age (the last two weeks are mostly still open).
_LEADS = """
WITH draws AS (
    SELECT g, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6,
           random() r7,
           -- Arrival follows the id, as leads arrive (a minute's jitter): the heap is in
           -- arrival order as in a live database, which a period's index scan relies on.
           now() - interval '365 days' * (1 - g::float / %(total)s)
               - random() * interval '1 min' AS created,
           1 + g %% 5 AS t
    FROM generate_series(%(first)s, %(last)s) g
), states AS (
    SELECT *, CASE WHEN created > now() - interval '14 days' THEN
        CASE WHEN r1 < .05 THEN 'rejected' WHEN r1 < .15 THEN 'pooled'
             WHEN r1 < .16 THEN 'offered' WHEN r1 < .19 THEN 'skimming'
             WHEN r1 < .49 THEN 'assigned' WHEN r1 < .74 THEN 'contacted'
             WHEN r1 < .84 THEN 'qualified' WHEN r1 < .90 THEN 'won' ELSE 'lost' END
    ELSE
        CASE WHEN r1 < .05 THEN 'rejected' WHEN r1 < .055 THEN 'skimming'
             WHEN r1 < .235 THEN 'won' WHEN r1 < .685 THEN 'lost'
             WHEN r1 < .765 THEN 'qualified' WHEN r1 < .885 THEN 'contacted'
             ELSE 'assigned' END
    END AS status
    FROM draws
), timed AS (
    SELECT *,
        status IN ('assigned', 'contacted', 'qualified', 'won', 'lost') AS owned,
        CASE WHEN status = 'pooled'
               OR (status IN ('assigned', 'contacted', 'qualified', 'won', 'lost') AND r2 < .25)
             THEN created + r4 * interval '300 s' END AS pooled_at
    FROM states
), placed AS (
    SELECT *,
        CASE WHEN owned AND pooled_at IS NOT NULL
               THEN pooled_at + (-ln(1 - r3) * 1800) * interval '1 s'
             WHEN owned THEN created + r3 * interval '120 s' END AS assigned_at
    FROM timed
), touched AS (
    SELECT *,
        CASE WHEN status IN ('contacted', 'qualified', 'won') OR (status = 'lost' AND r5 < .9)
               OR (status = 'assigned' AND r5 < .4)
             THEN assigned_at + (-ln(1 - r6) * 900) * interval '1 s' END AS first_touch_at
    FROM placed
)
INSERT INTO pools_lead (
    first_name, last_name, email, phone, company, title, industry, company_size, country,
    state, city, postal_code, language, product_interest, campaign, landing_page,
    external_id, score, score_breakdown, attributes, status, rejection_reason,
    review_reason, lost_reason, created_at, updated_at, escalation_step, reassignments,
    owner_id, pool_id, team_id, source_id, routed_at, pooled_at, assigned_at,
    first_touch_at, closed_at, won_value, is_test, routed_rule, routed_method, assigned_via,
    qualified_at)
SELECT 'Lead', g::text, 'lead' || g || '@bench.test', '', 'Company ' || (g %% 5000), '',
       '', '', (ARRAY['BR', 'PT', 'US', 'MX', 'ES'])[1 + (g / 5) %% 5], '', '', '', 'pt',
       '', '', '', '', (g::bigint * 7919) %% 101, '[]', '{}', status,
       CASE WHEN status = 'rejected' THEN 'Unqualified' ELSE '' END, '',
       CASE WHEN status = 'lost' THEN 'No budget' ELSE '' END, created, created, 0,
       CASE WHEN owned AND r7 < .03 THEN 1 ELSE 0 END,
       CASE WHEN owned THEN (%(reps)s::bigint[])[(t - 1) * %(per_team)s + 1
                                                 + floor(r6 * %(per_team)s)::int] END,
       CASE WHEN status = 'pooled' THEN (%(pools)s::bigint[])[t] END,
       (%(teams)s::bigint[])[t],
       (%(sources)s::bigint[])[1 + floor(r5 * r5 * 5)::int],
       CASE WHEN status <> 'rejected' THEN created + interval '2 s' END,
       pooled_at, assigned_at, first_touch_at,
       CASE WHEN status IN ('won', 'lost')
            THEN coalesce(first_touch_at, assigned_at) + r7 * interval '20 days' END,
       CASE WHEN status = 'won' THEN round((1000 + r7 * 9000)::numeric, 2) END,
       false,
       -- The lead's routing attribution: one of its team's two rules.
       CASE WHEN status <> 'rejected' THEN (%(rules)s::bigint[])[2 * (t - 1) + 1 + g %% 2] END,
       CASE WHEN status <> 'rejected' THEN (%(methods)s::text[])[2 * (t - 1) + 1 + g %% 2]
            ELSE '' END,
       CASE WHEN owned AND pooled_at IS NOT NULL THEN 'pool' WHEN owned THEN 'push' ELSE '' END,
       CASE WHEN status IN ('qualified', 'won') THEN first_touch_at + r7 * interval '5 days' END
FROM touched
"""

# Rows that hang off the chunk's leads (ids above %(after)s). `t` is the lead's team's
# position in the arrays, as above.
_DEPENDENTS = [
    # The routing decision that placed each routed lead: one of its team's two rules.
    """
    INSERT INTO routing_routingdecision
        (lead_id, rule_id, rule_name, method, outcome, reason, details, duration_ms, created_at)
    SELECT l.id, l.routed_rule,
           (%(rule_names)s::text[])[array_position(%(rules)s::bigint[], l.routed_rule::bigint)],
           l.routed_method,
           CASE WHEN l.status = 'pooled' OR l.pooled_at IS NOT NULL THEN 'pooled'
                WHEN l.status = 'offered' THEN 'offered'
                WHEN l.status = 'skimming' THEN 'skimming' ELSE 'assigned' END,
           'bench', '{}', 1, l.created_at + interval '1 s'
    FROM pools_lead l
    WHERE l.id > %(after)s AND l.status <> 'rejected'
    """,
    # The timeline's bulk, as a live database has it (the events the reports look for are
    # a few in a hundred): arrival, routing and first touch of each lead.
    """
    INSERT INTO pools_leadevent (lead_id, kind, from_state, to_state, reason, data, created_at)
    SELECT l.id, e.kind, '', '', '', '{}', e.at
    FROM pools_lead l
    CROSS JOIN LATERAL (VALUES ('created', l.created_at), ('routed', l.routed_at),
                               ('touch', l.first_touch_at)) AS e(kind, at)
    WHERE l.id > %(after)s AND e.at IS NOT NULL
    """,
    # The claim of each owned lead that came from a pool.
    """
    INSERT INTO pools_leadevent
        (lead_id, kind, from_state, to_state, actor_id, owner_id, reason, data, created_at)
    SELECT l.id, 'claimed', 'pooled', 'assigned', l.owner_id, l.owner_id, 'bench',
           jsonb_build_object('pool', (%(pools)s::bigint[])[array_position(%(teams)s::bigint[],
                                                                           l.team_id)]),
           l.assigned_at
    FROM pools_lead l
    WHERE l.id > %(after)s AND l.owner_id IS NOT NULL AND l.pooled_at IS NOT NULL
    """,
    # Offers: every offered lead's open one, and 1 in 10 other routed leads' closed one.
    """
    INSERT INTO routing_offer
        (lead_id, series, method, step, label, recipient_ids, plan, sent_at, expires_at,
         state, winner_id, closed_at, close_reason)
    SELECT o.id, gen_random_uuid(), o.method, 0, '', o.recipients, '{}', o.sent,
           o.sent + interval '2 min', o.state,
           CASE WHEN o.state = 'accepted' THEN o.recipients[1] END,
           CASE o.state WHEN 'open' THEN NULL
                WHEN 'accepted' THEN o.sent + (-ln(1 - random()) * 40) * interval '1 s'
                WHEN 'expired' THEN o.sent + interval '2 min'
                WHEN 'declined' THEN o.sent + interval '30 s'
                ELSE o.sent + interval '1 min' END,
           ''
    FROM (
        SELECT l.id, l.created_at + interval '5 s' AS sent,
               (ARRAY['shotgun', 'sequential', 'cascade', 'shark_tank', 'waves'])[1 + l.id %% 5]
                   AS method,
               ARRAY[coalesce(l.owner_id, r.base[1 + l.id %% r.n]),
                     r.base[1 + (l.id + 3) %% r.n], r.base[1 + (l.id + 7) %% r.n]] AS recipients,
               CASE WHEN l.status = 'offered' THEN 'open'
                    WHEN (l.id / 10) %% 10 < 6 THEN 'accepted'
                    WHEN (l.id / 10) %% 10 = 6 THEN 'declined'
                    WHEN (l.id / 10) %% 10 < 9 THEN 'expired' ELSE 'withdrawn' END AS state
        FROM pools_lead l
        CROSS JOIN LATERAL (
            SELECT (%(reps)s::bigint[])[
                       (array_position(%(teams)s::bigint[], l.team_id) - 1) * %(per_team)s + 1 :
                       array_position(%(teams)s::bigint[], l.team_id) * %(per_team)s] AS base,
                   %(per_team)s AS n
        ) r
        WHERE l.id > %(after)s AND l.status <> 'rejected'
          AND (l.status = 'offered' OR l.id %% 10 = 3)
    ) o
    """,
    # Answers: the winner's accept, every recipient's decline of a declined offer.
    """
    INSERT INTO routing_offerresponse (offer_id, rep_id, response, responded_at, reason)
    SELECT o.id, o.winner_id, 'accepted', o.closed_at, '' FROM routing_offer o
    JOIN pools_lead l ON l.id = o.lead_id
    WHERE l.id > %(after)s AND o.state = 'accepted'
    UNION ALL
    SELECT DISTINCT o.id, r.rep, 'declined', o.closed_at, 'Busy' FROM routing_offer o
    JOIN pools_lead l ON l.id = o.lead_id
    CROSS JOIN LATERAL unnest(o.recipient_ids) AS r(rep)
    WHERE l.id > %(after)s AND o.state = 'declined'
    """,
    # SLA: a reminder for 1 in 12 owned leads (and a manager alert for half of them), and
    # the reminded rep's notification; a "taken away" notice for each reassigned lead.
    """
    INSERT INTO pools_leadevent (lead_id, kind, from_state, to_state, reason, data, created_at)
    SELECT l.id, 'escalated', '', '', 'Reminder (bench)',
           jsonb_build_object('policy', (%(policies)s::bigint[])[array_position(
               %(teams)s::bigint[], l.team_id)], 'step', s.step, 'action', s.action),
           l.assigned_at + s.after
    FROM pools_lead l
    CROSS JOIN (VALUES (0, 'remind', interval '15 min'),
                       (1, 'notify_manager', interval '60 min')) AS s(step, action, after)
    WHERE l.id > %(after)s AND l.owner_id IS NOT NULL AND l.id %% 12 = 5
      AND (s.step = 0 OR l.id %% 24 = 5)
    """,
    """
    INSERT INTO routing_notification (user_id, kind, lead_id, text, created_at)
    SELECT l.owner_id, 'reminder', l.id, 'A lead waits (bench)', l.assigned_at + interval '15 min'
    FROM pools_lead l
    WHERE l.id > %(after)s AND l.owner_id IS NOT NULL AND l.id %% 12 = 5
    UNION ALL
    SELECT (%(reps)s::bigint[])[(array_position(%(teams)s::bigint[], l.team_id) - 1)
                                * %(per_team)s + 1 + l.id %% %(per_team)s],
           'reassigned_away', l.id, 'A lead was taken (bench)', l.assigned_at
    FROM pools_lead l
    WHERE l.id > %(after)s AND l.reassignments > 0
    """,
]


def _generate(world: dict, *, leads: int) -> int:
    """Chunks of leads until the bench's teams hold `leads`; returns how many were made."""
    from django.db import connection, transaction

    from pools.models import Lead

    have = Lead.objects.filter(team_id__in=world["teams"]).count()
    params = {k: world[k] for k in ("teams", "reps", "pools", "sources", "rules", "policies")}
    params |= {
        "rule_names": world["rule_names"],
        "methods": world["methods"],
        "per_team": world["per_team"],
    }
    made = 0
    while have < leads:
        size = min(CHUNK, leads - have)
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM pools_lead")
            after = cursor.fetchone()[0]
            cursor.execute(
                _LEADS, params | {"first": have + 1, "last": have + size, "total": leads}
            )
            for sql in _DEPENDENTS:
                cursor.execute(sql, params | {"after": after})
        have += size
        made += size
        print(f"  {have:,} leads ({time.monotonic() - started:.0f} s)", flush=True)
    if made:
        # As autovacuum keeps a live table: statistics, and the visibility map that lets
        # an index-only scan skip the heap.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return made


def _variants(page_key: str, world: dict) -> list[tuple[str, dict]]:
    """The queries each page is loaded with (the A/B page needs its arms)."""
    from datetime import timedelta

    from django.utils import timezone

    if page_key != "ab":
        return [("30 days", {}), ("90 days", {"period": "90d"})]
    today = timezone.localdate()
    rule_a, rule_b = world["rules"][:2]
    return [
        ("two rules, 30 days", {"compare": "rules", "rule_a": rule_a, "rule_b": rule_b}),
        (
            "two 90-day periods",
            {
                "compare": "periods",
                "a_start": (today - timedelta(days=179)).isoformat(),
                "a_end": (today - timedelta(days=90)).isoformat(),
                "b_start": (today - timedelta(days=89)).isoformat(),
                "b_end": today.isoformat(),
            },
        ),
    ]


def _measure(world: dict, *, loads: int) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from pools.models import Lead
    from reports import urls  # noqa: F401 — importing the families registers their pages
    from reports.registry import report_pages

    client = Client()
    client.force_login(world["manager"])
    team_leads = Lead.objects.filter(team_id=world["team"]).count()
    print(
        f"\nReport pages as the manager of one team ({team_leads:,} of the bench's leads), "
        f"{loads} loads each, goal p95 < {GOAL_MS / 1000:.0f} s"
    )
    print(f"  {'page':<34} {'p50':>8} {'p95':>8} {'queries':>8}")
    worst = 0.0
    for page in report_pages():
        url = reverse(f"reports:{page.key}")
        for label, query in _variants(page.key, world):
            times = []
            for _ in range(loads):
                reset_queries()
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(url, query)
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    sys.exit(f"{url} {query}: HTTP {response.status_code}")
            p50, p95 = percentile(times, 50), percentile(times, 95)
            worst = max(worst, p95)
            name = f"{page.key} ({label})"
            flag = "" if p95 < GOAL_MS else "  ← over the goal"
            print(
                f"  {name:<34} {p50:>6.0f}ms {p95:>6.0f}ms {len(ctx.captured_queries):>8}{flag}",
                flush=True,
            )
            result(
                f"{name} p95, {team_leads:,} team leads",
                p95,
                "ms",
                goal=f"< {GOAL_MS} ms",
                met=p95 < GOAL_MS,
            )
    print(f"\nWorst p95: {worst:.0f} ms (goal < {GOAL_MS} ms)")


if __name__ == "__main__":
    main()
