"""The SQL text of a claim on PostgreSQL (executed by `pools.claim_sql`).

Two statements of CTEs, one per way of claiming (a named lead, or the next one of a pool):
each reads the rep's counters and the pool's rules, decides which restriction blocks (if
any), picks the lead, moves it with a conditional UPDATE and inserts the `claimed` event.
The rules are the same as the per-statement path in `claim_orm` (SQLite); the restriction
tests run against both.
"""

from __future__ import annotations

from django.contrib.auth.models import Group

from accounts.models import RepProfile, Team, User
from accounts.roles import Role

from .lifecycle import LeadState
from .models import Lead, LeadEvent, Pool, SourceRestriction
from .timezones import COUNTRY_TZ, REGION_TZ

_USER = User._meta.db_table
_USER_GROUPS = User.groups.through._meta.db_table
_GROUP = Group._meta.db_table
_PROFILE = RepProfile._meta.db_table
_TEAM = Team._meta.db_table
_LINKS = RepProfile.territories.through._meta.db_table
_POOL = Pool._meta.db_table
_LEAD = Lead._meta.db_table
_EVENT = LeadEvent._meta.db_table
_RESTRICTION = SourceRestriction._meta.db_table
_POOLED, _ASSIGNED = LeadState.POOLED.value, LeadState.ASSIGNED.value
_CLAIMED = LeadEvent.Kind.CLAIMED.value

_FIELDS = Lead._meta.concrete_fields
LEAD_ATTNAMES = [f.attname for f in _FIELDS]
_RETURNING = ", ".join(f"l.{f.column}" for f in _FIELDS)
# jsonb arrives as text (Django's psycopg loader); the fields parse it themselves.
LEAD_CONVERTERS = [(i, f) for i, f in enumerate(_FIELDS) if hasattr(f, "from_db_value")]


def _sql_str(value: str) -> str:
    assert "'" not in value  # built from our own constant tables only
    return f"'{value}'"


# The zone tables of `pools.timezones`, inlined once as VALUES lists.
_TZ_COUNTRY = ", ".join(f"({_sql_str(c)}, {_sql_str(z)})" for c, z in COUNTRY_TZ.items())
_TZ_REGION = ", ".join(
    f"({_sql_str(c)}, {_sql_str(s)}, {_sql_str(z)})" for (c, s), z in REGION_TZ.items()
)
# Python's str.strip() whitespace, for `lead_time_zone`'s normalisation.
_WS = "E' \\t\\n\\r\\f\\v'"

# Statements 1 and 2 of the batch. The generic plan: see `_Prepared`.
SETUP_SQL = f"""SELECT set_config('lock_timeout', %(lock_timeout)s, true),
       set_config('plan_cache_mode', 'force_generic_plan', true);
SELECT 1 FROM {_PROFILE} WHERE user_id = %(user)s FOR UPDATE"""


