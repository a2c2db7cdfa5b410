"""The pull rules in PostgreSQL: the pool scope, and the two claim functions (a named lead
of a preview pool, or the next lead of a pool) that check every restriction, pick the
lead, move it with a conditional UPDATE and log the `claimed` event in one round trip.

The claim functions run the checks in a fixed order, so the first failing rule is the one
reported, and return the verdict as a code with the figures its message quotes
(`pools.pull.refusals.refusal` words it). The conditional UPDATE (`… AND status = 'pooled' AND
pool_id = … AND owner_id IS NULL`) makes exactly one claimer win.

Locking: a rep with a claim cap or an untouched-leads cap has their profile row locked
before their claims are counted, so two tabs cannot both slip under the cap. Each
statement of a VOLATILE function takes a fresh snapshot, so the count after the lock sees
the claims the other tab just committed. Reps without such caps are not serialised (push
routing also locks the reps of a rule that picks by counts; a claim picks no rep). Lock
order is always profile → lead, so claims cannot deadlock.

The functions are (re)installed after every `migrate` and, failing that, on a claim's
first use (`install`); their names carry a hash of their text, so code and database never
disagree about which version runs.

Why SQL: the same rules as ORM queries cost 20× a bare UPDATE's CPU with 50 claimers at
once, these about 2× (bench/pool.py).
"""

from __future__ import annotations

import hashlib

from django.db import connection, transaction

from accounts.models import RepProfile, Team
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent, Pool, SourceRestriction
from pools.timezones import COUNTRY_TZ, REGION_TZ


class SqlFunction:
    """One function of ours: its CREATE statement, under a name that carries its hash unless
    `versioned` is off."""

    def __init__(
        self,
        name: str,
        signature: str,
        returns: str,
        attributes: str,
        body: str,
        *,
        versioned: bool = True,
    ):
        create = (
            f"CREATE OR REPLACE FUNCTION {{name}}({signature})\nRETURNS {returns}\n"
            f"{attributes}\nAS $fn$\n{body}\n$fn$"
        )
        # The name carries the text's hash: changed code never runs an older function.
        digest = hashlib.sha1(create.encode()).hexdigest()[:10]
        self.name = f"lr_{name}_{digest}" if versioned else f"lr_{name}"
        self.create = create.replace("{name}", self.name, 1)
        self.signature = signature


# The claimed lead comes back with the fields that say where it is now; the others are
# deferred (loaded if read, as with `.only()`): callers need little more than its id.
_RETURNED = {"id", "status", "owner", "pool", "team", "source"}
# In the model's field order, which `Model.from_db` expects of a partial row.
FIELDS = [f for f in Lead._meta.concrete_fields if f.name in _RETURNED]
LEAD_ATTNAMES = [f.attname for f in FIELDS]
_INTEGERS = {"AutoField", "BigAutoField", "ForeignKey", "IntegerField", "BigIntegerField"}
assert all(f.get_internal_type() in _INTEGERS | {"CharField"} for f in FIELDS)
LEAD_OUT = [
    (f"o_lead_{f.column}", "text" if f.get_internal_type() == "CharField" else "bigint")
    for f in FIELDS
]

# The verdict: a refusal's code and the figures its message quotes (`pools.pull.claim._claim`
# unpacks them in this order), then the lead.
_VERDICT = [
    ("o_blocked", "text"),
    ("o_pool_id", "bigint"),
    ("o_day_cap", "integer"),
    ("o_week_cap", "integer"),
    ("o_untouched_cap", "integer"),
    ("o_untouched_n", "bigint"),
    ("o_stale_n", "bigint"),
    ("o_update_first_hours", "integer"),
    ("o_cooldown_hours", "integer"),
    ("o_calling_start", "time"),
    ("o_calling_end", "time"),
    ("o_weekdays_only", "boolean"),
    ("o_any_pooled", "boolean"),
]
VERDICT_LENGTH = len(_VERDICT)
# Last: the `claimed` event's id, for the claim's announcement (pools.signals).
_COLUMNS = _VERDICT + LEAD_OUT + [("o_event_id", "bigint")]
_CLAIM_ATTRIBUTES = (
    "LANGUAGE plpgsql VOLATILE\n"
    # Plan each statement once per session, not once per call for its first five calls
    # (PL/pgSQL's default): the plans do not depend on the values.
    "SET plan_cache_mode = force_generic_plan\n"
    # Every statement here is an index probe or an index-ordered LIMIT 1, and a generic
    # plan cannot see the values: it once chose to sort a whole pool on every claim. Without
    # these paths the planner walks the index (tests/pools/pull/test_claim_cost.py).
    "SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off"
)


