"""Everything routing reads and writes per batch of leads, in one round trip each way.

Routing runs this for every batch (a single lead is a batch of one), so it is
hand-written SQL: the rules' rosters, the reps' profiles with effective caps, and grouped
reads of intake counters, open/untouched leads, out-of-office and previous ownership. The
statements travel together (leadroute.shared.sql.run_batch: one round trip, each statement
planned on its own — one big join took longer to plan than to run). The ORM equivalent
compiled several times slower than the SQL ran.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from django.db import connection
from django.utils import timezone

from accounts.models import OutOfOffice, RepProfile, Team, Territory, User
from accounts.periods import local_day_index, periods_anywhere
from leadroute.shared.sql import placeholders as _in
from leadroute.shared.sql import run_batch
from pools.lifecycle import OPEN_OWNED_STATES, LeadState
from pools.models import Lead, LeadEvent, LeadSource

from ..models import RepIntake, RoutingDecision, RoutingRule, RuleRotation, RuleSet

CAP_COLUMNS = ("max_per_day", "max_per_week", "max_per_month", "max_open_untouched")
JSON_COLUMNS = ("working_hours", "languages", "industries", "company_sizes", "products")
PROFILE_COLUMNS = (
    "user_id",
    "username",
    "first_name",
    "last_name",
    "is_active",
    "team_id",
    "availability",
    "time_zone",
    "seniority",
    "weight",
    *JSON_COLUMNS,
    *CAP_COLUMNS,
)


def _json(value):
    # Django has psycopg load jsonb as text (JSONField decodes it); raw reads do the same.
    return json.loads(value) if isinstance(value, str) else value


def lead_context(
    *, source_ids: list[int], lock: bool = False
) -> tuple[tuple, list[dict], dict[int, str]]:
    """Before matching, in one round trip: the rules' version (see routing.rules.cache), every
    territory, and the slugs of the leads' sources.

    With `lock` (a batch that writes), first the live set's row FOR SHARE, held until the
    caller's transaction ends: a switch of the live rules (routing.simulator.promote) waits
    for the batch, and the rules the batch reads after this are the locked set's, so every
    lead of it is routed wholly by one set."""
    rules, sets = RoutingRule._meta.db_table, RuleSet._meta.db_table
    # The live set's id too: promoting a draft changes which rules are live without
    # touching a rule row.
    version_sql = (
        f"SELECT COUNT(*), MAX(updated_at), MAX(id), "
        f"(SELECT MAX(id) FROM {sets} WHERE state = %s) FROM {rules}"
    )
    territories_sql = (
        f"SELECT id, countries, states, postal_prefixes, area_codes FROM {Territory._meta.db_table}"
    )
    ids = sorted(set(source_ids)) or [-1]
    source_sql = f"SELECT id, slug FROM {LeadSource._meta.db_table} WHERE id IN ({_in(ids)})"
    live = RuleSet.State.LIVE.value
    statements = [(version_sql, [live]), (territories_sql, []), (source_sql, ids)]
    if lock:
        statements.insert(0, (f"SELECT id FROM {sets} WHERE state = %s FOR SHARE", [live]))
    results = run_batch(statements)
    locked = results.pop(0) if lock else None
    version, territories, sources = results
    if lock and not locked and version[0][3] is not None:
        # We queued behind a switch: the row we waited for is a version now, and the lock
        # statement's snapshot predates the new live row. Ask again (a new snapshot). No
        # live set at all (a fresh database): nothing to lock, no rule to read.
        return lead_context(source_ids=source_ids, lock=lock)
    rows = [
        {
            "id": t[0],
            "countries": _json(t[1]),
            "states": _json(t[2]),
            "postal_prefixes": _json(t[3]),
            "area_codes": _json(t[4]),
        }
        for t in territories
    ]
    return tuple(version[0]), rows, dict(sources)


def roster_sql(*, rule: RoutingRule, territory_ids: list[int]) -> tuple[str, list]:
    """SQL selecting the user ids of the rule's target reps, and its parameters."""
    profiles = RepProfile._meta.db_table
    if rule.assign_method == RoutingRule.Method.DIRECT:
        return f"SELECT user_id FROM {profiles} WHERE user_id = %s", [rule.direct_rep_id or -1]
    if rule.target == RoutingRule.Target.REPS:
        through = RoutingRule.reps.through._meta.db_table
        return f"SELECT user_id FROM {through} WHERE routingrule_id = %s", [rule.pk]
    if rule.target == RoutingRule.Target.TERRITORY:
        links = RepProfile.territories.through._meta.db_table
        ids = territory_ids or [-1]
        sql = (
            f"SELECT rp.user_id FROM {profiles} rp JOIN {links} rt ON rt.repprofile_id = rp.id "
            f"WHERE rt.territory_id IN ({_in(ids)})"
        )
        params = list(ids)
        if rule.team_id:
            sql += " AND rp.team_id = %s"
            params.append(rule.team_id)
        return sql, params
    return f"SELECT user_id FROM {profiles} WHERE team_id = %s", [rule.team_id or -1]