def _common_ctes(pool_id_sql: str) -> str:
    """The rep (effective caps, local day and week starts), the pool if it is in the rep's
    scope, the sources reserved for others, and the time zones inside the pool's calling
    window right now."""
    return f"""
prof AS (
    SELECT p.id, p.team_id,
           COALESCE(p.max_claims_per_day, t.max_claims_per_day) AS day_cap,
           COALESCE(p.max_claims_per_week, t.max_claims_per_week) AS week_cap,
           COALESCE(p.max_open_untouched, t.max_open_untouched) AS untouched_cap,
           date_trunc('day', %(now)s AT TIME ZONE p.time_zone) AT TIME ZONE p.time_zone
               AS day_start,
           date_trunc('week', %(now)s AT TIME ZONE p.time_zone) AT TIME ZONE p.time_zone
               AS week_start
    FROM {_PROFILE} p LEFT JOIN {_TEAM} t ON t.id = p.team_id
    WHERE p.user_id = %(user)s
),
pl AS (
    SELECT pl.id, pl.name, pl.mode, pl."order", pl.update_first_hours,
           pl.claim_cooldown_hours, pl.calling_hours_start, pl.calling_hours_end,
           pl.calling_weekdays_only,
           CASE WHEN pl.claim_cooldown_hours > 0
                THEN %(now)s - make_interval(hours => pl.claim_cooldown_hours) END
               AS cooldown_since
    FROM {_POOL} pl JOIN prof ON true
    WHERE pl.id = {pool_id_sql} AND pl.is_active
      AND (pl.team_id IS NULL OR pl.team_id = prof.team_id)
      AND (pl.territory_id IS NULL OR EXISTS (
               SELECT 1 FROM {_LINKS} rt
               WHERE rt.repprofile_id = prof.id AND rt.territory_id = pl.territory_id))
),
blocked_src AS (
    SELECT sr.source_id FROM {_RESTRICTION} sr
    GROUP BY sr.source_id
    HAVING NOT bool_or(COALESCE(sr.user_id = %(user)s, false)
                       OR COALESCE(sr.team_id = (SELECT team_id FROM prof), false))
),
tz_country (country, zone) AS (VALUES {_TZ_COUNTRY}),
tz_region (country, state, zone) AS (VALUES {_TZ_REGION}),
tz_open AS (
    SELECT z.zone
    FROM (SELECT zone FROM tz_country UNION SELECT zone FROM tz_region) z JOIN pl ON true
    WHERE pl.calling_hours_start IS NOT NULL
      AND (%(now)s AT TIME ZONE z.zone)::time >= pl.calling_hours_start
      AND (%(now)s AT TIME ZONE z.zone)::time < pl.calling_hours_end
      AND NOT (pl.calling_weekdays_only
               AND extract(isodow FROM %(now)s AT TIME ZONE z.zone) >= 6)
)"""


# Is the user an active rep (`has_role`), and the rep's counters: two index reads, each
# skipped (a one-time filter) when no rule needs it. A week starts on or before today, so
# one read of the week's claims counts both.
_REP_COLUMNS = f"""
           EXISTS (SELECT 1 FROM {_USER} u
                   JOIN {_USER_GROUPS} ug ON ug.user_id = u.id
                   JOIN {_GROUP} g ON g.id = ug.group_id
                   WHERE u.id = %(user)s AND u.is_active AND g.name = '{Role.REP.value}')
               AS is_rep,
           prof.id IS NOT NULL AS has_profile, prof.day_cap, prof.week_cap,
           prof.untouched_cap, claims.day_n, claims.week_n, owned.untouched_n, owned.stale_n"""
_REP_JOINS = f"""
    LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE e.created_at >= prof.day_start) AS day_n,
               count(*) AS week_n
        FROM {_EVENT} e
        WHERE (prof.day_cap IS NOT NULL OR prof.week_cap IS NOT NULL)
          AND e.actor_id = %(user)s AND e.kind = '{_CLAIMED}'
          AND e.created_at >= LEAST(prof.day_start, prof.week_start)
    ) claims ON true
    LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE x.first_touch_at IS NULL) AS untouched_n,
               count(*) FILTER (
                   WHERE x.assigned_at < %(now)s - make_interval(hours => pl.update_first_hours)
               ) AS stale_n
        FROM {_LEAD} x
        WHERE (prof.untouched_cap IS NOT NULL OR pl.update_first_hours IS NOT NULL)
          AND x.owner_id = %(user)s AND x.status = '{_ASSIGNED}'
    ) owned ON true"""

# Checked in the same order as the per-statement path, so the first failing rule is the
# one reported.
_REP_VERDICT = """
        WHEN chk.day_n >= chk.day_cap THEN 'day_cap'
        WHEN chk.week_n >= chk.week_cap THEN 'week_cap'
        WHEN chk.untouched_n >= chk.untouched_cap THEN 'untouched'
        WHEN chk.stale_n > 0 THEN 'update_first'"""