class ClaimFunction(SqlFunction):
    """A claim function, and the SELECT that calls it with positional parameters."""

    def __init__(self, name: str, signature: str, body: str):
        returns = f"TABLE ({', '.join(f'{name} {kind}' for name, kind in _COLUMNS)})"
        super().__init__(name, signature, returns, _CLAIM_ATTRIBUTES, body)
        args = ", ".join(f"%s::{part.split()[1]}" for part in signature.split(", "))
        columns = ", ".join(f"r.{name}" for name, _ in _COLUMNS)
        self.call = f"SELECT {columns} FROM {self.name}({args}) r"


_PROFILE = RepProfile._meta.db_table
_TEAM = Team._meta.db_table
_LINKS = RepProfile.territories.through._meta.db_table
_POOL = Pool._meta.db_table
_LEAD = Lead._meta.db_table
_EVENT = LeadEvent._meta.db_table
_RESTRICTION = SourceRestriction._meta.db_table
_POOLED, _ASSIGNED = LeadState.POOLED.value, LeadState.ASSIGNED.value
_CLAIMED = LeadEvent.Kind.CLAIMED.value

# Who may use a pool, written once: the listing (`pools_usable_by`, and through it the
# websocket's pool groups) and the claim functions select from it. A one-SELECT SQL
# function, STABLE, so the planner inlines it into either query like a view. Its name is
# fixed: pages select from it outside the claim's install-on-first-use, so a deploy that
# runs before its `migrate` finds the previous version rather than none.
POOL_SCOPE = SqlFunction(
    "pools_usable_by",
    "p_user bigint",
    "SETOF bigint",
    "LANGUAGE sql STABLE",
    f"""SELECT x.id FROM {_POOL} x JOIN {_PROFILE} p ON p.user_id = p_user
    WHERE x.is_active
      AND (x.team_id IS NULL OR x.team_id = p.team_id)
      -- A territory's pool is for that territory's reps.
      AND (x.territory_id IS NULL
           OR EXISTS (SELECT 1 FROM {_LINKS} rt
                      WHERE rt.repprofile_id = p.id AND rt.territory_id = x.territory_id))""",
    versioned=False,
)


def _sql_str(value: str) -> str:
    assert "'" not in value  # built from our own constant tables only
    return f"'{value}'"


# The zone tables of `pools.timezones`, inlined as VALUES lists.
_ZONES = f"""zc (country, zone) AS (VALUES {
    ", ".join(f"({_sql_str(c)}, {_sql_str(z)})" for c, z in COUNTRY_TZ.items())
}),
    zr (country, state, zone) AS (VALUES {
    ", ".join(f"({_sql_str(c)}, {_sql_str(s)}, {_sql_str(z)})" for (c, s), z in REGION_TZ.items())
})"""
# Python's str.strip() whitespace, for `lead_time_zone`'s normalisation.
_WS = "E' \\t\\n\\r\\f\\v'"


def _country(lead: str) -> str:
    """A lead's country and state as the zone tables spell them (`lead_time_zone`'s
    normalisation), for Claim and Claim next alike: capture keeps a state's case."""
    return f"upper(btrim({lead}.country, {_WS}))"


def _state(lead: str) -> str:
    return f"upper(btrim({lead}.state, {_WS}))"


def _worked_by_rep(lead_id: str) -> str:
    """The cooldown's test: the rep owned this lead before. By the lead's own events
    (`IS NOT DISTINCT FROM`, the same test as `=` since p_user is never null, keeps the
    planner off the owner index, whose rows grow with the rep's history)."""
    return (
        f"SELECT 1 AS hit FROM {_EVENT} e WHERE e.lead_id = {lead_id}"
        " AND e.owner_id IS NOT DISTINCT FROM p_user"
    )


def _open(zone: str) -> str:
    """Is it inside the pool's calling window in `zone` right now?"""
    local = f"(p_now AT TIME ZONE {zone})"
    return (
        f"({local}::time >= pl.calling_hours_start AND {local}::time < pl.calling_hours_end"
        f" AND NOT (pl.calling_weekdays_only AND extract(isodow FROM {local}) >= 6))"
    )