def _profiles_sql(where: str) -> str:
    # Effective caps: the rep's own value, else the team's (RepProfile.effective_cap).
    caps = ", ".join(f"COALESCE(p.{c}, t.{c})" for c in CAP_COLUMNS)
    return f"""SELECT p.user_id, u.username, u.first_name, u.last_name, u.is_active,
               p.team_id, p.availability, p.time_zone, p.seniority, p.weight,
               {", ".join(f"p.{c}" for c in JSON_COLUMNS)}, {caps}
        FROM {RepProfile._meta.db_table} p
        JOIN {User._meta.db_table} u ON u.id = p.user_id
        LEFT JOIN {Team._meta.db_table} t ON t.id = p.team_id
        WHERE {where} ORDER BY p.user_id"""


def _counts_statements(r_sql: str, r_params: list, *, now: datetime) -> list[tuple[str, list]]:
    d = connection.ops.adapt_datefield_value
    open_states = sorted(OPEN_OWNED_STATES)
    # A rep's day, week and month are their own time zone's, and this statement cannot
    # know the zone (it is read beside it): so a rep's leads today, this week and this
    # month for each date it can be somewhere now; `_intake_counts` keeps the rep's own.
    # One row per rep, whatever the rows of the month.
    anywhere = periods_anywhere(now)
    sums, params = [], []
    for today, week, month in anywhere:
        sums.append("SUM(CASE WHEN day = %s THEN count ELSE 0 END)")
        sums += ["SUM(CASE WHEN day >= %s AND day <= %s THEN count ELSE 0 END)"] * 2
        params += [d(today), d(week), d(today), d(month), d(today)]
    since = min(min(week, month) for _, week, month in anywhere)
    intake = (
        f"""SELECT user_id, {", ".join(sums)}, MAX(last_at)
            FROM {RepIntake._meta.db_table}
            WHERE user_id IN ({r_sql}) AND day >= %s GROUP BY user_id""",
        [*params, *r_params, d(since)],
    )
    leads = (
        f"""SELECT owner_id, COUNT(*),
                   SUM(CASE WHEN status = %s AND first_touch_at IS NULL THEN 1 ELSE 0 END)
            FROM {Lead._meta.db_table}
            WHERE owner_id IN ({r_sql}) AND status IN ({_in(open_states)})
            GROUP BY owner_id""",
        [LeadState.ASSIGNED, *r_params, *open_states],
    )
    return [intake, leads]


def db_datetime(value) -> datetime | None:
    """A timestamp read by raw SQL, always aware: compared with an aware `now`, a naive
    value raised TypeError in the strategies' tie-breaks."""
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _intake_counts(row: tuple | None, *, zone: str, now: datetime) -> dict:
    """A rep's `_counts_statements` row as their leads today, this week and this month,
    in their own time zone, the time of the last one, and which day today is for them."""
    index = local_day_index(now, zone)
    day = periods_anywhere(now)[index][0]
    if row is None:
        return {"day": day, "today": 0, "week": 0, "month": 0, "last": None}
    today, week, month = (int(n or 0) for n in row[1 + 3 * index : 4 + 3 * index])
    return {"day": day, "today": today, "week": week, "month": month, "last": db_datetime(row[-1])}