def _take_ctes(*, pick_sql: str, pool_id_sql: str, reason_sql: str) -> str:
    """The conditional UPDATE of the picked lead and its timeline event."""
    return f"""
upd AS (
    UPDATE {_LEAD} l
    SET status = '{_ASSIGNED}', owner_id = %(user)s, pool_id = NULL,
        updated_at = %(now)s, assigned_at = %(now)s, first_touch_at = NULL
    WHERE l.id = ({pick_sql}) AND l.status = '{_POOLED}' AND l.pool_id = {pool_id_sql}
      AND l.owner_id IS NULL AND (SELECT blocked FROM gate) IS NULL
    RETURNING {_RETURNING}
),
ev AS (
    INSERT INTO {_EVENT}
        (lead_id, kind, from_state, to_state, actor_id, owner_id, reason, data, created_at)
    SELECT upd.id, '{_CLAIMED}', '{_POOLED}', '{_ASSIGNED}', %(user)s, %(user)s,
           {reason_sql} || gate.name, jsonb_build_object('pool', gate.id), %(now)s
    FROM upd JOIN gate ON true
)"""


_RESULT_COLUMNS = """gate.blocked, gate.id, gate.day_cap, gate.week_cap, gate.untouched_cap,
       gate.untouched_n, gate.stale_n, gate.update_first_hours, gate.claim_cooldown_hours,
       gate.calling_hours_start, gate.calling_hours_end, gate.calling_weekdays_only"""


# Claim next: the rules that depend on the lead are filters of the pick, so a lead this
# rep may not take is passed over, not refused.
_NEXT_FILTERS = f"""(l.source_id IS NULL OR l.source_id NOT IN (SELECT source_id FROM blocked_src))
      AND CASE WHEN (SELECT cooldown_since FROM gate) IS NULL THEN true
               ELSE NOT (l.pooled_at > (SELECT cooldown_since FROM gate) AND EXISTS (
                   SELECT 1 FROM {_EVENT} e WHERE e.lead_id = l.id AND e.owner_id = %(user)s))
          END
      AND CASE WHEN (SELECT calling_hours_start FROM gate) IS NULL THEN true
               WHEN (l.country, l.state) IN (SELECT country, state FROM open_region) THEN true
               WHEN (l.country, l.state) IN (SELECT country, state FROM tz_region) THEN false
               ELSE l.country NOT IN (SELECT country FROM tz_country)
                    OR l.country IN (SELECT country FROM open_country)
          END"""

# A lead's zone is looked up exactly as `calling_hours_q` filters: the region's zone, else
# the country's; unmapped countries have no zone and pass.
CLAIM_NEXT_SQL = f"""WITH {_common_ctes("%(pool)s")},
chk AS (
    SELECT pl.*, {_REP_COLUMNS}
    FROM (VALUES (1)) one (x) LEFT JOIN prof ON true LEFT JOIN pl ON true {_REP_JOINS}
),
gate AS (
    SELECT chk.*, CASE
        WHEN NOT chk.is_rep THEN 'not_rep'
        WHEN NOT chk.has_profile THEN 'no_profile'
        WHEN chk.id IS NULL THEN 'pool' {_REP_VERDICT}
    END AS blocked
    FROM chk
),
open_region AS (SELECT country, state FROM tz_region WHERE zone IN (SELECT zone FROM tz_open))
, open_country AS (SELECT country FROM tz_country WHERE zone IN (SELECT zone FROM tz_open))
, pick AS (
    SELECT l.id FROM {_LEAD} l
    WHERE l.pool_id = %(pool)s AND l.status = '{_POOLED}'
      AND (SELECT blocked FROM gate) IS NULL AND (SELECT "order" FROM gate) <> 'score'
      AND {_NEXT_FILTERS}
    ORDER BY l.pooled_at, l.id LIMIT 1 FOR UPDATE OF l SKIP LOCKED
), pick_by_score AS (
    SELECT l.id FROM {_LEAD} l
    WHERE l.pool_id = %(pool)s AND l.status = '{_POOLED}'
      AND (SELECT blocked FROM gate) IS NULL AND (SELECT "order" FROM gate) = 'score'
      AND {_NEXT_FILTERS}
    ORDER BY l.score DESC, l.pooled_at, l.id LIMIT 1 FOR UPDATE OF l SKIP LOCKED
),
{
    _take_ctes(
        pick_sql="SELECT id FROM pick UNION ALL SELECT id FROM pick_by_score LIMIT 1",
        pool_id_sql="%(pool)s",
        reason_sql="'Claimed next from '",
    )
}
SELECT {_RESULT_COLUMNS},
       -- Written as the pick's ordered LIMIT 1 so the generic plan walks the pool's
       -- index (an EXISTS was planned as a sequential scan of every lead).
       CASE WHEN gate.blocked IS NULL AND NOT EXISTS (SELECT 1 FROM upd) THEN (
           SELECT x.id FROM {_LEAD} x WHERE x.pool_id = %(pool)s AND x.status = '{_POOLED}'
           ORDER BY x.pooled_at, x.id LIMIT 1) IS NOT NULL
       END AS any_pooled,
       upd.*
FROM gate LEFT JOIN upd ON true"""