_DECLARE = """DECLARE
    prof record;
    pl record;
    ld record;
    v_day_n bigint;
    v_week_n bigint;"""


# The figures a refusal's message quotes (`pools.pull.refusals.refusal`), set only when that
# refusal is made: each PL/pgSQL assignment is an expression evaluated for nothing on a
# claim that goes through. (Counts read by a rule land in their outputs directly.)
_FIGURES = {
    "day_cap": "o_day_cap := prof.day_cap;",
    "week_cap": "o_week_cap := prof.week_cap;",
    "untouched": "o_untouched_cap := prof.untouched_cap;",
    "update_first": "o_update_first_hours := pl.update_first_hours;",
    "cooldown": "o_cooldown_hours := pl.claim_cooldown_hours;",
    "calling_hours": "o_calling_start := pl.calling_hours_start;"
    " o_calling_end := pl.calling_hours_end; o_weekdays_only := pl.calling_weekdays_only;",
}


# Blocked: report the code with its figures, and stop.
def _stop(code: str) -> str:
    return f"{_FIGURES.get(code, '')} o_blocked := '{code}'; RETURN NEXT; RETURN;"


_REP = f"""
    -- One statement: the rep's profile and effective caps, and the lock timeout. (Whether
    -- the user is a rep at all was checked before the call, as for the listing.) A stuck
    -- lock becomes a clear "try again", not a hung request (for the rest of the
    -- transaction: the claim's own, unless the caller opened one). Without a profile
    -- there is no row, and no claim to time out.
    SELECT set_config('lock_timeout', p_lock_timeout, true) AS lock_timeout,
           p.id, p.team_id,
           COALESCE(p.max_claims_per_day, t.max_claims_per_day) AS day_cap,
           COALESCE(p.max_claims_per_week, t.max_claims_per_week) AS week_cap,
           COALESCE(p.max_open_untouched, t.max_open_untouched) AS untouched_cap,
           date_trunc('day', p_now AT TIME ZONE p.time_zone) AT TIME ZONE p.time_zone
               AS day_start,
           date_trunc('week', p_now AT TIME ZONE p.time_zone) AT TIME ZONE p.time_zone
               AS week_start
    INTO prof
    FROM {_PROFILE} p LEFT JOIN {_TEAM} t ON t.id = p.team_id
    WHERE p.user_id = p_user;
    IF NOT FOUND THEN
        {_stop("no_profile")}
    END IF;
    IF prof.day_cap IS NOT NULL OR prof.week_cap IS NOT NULL
       OR prof.untouched_cap IS NOT NULL THEN
        PERFORM 1 FROM {_PROFILE} WHERE id = prof.id FOR UPDATE;
    END IF;"""


def _pool(id_sql: str) -> str:
    """The pool, if it is active and in the rep's scope (`POOL_SCOPE`, as the listing)."""
    return f"""
    SELECT x.id, x.name, x.mode, x."order", x.update_first_hours, x.claim_cooldown_hours,
           x.calling_hours_start, x.calling_hours_end, x.calling_weekdays_only,
           ARRAY({_RESERVED}) AS reserved
    INTO pl
    FROM {_POOL} x
    WHERE x.id = {id_sql}
      AND x.id IN (SELECT pool_id FROM {POOL_SCOPE.name}(p_user) AS pool_id);
    IF NOT FOUND THEN
        {_stop("pool")}
    END IF;
    o_pool_id := pl.id;"""


# The rep's counters, each read only when a rule needs it. A week starts on or before
# today, so one read of the week's claims counts both.
_REP_RULES = f"""
    IF prof.day_cap IS NOT NULL OR prof.week_cap IS NOT NULL THEN
        SELECT count(*) FILTER (WHERE e.created_at >= prof.day_start), count(*)
        INTO v_day_n, v_week_n
        FROM {_EVENT} e
        WHERE e.actor_id = p_user AND e.kind = '{_CLAIMED}'
          AND e.created_at >= LEAST(prof.day_start, prof.week_start);
        IF v_day_n >= prof.day_cap THEN
            {_stop("day_cap")}
        END IF;
        IF v_week_n >= prof.week_cap THEN
            {_stop("week_cap")}
        END IF;
    END IF;
    IF prof.untouched_cap IS NOT NULL OR pl.update_first_hours IS NOT NULL THEN
        SELECT count(*) FILTER (WHERE x.first_touch_at IS NULL),
               count(*) FILTER (
                   WHERE x.assigned_at < p_now - make_interval(hours => pl.update_first_hours))
        INTO o_untouched_n, o_stale_n
        FROM {_LEAD} x
        WHERE x.owner_id = p_user AND x.status = '{_ASSIGNED}';
        IF o_untouched_n >= prof.untouched_cap THEN
            {_stop("untouched")}
        END IF;
        IF o_stale_n > 0 THEN
            {_stop("update_first")}
        END IF;
    END IF;"""

