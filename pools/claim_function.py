"""A claim function's outside (the functions' bodies are `pools.claim_statements`): the
columns it returns, the verdict and the claimed lead, and how it is created and called.
"""

from __future__ import annotations

import hashlib

from .libpq_call import PreparedCall
from .models import Lead

# The claimed lead comes back with the fields that say where it is now; the others are
# deferred (loaded if read, as with `.only()`). Callers need little more than its id, and
# decoding columns (timestamps, JSON) was a good part of a claim's Python.
_RETURNED = {"id", "status", "owner", "pool", "team", "source"}
# In the model's field order, which `Model.from_db` expects of a partial row.
FIELDS = [f for f in Lead._meta.concrete_fields if f.name in _RETURNED]
LEAD_ATTNAMES = [f.attname for f in FIELDS]
# The row is used as the driver returns it: no returned field may need `from_db_value`
# (jsonb, for one, arrives as text). They come back as plain result columns, not as one
# value of the table's row type: building and unpacking a row of every column cost
# PostgreSQL more than the six values it carried.
assert not any(hasattr(f, "from_db_value") for f in FIELDS)
_INTEGERS = {"AutoField", "BigAutoField", "ForeignKey", "IntegerField", "BigIntegerField"}
assert all(f.get_internal_type() in _INTEGERS | {"CharField"} for f in FIELDS)
LEAD_OUT = [
    (f"o_lead_{f.column}", "text" if f.get_internal_type() == "CharField" else "bigint")
    for f in FIELDS
]

# The verdict: a refusal's code and the figures its message quotes (`claim_sql._claim`
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
_COLUMNS = _VERDICT + LEAD_OUT


class ClaimFunction:
    """One function: its CREATE statement and the SELECT that calls it."""

    def __init__(self, name: str, signature: str, body: str):
        create = (
            f"CREATE OR REPLACE FUNCTION {{name}}({signature})\n"
            f"RETURNS TABLE ({', '.join(f'{name} {kind}' for name, kind in _COLUMNS)})\n"
            f"LANGUAGE plpgsql VOLATILE\n"
            # Plan each statement once per session, not once per call for its first five
            # calls (PL/pgSQL's default): the plans do not depend on the values.
            f"SET plan_cache_mode = force_generic_plan\n"
            # Every statement here is an index probe or an index-ordered LIMIT 1, and a
            # generic plan cannot see the values: with a few sources and several pools
            # it once guessed that few leads pass the pick's filters and chose to fetch
            # the whole pool and sort it on every claim (3× the CPU, and growing with
            # the pool). Without these paths the planner walks the index, whatever the
            # statistics (tests/test_pool_claim_cost.py).
            f"SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off\n"
            f"AS $fn$\n{body}\n$fn$"
        )
        # The name carries the text's hash: changed code never runs an older function.
        self.name = f"lr_{name}_{hashlib.sha1(create.encode()).hexdigest()[:10]}"
        self.create = create.replace("{name}", self.name, 1)
        # Positional parameters, in the signature's order (`claim_sql` passes a tuple):
        # as psycopg takes them, and as libpq prepares them (`pools.libpq_call`).
        kinds = [part.split()[1] for part in signature.split(", ")]
        columns = ", ".join(f"r.{name}" for name, _ in _COLUMNS)
        args = ", ".join("%s" for _ in kinds)
        self.call = f"SELECT {columns} FROM {self.name}({args}) r"
        numbered = ", ".join(f"${i}::{kind}" for i, kind in enumerate(kinds, start=1))
        self.prepared = PreparedCall(
            name=self.name, sql=f"SELECT {columns} FROM {self.name}({numbered}) r", columns=_COLUMNS
        )