def book_facts(
    *,
    rosters: dict[int, tuple[str, list]],
    stateful: list[int],
    counting: list[int],
    lead_ids: list[int],
    now: datetime,
    lock: bool,
) -> dict:
    """Everything routing needs about the reps of several rules, in ONE round trip.

    `rosters`: rule id -> roster SQL (roster_sql); `stateful`: rule ids whose rotation
    state is wanted; `counting`: rule ids whose every rep is locked (book.picks_by_counts).
    With `lock`, in this order: the rotation rows (by rule id), then the profile rows of
    the reps with any cap or in a counting rule (by id); every count is read after those locks
    are granted (each statement takes its own snapshot), so it includes every lead counted
    by whoever held them before. Returns rotations (rule id -> state), roster (rule id ->
    user ids), reps (one dict per rep, by user id) and previous (lead id -> former owners).
    """
    users_sql = " UNION ".join(sql for sql, _ in rosters.values()) or "SELECT -1"
    users_params = [p for _, params in rosters.values() for p in params]
    statements = []
    rotation_table = RuleRotation._meta.db_table
    if stateful and lock:
        # A rule saved without its rotation row gets one here, before it is locked.
        at = connection.ops.adapt_datetimefield_value(now)
        statements.append(
            (
                f"INSERT INTO {rotation_table} (rule_id, state, updated_at) VALUES "
                + ", ".join(["(%s, '{}', %s)"] * len(stateful))
                + " ON CONFLICT (rule_id) DO NOTHING",
                [p for rule_id in sorted(stateful) for p in (rule_id, at)],
            )
        )
    ids = sorted(stateful) or [-1]
    first_read = len(statements)
    statements.append(
        (
            f"SELECT rule_id, state FROM {rotation_table} "
            f"WHERE rule_id IN ({_in(ids)}) ORDER BY rule_id" + (" FOR UPDATE" if lock else ""),
            ids,
        )
    )
    if lock:
        capped = " OR ".join(f"COALESCE(p.{c}, t.{c}) IS NOT NULL" for c in CAP_COLUMNS)
        counted = [rosters[rule_id] for rule_id in sorted(counting)]
        if counted:
            capped += " OR p.user_id IN (" + " UNION ".join(sql for sql, _ in counted) + ")"
        statements.append(
            (
                f"SELECT p.id FROM {RepProfile._meta.db_table} p "
                f"LEFT JOIN {Team._meta.db_table} t ON t.id = p.team_id "
                f"WHERE p.user_id IN ({users_sql}) AND ({capped}) ORDER BY p.id FOR UPDATE OF p",
                [*users_params, *(p for _, params in counted for p in params)],
            )
        )
    statements.append(
        (
            " UNION ALL ".join(
                f"SELECT {int(rule_id)}, r.user_id FROM ({sql}) r"
                for rule_id, (sql, _) in sorted(rosters.items())
            )
            or "SELECT -1, -1 WHERE 1 = 0",
            [p for _, (_, params) in sorted(rosters.items()) for p in params],
        )
    )
    statements.append((_profiles_sql(f"p.user_id IN ({users_sql})"), users_params))
    statements += _counts_statements(users_sql, users_params, now=now)
    at = connection.ops.adapt_datetimefield_value(now)
    statements.append(
        (
            f"""SELECT rp.user_id FROM {OutOfOffice._meta.db_table} ooo
            JOIN {RepProfile._meta.db_table} rp ON rp.id = ooo.profile_id
            WHERE rp.user_id IN ({users_sql}) AND ooo.starts_at <= %s AND ooo.ends_at > %s""",
            [*users_params, at, at],
        )
    )
    leads = lead_ids or [-1]
    # Former owners: every owner the timeline names, and the lead's owner now (a lead
    # taken back by escalation must not go to the rep it is taken from, whatever its
    # timeline holds).
    statements.append(
        (
            f"SELECT lead_id, owner_id FROM {LeadEvent._meta.db_table} "
            f"WHERE lead_id IN ({_in(leads)}) AND owner_id IS NOT NULL "
            f"UNION SELECT id, owner_id FROM {Lead._meta.db_table} "
            f"WHERE id IN ({_in(leads)}) AND owner_id IS NOT NULL",
            leads + leads,
        )
    )
    results = run_batch(statements)
    rotations = results[first_read]
    roster_rows, profiles, intake, open_leads, away, owners = results[-6:]
    roster = {}
    for rule_id, user_id in sorted(roster_rows, key=lambda r: (r[0], r[1])):
        members = roster.setdefault(rule_id, [])
        if not members or members[-1] != user_id:  # a rep linked twice (territories)
            members.append(user_id)
    intake = {r[0]: r for r in intake}
    open_leads = {r[0]: r for r in open_leads}
    away = {r[0] for r in away}
    reps = {}
    for row in profiles:
        f = dict(zip(PROFILE_COLUMNS, row, strict=True))
        for c in JSON_COLUMNS:
            f[c] = _json(f[c])
        _, n_open, untouched = open_leads.get(f["user_id"], (0, 0, 0))
        f.update(
            _intake_counts(intake.get(f["user_id"]), zone=f["time_zone"], now=now),
            open=int(n_open or 0),
            untouched=int(untouched or 0),
            is_active=bool(f["is_active"]),
            away=f["user_id"] in away,
        )
        reps[f["user_id"]] = f
    previous = {}
    for lead_id, owner_id in owners:
        previous.setdefault(lead_id, set()).add(owner_id)
    return {
        "rotations": {rule_id: _json(state) or {} for rule_id, state in rotations},
        "roster": roster,
        "reps": reps,
        "previous": previous,
    }