# Sources reserved for others: restricted, and listing neither the rep nor the rep's team.
_RESERVED = f"""SELECT sr.source_id FROM {_RESTRICTION} sr
               GROUP BY sr.source_id
               HAVING NOT bool_or(COALESCE(sr.user_id = p_user, false)
                                  OR COALESCE(sr.team_id = prof.team_id, false))"""


def _take(lead_id_sql: str, *, reason: str) -> str:
    """One statement: move the lead `lead_id_sql` names with the conditional UPDATE, log
    the `claimed` event, return the lead. One statement, not three: each has an executor
    start and end of its own."""
    returned = ", ".join(f"l.{f.column}" for f in FIELDS)
    return f"""
    WITH moved AS (
        UPDATE {_LEAD} l
        SET status = '{_ASSIGNED}', owner_id = p_user, pool_id = NULL,
            updated_at = p_now, assigned_at = p_now, first_touch_at = NULL,
            assigned_via = '{Lead.Via.POOL.value}',
            escalation_due_at = p_now, escalation_step = 0
        WHERE l.id = ({lead_id_sql}) AND l.status = '{_POOLED}' AND l.pool_id = pl.id
          AND l.owner_id IS NULL
        RETURNING {returned}
    ), logged AS (
        INSERT INTO {_EVENT}
            (lead_id, kind, from_state, to_state, actor_id, owner_id, reason, data, created_at)
        SELECT l.id, '{_CLAIMED}', '{_POOLED}', '{_ASSIGNED}', p_user, p_user,
               '{reason}' || pl.name, jsonb_build_object('pool', pl.id), p_now
        FROM moved l
        RETURNING id
    )
    SELECT {returned}, (SELECT id FROM logged)
    INTO {", ".join(name for name, _ in LEAD_OUT)}, o_event_id FROM moved l;"""


# A rep's filters on a pool (`pools.pull.selectors.PoolFilters` parses them), written once
# for the pool listing and Claim next: each a condition on one of the lead's own columns,
# applied when its value is given. Plain columns, no expressions: the listing's planner then
# reads their statistics and walks the pool's index, as for no filter.
LEAD_FILTERS = (
    ("source", "bigint", "{lead}.source_id = {value}"),
    ("country", "text", "{lead}.country = {value}"),
    # A case-insensitive pattern: the words typed, at the start of the industry's words.
    ("industry", "text", "{lead}.industry ~* {value}"),
    ("company_size", "text", "{lead}.company_size = {value}"),
    # In the pool at least / at most so many hours.
    ("pooled_until", "timestamptz", "{lead}.pooled_at <= {value}"),
    ("pooled_since", "timestamptz", "{lead}.pooled_at >= {value}"),
)
FILTER_NAMES = tuple(name for name, _, _ in LEAD_FILTERS)


def lead_filter_sql(lead: str, names) -> str:
    """The listing's conditions for the filters `names` on the table `lead`, ANDed, each value
    a `%s` placeholder in `FILTER_NAMES`' order."""
    return " AND ".join(
        condition.format(lead=lead, value="%s")
        for name, _, condition in LEAD_FILTERS
        if name in names
    )


# Claim next's: every filter, off when its parameter is null.
_FILTERED = "\n          AND ".join(
    f"(p_{name} IS NULL OR {condition.format(lead='l', value=f'p_{name}')})"
    for name, _, condition in LEAD_FILTERS
)


