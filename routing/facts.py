"""Everything eligibility needs about a rule's reps, in ONE round trip.

Routing runs this for every lead, so it is hand-written SQL: the roster (profile, user and
effective caps) plus four grouped reads — intake counters, open/untouched leads,
out-of-office, previous ownership of this lead. On PostgreSQL the five statements travel
as one batch (one round trip, each statement planned on its own: one big join took longer
to plan than to run); elsewhere (the SQLite dev database) they run one by one. The ORM
equivalent took five queries whose compilation cost several times the SQL itself.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from django.db import connection
from django.utils.dateparse import parse_datetime

from accounts.models import OutOfOffice, RepProfile, Team, Territory, User
from pools.lifecycle import OPEN_OWNED_STATES, LeadState
from pools.models import Lead, LeadEvent, LeadSource

from .models import RepIntake, RoutingDecision, RoutingRule, RuleRotation

CAP_COLUMNS = ("max_per_day", "max_per_week", "max_per_month", "max_open_untouched")
JSON_COLUMNS = ("working_hours", "languages", "industries", "company_sizes", "products")
PROFILE_COLUMNS = ("user_id", "username", "first_name", "last_name", "is_active", "team_id",
                   "availability", "time_zone", "seniority", "weight", *JSON_COLUMNS,
                   *CAP_COLUMNS)


def run_batch(statements: list[tuple[str, list]]) -> list[list[tuple]]:
    """Run read statements in order; one round trip on PostgreSQL. Each statement still
    takes its own snapshot (READ COMMITTED), so a lock taken by one is honoured by the
    reads after it."""
    results = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(";\n".join(sql for sql, _ in statements),
                           [p for _, params in statements for p in params])
            results.append(cursor.fetchall() if cursor.description else [])
            while cursor.nextset():
                results.append(cursor.fetchall() if cursor.description else [])
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall() if cursor.description else [])
    return results


def _in(ids: list) -> str:
    return ", ".join(["%s"] * len(ids))


def _json(value):
    return json.loads(value) if isinstance(value, str) else value  # SQLite: text


def lead_context(*, source_id: int | None) -> tuple[tuple, list[dict], str]:
    """Before matching, in one round trip: the rules' version (see routing.rules), every
    territory, and the lead's source slug."""
    rules = RoutingRule._meta.db_table
    version_sql = f"SELECT COUNT(*), MAX(updated_at), MAX(id) FROM {rules}"
    territories_sql = (f"SELECT id, countries, states, postal_prefixes, area_codes "
                       f"FROM {Territory._meta.db_table}")
    source_sql = f"SELECT slug FROM {LeadSource._meta.db_table} WHERE id = %s"
    version, territories, source = run_batch(
        [(version_sql, []), (territories_sql, []), (source_sql, [source_id or -1])])
    rows = [{"id": t[0], "countries": _json(t[1]), "states": _json(t[2]),
             "postal_prefixes": _json(t[3]), "area_codes": _json(t[4])} for t in territories]
    return tuple(version[0]), rows, source[0][0] if source else ""


def roster_sql(*, rule: RoutingRule, territory_ids: list[int]) -> tuple[str, list]:
    """SQL selecting the user ids of the rule's target reps, and its parameters."""
    profiles = RepProfile._meta.db_table
    if rule.method == RoutingRule.Method.DIRECT:
        return f"SELECT user_id FROM {profiles} WHERE user_id = %s", [rule.direct_rep_id or -1]
    if rule.target == RoutingRule.Target.REPS:
        through = RoutingRule.reps.through._meta.db_table
        return f"SELECT user_id FROM {through} WHERE routingrule_id = %s", [rule.pk]
    if rule.target == RoutingRule.Target.TERRITORY:
        links = RepProfile.territories.through._meta.db_table
        ids = territory_ids or [-1]
        sql = (f"SELECT rp.user_id FROM {profiles} rp JOIN {links} rt ON rt.repprofile_id = rp.id "
               f"WHERE rt.territory_id IN ({_in(ids)})")
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


def _counts_statements(r_sql: str, r_params: list, *, today: date, week: date, month: date
                       ) -> list[tuple[str, list]]:
    d = connection.ops.adapt_datefield_value
    open_states = sorted(OPEN_OWNED_STATES)
    intake = (f"""SELECT user_id,
                   SUM(CASE WHEN day = %s THEN count ELSE 0 END),
                   SUM(CASE WHEN day >= %s THEN count ELSE 0 END),
                   SUM(CASE WHEN day >= %s THEN count ELSE 0 END),
                   MAX(last_at)
            FROM {RepIntake._meta.db_table}
            WHERE user_id IN ({r_sql}) AND day >= %s GROUP BY user_id""",
              [d(today), d(week), d(month), *r_params, d(min(week, month))])
    leads = (f"""SELECT owner_id, COUNT(*),
                   SUM(CASE WHEN status = %s AND first_touch_at IS NULL THEN 1 ELSE 0 END)
            FROM {Lead._meta.db_table}
            WHERE owner_id IN ({r_sql}) AND status IN ({_in(open_states)})
            GROUP BY owner_id""", [LeadState.ASSIGNED, *r_params, *open_states])
    return [intake, leads]