CLAIM_ONE_SQL = f"""WITH lead AS (
    SELECT l.id, l.pool_id, l.source_id, l.pooled_at,
           upper(btrim(l.country, {_WS})) AS country, upper(btrim(l.state, {_WS})) AS state
    FROM {_LEAD} l
    WHERE l.id = %(lead)s AND l.status = '{_POOLED}'
      AND l.pool_id = COALESCE(%(want_pool)s, l.pool_id)
),
{_common_ctes("COALESCE(%(want_pool)s, (SELECT pool_id FROM lead))")},
chk AS (
    SELECT pl.*, {_REP_COLUMNS}, lead.id IS NOT NULL AS has_lead,
           lead.source_id IN (SELECT source_id FROM blocked_src) AS source_blocked,
           lead.pooled_at > pl.cooldown_since AND EXISTS (
               SELECT 1 FROM {_EVENT} e WHERE e.lead_id = lead.id AND e.owner_id = %(user)s)
               AS cooling,
           pl.calling_hours_start IS NOT NULL AND COALESCE(
               (SELECT zone FROM tz_region r
                WHERE r.country = lead.country AND r.state = lead.state),
               (SELECT zone FROM tz_country c WHERE c.country = lead.country)
           ) NOT IN (SELECT zone FROM tz_open) AS outside_hours
    FROM (VALUES (1)) one (x) LEFT JOIN prof ON true LEFT JOIN lead ON true
         LEFT JOIN pl ON true {_REP_JOINS}
),
gate AS (
    SELECT chk.*, CASE
        WHEN NOT chk.is_rep THEN 'not_rep'
        WHEN NOT chk.has_profile THEN 'no_profile'
        -- A named pool out of scope reads as missing, whatever the lead.
        WHEN %(want_pool)s IS NOT NULL AND chk.id IS NULL THEN 'pool'
        WHEN NOT chk.has_lead THEN 'taken'
        WHEN chk.id IS NULL THEN 'pool'
        WHEN chk.mode = '{Pool.Mode.BLIND.value}' THEN 'blind' {_REP_VERDICT}
        WHEN chk.source_blocked THEN 'source'
        WHEN chk.cooling THEN 'cooldown'
        WHEN chk.outside_hours THEN 'calling_hours'
    END AS blocked
    FROM chk
),
{_take_ctes(pick_sql="%(lead)s", pool_id_sql="(SELECT id FROM gate)", reason_sql="'Claimed from '")}
SELECT {_RESULT_COLUMNS}, NULL AS any_pooled, upd.*
FROM gate LEFT JOIN upd ON true"""