def _pick(order_by: str, *, cooldown: bool, hours: bool, filtered: bool) -> str:
    """Claim next's pick: the rules that depend on the lead filter it, so a lead this rep
    may not take is passed over, not refused. SKIP LOCKED: N reps at once lock N leads.
    A lead's zone is its region's, else its country's; unmapped countries pass.

    The cooldown is a LATERAL probe of each candidate's own events, made only for leads
    pooled inside the cooldown (as an EXISTS the planner hashed every event the rep ever
    owned). A pool without a cooldown gets the pick without the probe (a statement opens
    every table it names, run or not)."""
    probe, not_owned = "", ""
    if cooldown:
        probe = f"""
        LEFT JOIN LATERAL (
            {_worked_by_rep("l.id")} AND l.pooled_at > v_cooldown_since
            LIMIT 1) owned ON true"""
        not_owned = """
          AND owned.hit IS NULL"""
    open_now = ""
    if hours:
        region, country = f"{_country('l')} || '/' || {_state('l')}", _country("l")
        open_now = f"""
          AND ({region} = ANY (v_open_regions)
               OR (NOT {region} = ANY (v_closed_regions)
                   AND (NOT {country} = ANY (v_mapped) OR {country} = ANY (v_open_countries))))"""
    conditions = (
        f"(l.source_id IS NULL OR NOT l.source_id = ANY (pl.reserved)){not_owned}{open_now}"
    )
    if filtered:
        conditions += f"""
          AND {_FILTERED}"""
    return f"""SELECT l.id
        FROM {_LEAD} l{probe}
        WHERE l.pool_id = pl.id AND l.status = '{_POOLED}'
          AND {conditions}
        ORDER BY {order_by} LIMIT 1
        FOR UPDATE OF l SKIP LOCKED"""


def _picks(order_by: str, *, filtered: bool) -> str:
    """Pick and take in one order, with or without the cooldown probe and the calling
    hours: only the branch taken is planned and run (a filter that cannot apply still
    costs compiling it on every call)."""
    branches = {
        (cooldown, hours): _take(
            _pick(order_by, cooldown=cooldown, hours=hours, filtered=filtered),
            reason="Claimed next from ",
        )
        for cooldown in (True, False)
        for hours in (True, False)
    }
    return f"""IF v_cooldown_since IS NOT NULL THEN
            IF v_hours THEN {branches[True, True]}
            ELSE {branches[True, False]}
            END IF;
        ELSIF v_hours THEN {branches[False, True]}
        ELSE {branches[False, False]}
        END IF;"""


def _ordered_picks(order_by: str) -> str:
    """The rep's filters in a branch of their own: a claim without them runs the very
    statements it ran before filters existed."""
    return f"""IF {" OR ".join(f"p_{name} IS NOT NULL" for name in FILTER_NAMES)} THEN
            {_picks(order_by, filtered=True)}
        ELSE
            {_picks(order_by, filtered=False)}
        END IF;"""


_SIGNATURE_NEXT = "p_user bigint, p_now timestamptz, p_lock_timeout text, p_pool bigint, " + (
    ", ".join(f"p_{name} {kind}" for name, kind, _ in LEAD_FILTERS)
)
_BODY_NEXT = f"""{_DECLARE}
    v_cooldown_since timestamptz;
    v_hours boolean;
    v_open_regions text[];
    v_closed_regions text[];
    v_open_countries text[];
    v_mapped text[];
BEGIN
{_REP}
{_pool("p_pool")}
{_REP_RULES}
    IF pl.claim_cooldown_hours > 0 THEN
        v_cooldown_since := p_now - make_interval(hours => pl.claim_cooldown_hours);
    END IF;
    v_hours := pl.calling_hours_start IS NOT NULL;
    IF v_hours THEN
        WITH {_ZONES},
        open AS (SELECT z.zone FROM (SELECT zone FROM zc UNION SELECT zone FROM zr) z
                 WHERE {_open("z.zone")})
        SELECT (SELECT COALESCE(array_agg(country || '/' || state), '{{}}') FROM zr
                WHERE zone IN (SELECT zone FROM open)),
               (SELECT COALESCE(array_agg(country || '/' || state), '{{}}') FROM zr
                WHERE zone NOT IN (SELECT zone FROM open)),
               (SELECT COALESCE(array_agg(country), '{{}}') FROM zc
                WHERE zone IN (SELECT zone FROM open)),
               (SELECT array_agg(country) FROM zc)
        INTO v_open_regions, v_closed_regions, v_open_countries, v_mapped;
    END IF;
    IF pl."order" = '{Pool.Order.SCORE.value}' THEN
        {_ordered_picks("l.score DESC, l.pooled_at, l.id")}
    ELSE
        {_ordered_picks("l.pooled_at, l.id")}
    END IF;
    IF o_lead_id IS NULL THEN
        -- Nothing this rep may take: is the pool empty, or is everything in it off limits?
        -- (The pool's first lead by its index; as a bare EXISTS the generic plan could
        -- scan the whole table for a pool it guessed was big.)
        o_any_pooled := (SELECT x.id FROM {_LEAD} x
                         WHERE x.pool_id = pl.id AND x.status = '{_POOLED}'
                         ORDER BY x.pooled_at, x.id LIMIT 1) IS NOT NULL;
    END IF;
    RETURN NEXT;
END"""