def rep_facts(*, roster: tuple[str, list], today: date, week: date, month: date,
              now: datetime, lead_id: int | None, rotation_rule_id: int | None = None,
              lock_rotation: bool = False) -> tuple[list[dict], dict | None]:
    """One dict per rep of the roster, ordered by user id; and, when asked, the rule's
    rotation state (None: no rotation row), its row locked first in the same round trip
    so the lock order stays lead → rotation → rep."""
    r_sql, r_params = roster
    at = connection.ops.adapt_datetimefield_value(now)
    ooo = (f"""SELECT rp.user_id FROM {OutOfOffice._meta.db_table} ooo
               JOIN {RepProfile._meta.db_table} rp ON rp.id = ooo.profile_id
               WHERE rp.user_id IN ({r_sql}) AND ooo.starts_at <= %s AND ooo.ends_at > %s""",
           [*r_params, at, at])
    previous = (f"SELECT DISTINCT owner_id FROM {LeadEvent._meta.db_table} "
                f"WHERE lead_id = %s AND owner_id IS NOT NULL",
                [lead_id if lead_id is not None else -1])
    rotation = []
    if rotation_rule_id is not None:
        lock = " FOR UPDATE" if lock_rotation and connection.features.has_select_for_update \
            else ""
        rotation = [(f"SELECT state FROM {RuleRotation._meta.db_table} WHERE rule_id = %s"
                     f"{lock}", [rotation_rule_id])]
    *rotation_rows, profiles, intake, leads, away, owners = run_batch([
        *rotation,
        (_profiles_sql(f"p.user_id IN ({r_sql})"), r_params),
        *_counts_statements(r_sql, r_params, today=today, week=week, month=month),
        ooo, previous])
    state = None
    if rotation_rows and rotation_rows[0]:
        state = _json(rotation_rows[0][0][0]) or {}
    intake = {r[0]: r for r in intake}
    leads = {r[0]: r for r in leads}
    away = {r[0] for r in away}
    owners = {r[0] for r in owners}
    facts = []
    for row in profiles:
        f = dict(zip(PROFILE_COLUMNS, row, strict=True))
        for c in JSON_COLUMNS:
            f[c] = _json(f[c])
        _, t, w, m, last = intake.get(f["user_id"], (0, 0, 0, 0, None))
        _, n_open, untouched = leads.get(f["user_id"], (0, 0, 0))
        f.update(today=int(t or 0), week=int(w or 0), month=int(m or 0),
                 last=parse_datetime(last) if isinstance(last, str) else last,
                 open=int(n_open or 0), untouched=int(untouched or 0),
                 is_active=bool(f["is_active"]), away=f["user_id"] in away,
                 previous=f["user_id"] in owners)
        facts.append(f)
    return facts, state


def rep_lock_and_count(*, user_id: int, today: date, week: date, month: date,
                       savepoint: str | None = None) -> dict | None:
    """Lock the rep's profile row, then read their effective caps and current counts.

    Separate statements (one round trip on PostgreSQL) on purpose: under READ COMMITTED
    each takes its own snapshot, so the counts are read after the lock was granted and
    include every lead counted by whoever held it before. None: no profile."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    one = ("SELECT %s", [user_id])
    opening = [(f"SAVEPOINT {savepoint}", [])] if savepoint else []
    *_, locked, profile, intake, leads = run_batch([
        *opening,
        (f"SELECT id FROM {RepProfile._meta.db_table} WHERE user_id = %s{lock}", [user_id]),
        (_profiles_sql("p.user_id = %s"), [user_id]),
        *_counts_statements(*one, today=today, week=week, month=month)])
    if not locked:
        return None
    f = dict(zip(PROFILE_COLUMNS, profile[0], strict=True))
    _, t, w, m, _ = intake[0] if intake else (0, 0, 0, 0, None)
    untouched = leads[0][2] if leads else 0
    return {"caps": {c: f[c] for c in CAP_COLUMNS}, "today": int(t or 0), "week": int(w or 0),
            "month": int(m or 0), "untouched": int(untouched or 0)}


def savepoint_rollback(name: str) -> None:
    """Undo (and so unlock) everything since SAVEPOINT `name`, then drop it."""
    run_batch([(f"ROLLBACK TO SAVEPOINT {name}", []), (f"RELEASE SAVEPOINT {name}", [])])


def intake_bump_sql(*, user_id: int, day: date, at: datetime) -> tuple[str, list]:
    """Count one routed lead for the rep today: one upsert, whether or not today's row
    exists yet (ON CONFLICT works on PostgreSQL and on SQLite ≥ 3.24)."""
    table = RepIntake._meta.db_table
    ops = connection.ops
    return (f"INSERT INTO {table} (user_id, day, count, last_at) VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT (user_id, day) DO UPDATE SET count = {table}.count + 1, "
            "last_at = excluded.last_at",
            [user_id, ops.adapt_datefield_value(day), ops.adapt_datetimefield_value(at)])


def rotation_save_sql(*, rule_id: int, state: dict, at: datetime) -> tuple[str, list]:
    ops = connection.ops
    return (f"UPDATE {RuleRotation._meta.db_table} SET state = %s, updated_at = %s "
            "WHERE rule_id = %s",
            [ops.adapt_json_value(state, None), ops.adapt_datetimefield_value(at), rule_id])


def decision_insert_sql(decision: RoutingDecision) -> tuple[str, list]:
    """The append-only decision row, as one statement of the final write batch."""
    ops = connection.ops
    columns = ("lead_id", "rule_id", "rule_name", "method", "outcome", "winner_id", "pool_id",
               "reason", "details", "duration_ms", "created_at")
    return (f"INSERT INTO {RoutingDecision._meta.db_table} ({', '.join(columns)}) "
            f"VALUES ({_in(columns)})",
            [decision.lead_id, decision.rule_id, decision.rule_name, decision.method,
             decision.outcome, decision.winner_id, decision.pool_id, decision.reason,
             ops.adapt_json_value(decision.details, None), decision.duration_ms,
             ops.adapt_datetimefield_value(decision.created_at)])