def intake_bump_sql(
    *, counts: dict[int, int], days: dict[int, date], at: datetime
) -> tuple[str, list]:
    """Count routed leads per rep on the rep's own today (`counts`: user id -> leads;
    `days`: user id -> that day): one upsert, whether or not the rows exist yet."""
    table = RepIntake._meta.db_table
    ops = connection.ops
    rows = [(user_id, days[user_id], n) for user_id, n in sorted(counts.items())]
    return (
        f"INSERT INTO {table} (user_id, day, count, last_at) VALUES "
        + ", ".join(["(%s, %s, %s, %s)"] * len(rows))
        + f" ON CONFLICT (user_id, day) DO UPDATE SET count = {table}.count + "
        "excluded.count, last_at = excluded.last_at",
        [
            p
            for user_id, day, n in rows
            for p in (user_id, ops.adapt_datefield_value(day), n, ops.adapt_datetimefield_value(at))
        ],
    )


def rotation_save_sql(*, rule_id: int, state: dict, at: datetime) -> tuple[str, list]:
    ops = connection.ops
    return (
        f"UPDATE {RuleRotation._meta.db_table} SET state = %s, updated_at = %s WHERE rule_id = %s",
        [ops.adapt_json_value(state, None), ops.adapt_datetimefield_value(at), rule_id],
    )


def decisions_insert_sql(decisions: list[RoutingDecision]) -> tuple[str, list]:
    """The append-only decision rows, as one statement of the final write batch."""
    ops = connection.ops
    columns = (
        "lead_id",
        "rule_id",
        "rule_name",
        "method",
        "outcome",
        "winner_id",
        "pool_id",
        "reason",
        "details",
        "duration_ms",
        "created_at",
    )
    row = f"({_in(columns)})"
    return (
        f"INSERT INTO {RoutingDecision._meta.db_table} ({', '.join(columns)}) "
        f"VALUES {', '.join([row] * len(decisions))}",
        [
            p
            for d in decisions
            for p in (
                d.lead_id,
                d.rule_id,
                d.rule_name,
                d.method,
                d.outcome,
                d.winner_id,
                d.pool_id,
                d.reason,
                ops.adapt_json_value(d.details, None),
                d.duration_ms,
                ops.adapt_datetimefield_value(d.created_at),
            )
        ],
    )