_SIGNATURE_ONE = (
    "p_user bigint, p_now timestamptz, p_lock_timeout text, p_lead bigint, p_want_pool bigint"
)
_BODY_ONE = f"""{_DECLARE}
    v_zone text;
BEGIN
{_REP}
    IF p_want_pool IS NOT NULL THEN
        -- A named pool out of scope reads as missing, whatever the lead.
        {_pool("p_want_pool")}
        -- A blind pool's only claim is Claim next, refused before the lead is looked up:
        -- "blind" for its leads but "taken" for others would tell which ids are in it.
        IF pl.mode = '{Pool.Mode.BLIND.value}' THEN
            {_stop("blind")}
        END IF;
    END IF;
    SELECT l.id, l.pool_id, l.source_id, l.pooled_at,
           {_country("l")} AS country, {_state("l")} AS state
    INTO ld
    FROM {_LEAD} l
    WHERE l.id = p_lead AND l.status = '{_POOLED}'
      AND l.pool_id = COALESCE(p_want_pool, l.pool_id);
    IF NOT FOUND THEN
        {_stop("taken")}  -- claimed, moved, or never here: to the rep it is all "taken"
    END IF;
    IF p_want_pool IS NULL THEN
        {_pool("ld.pool_id")}
    END IF;
    IF pl.mode = '{Pool.Mode.BLIND.value}' THEN
        {_stop("blind")}
    END IF;
{_REP_RULES}
    IF ld.source_id = ANY (pl.reserved) THEN
        {_stop("source")}
    END IF;
    IF pl.claim_cooldown_hours > 0
       AND ld.pooled_at > p_now - make_interval(hours => pl.claim_cooldown_hours) THEN
        -- Nested: the events table is opened only when the cooldown can apply.
        IF EXISTS ({_worked_by_rep("ld.id")}) THEN
            {_stop("cooldown")}
        END IF;
    END IF;
    IF pl.calling_hours_start IS NOT NULL THEN
        WITH {_ZONES}
        SELECT COALESCE(
            (SELECT zone FROM zr WHERE zr.country = ld.country AND zr.state = ld.state),
            (SELECT zone FROM zc WHERE zc.country = ld.country)) INTO v_zone;
        IF v_zone IS NOT NULL AND NOT {_open("v_zone")} THEN
            {_stop("calling_hours")}
        END IF;
    END IF;
    {_take("ld.id", reason="Claimed from ")}
    RETURN NEXT;
END"""


CLAIM_NEXT = ClaimFunction("claim_next", _SIGNATURE_NEXT, _BODY_NEXT)
CLAIM_ONE = ClaimFunction("claim_one", _SIGNATURE_ONE, _BODY_ONE)
# In creation order: the claim functions call the scope.
FUNCTIONS = (POOL_SCOPE, CLAIM_NEXT, CLAIM_ONE)


def install(using_connection=None) -> None:
    """Create (or replace) our functions. Run after every `migrate` (pools.apps); an
    advisory lock keeps two processes that install at once from colliding. Versions older
    code installed are left alone: during a rolling deploy the old processes still call
    theirs, and dropping them made each version's claims reinstall over the other's."""
    conn = using_connection or connection
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('leadroute.claim_functions'))")
        # Bodies are checked when they run, not here: `migrate pools zero` installs after
        # dropping the tables the scope's SQL body names.
        cursor.execute("SET LOCAL check_function_bodies = off")
        for function in FUNCTIONS:
            cursor.execute(function.create)
