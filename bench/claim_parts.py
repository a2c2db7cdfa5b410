"""Where a claim's time goes, beside the bare UPDATE — prints figures, asserts nothing.

    make bench ARGS="bench/claim_parts.py [--claimers 50] [--rounds 8]"

bench/pool.py compares the claim service with a bare conditional UPDATE; this splits the
difference. Five sides, each "Claim next" on a blind pool of its own with the default
settings (bare UPDATEs: by id, as bench/pool.py's), run by the same 50 processes on kept
connections in alternating rounds (the order reversed every other round), samples pooled:

1. service — `pool_claim_next`: the role check, the claim function and its event's
   announcement in one transaction, the Lead built from its row, then the live frames
   (the pool's "lead left", the team board's ping) through the channel layer;
2. committed — the claim function and its event's announcement (the webhook outbox's
   statement) in one transaction, as the service commits them: no Lead, no frame;
3. function — the same claim function alone, one execute and fetch in autocommit;
4. core — pick (`FOR UPDATE SKIP LOCKED`, the pool's order), the conditional UPDATE and
   the claimed event, in a function without the pull rules (caps, scope, reserved
   sources, cooldown, calling hours): what any claim must do;
5. UPDATE — the bare conditional UPDATE, the floor of bench/pool.py.

service − committed is the live frames (and the Lead); committed − function the
transaction's round trips and the outbox; function − core the pull rules in PostgreSQL;
core − UPDATE what picking a lead and logging the claim cost over the floor.
"""

from __future__ import annotations

import argparse
import time

import _pool_django  # noqa: F401  (sets Django up: before the imports below)
from _pool_seed import make_leads, setup
from _procs import Workers, cpu_line, with_cpu
from django.db import connection
from django.utils import timezone

from pools.models import Lead, Pool
from pools.pull import claim
from pools.pull.claim import LOCK_TIMEOUT, pool_claim_next
from pools.pull.claim_functions import CLAIM_NEXT, FILTER_NAMES, VERDICT_LENGTH

CORE = "lr_bench_claim_core"
CORE_SQL = f"""
CREATE OR REPLACE FUNCTION {CORE}(p_user bigint, p_now timestamptz, p_pool bigint)
RETURNS bigint LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off
AS $fn$
DECLARE v_lead_id bigint;
BEGIN
    -- One statement, as the claim function's take.
    WITH moved AS (
        UPDATE pools_lead l
        SET status = 'assigned', owner_id = p_user, pool_id = NULL,
            updated_at = p_now, assigned_at = p_now, first_touch_at = NULL
        WHERE l.id = (SELECT l.id FROM pools_lead l
                      WHERE l.pool_id = p_pool AND l.status = 'pooled'
                      ORDER BY l.pooled_at, l.id LIMIT 1 FOR UPDATE OF l SKIP LOCKED)
          AND l.status = 'pooled' AND l.pool_id = p_pool AND l.owner_id IS NULL
        RETURNING l.id
    ), logged AS (
        INSERT INTO pools_leadevent
            (lead_id, kind, from_state, to_state, actor_id, owner_id, reason, data, created_at)
        SELECT m.id, 'claimed', 'pooled', 'assigned', p_user, p_user,
               'Claimed next from core', jsonb_build_object('pool', p_pool), p_now
        FROM moved m
    )
    SELECT m.id INTO v_lead_id FROM moved m;
    RETURN v_lead_id;
END $fn$"""


# Called the way the claim functions are (`pools.pull.claim`): a plain cursor.
CORE_CALL = f"SELECT {CORE}(%s::bigint, %s::timestamptz, %s::bigint)"
UPDATE_SQL = (  # bench/pool.py's floor
    "UPDATE pools_lead SET status = 'assigned', owner_id = %s, pool_id = NULL,"
    " assigned_at = now() WHERE id = %s AND status = 'pooled' AND pool_id = %s"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--claims-per-rep", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    n, per, rounds = args.claimers, args.claims_per_rep, args.rounds
    team, sources, _big, reps = setup(100_000, n)
    sides = ["service", "committed", "function", "core", "UPDATE"]
    stamp = time.time_ns()
    pools = {
        side: Pool.objects.create(
            name=f"bench-parts-{side}-{stamp}",
            slug=f"bench-parts-{side.lower()}-{stamp}",
            team=team,
            mode=Pool.Mode.BLIND,
        )
        for side in sides
    }
    try:
        for side, pool in pools.items():
            make_leads(pool, team, sources, n * per * (rounds + 1) + 1, prefix=f"p-{side}-")
        by_id = list(Lead.objects.filter(pool=pools["UPDATE"]).values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(CORE_SQL)
            cursor.execute("VACUUM (ANALYZE) pools_lead, pools_leadevent")
            cursor.execute("CHECKPOINT")
        pool_claim_next(user=reps[0], pool_id=pools["service"].pk)  # installs, warms

        unfiltered = (None,) * len(FILTER_NAMES)  # claim next with no filter, as the service's

        def run(side):
            pool_id = pools[side].pk

            def claims(i, r):
                user, own = reps[i], []
                # The bare UPDATEs share one cursor per round, as bench/pool.py's do.
                with connection.cursor() as cursor:
                    for k in range(per):
                        start = time.perf_counter()
                        if side == "service":
                            pool_claim_next(user=user, pool_id=pool_id)
                        elif side == "committed":
                            params = (user.pk, timezone.now(), LOCK_TIMEOUT, pool_id, *unfiltered)
                            assert claim._call(CLAIM_NEXT, params)[VERDICT_LENGTH] is not None
                        elif side == "function":
                            params = (user.pk, timezone.now(), LOCK_TIMEOUT, pool_id, *unfiltered)
                            cursor.execute(CLAIM_NEXT.call, params)
                            assert cursor.fetchone()[VERDICT_LENGTH] is not None  # the lead id
                        elif side == "core":
                            cursor.execute(CORE_CALL, (user.pk, timezone.now(), pool_id))
                            assert cursor.fetchone()[0]
                        else:
                            cursor.execute(
                                UPDATE_SQL, [user.pk, by_id[(r * n + i) * per + k], pool_id]
                            )
                            assert cursor.rowcount == 1
                        own.append(time.perf_counter() - start)
                return own

            return with_cpu(claims)

        workers = Workers(n, {side: run(side) for side in sides})
        results: dict[str, list] = {side: [] for side in sides}
        try:
            for side in sides:  # one unmeasured round each: plans, caches
                workers.run(side, 0)
            for r in range(1, rounds + 1):
                for side in sides if r % 2 else reversed(sides):
                    results[side].extend(workers.run(side, r))
        finally:
            workers.close()
        print(f"{n} processes at once, {per} each, {rounds} alternating rounds of every side:")
        for side in sides:
            cpu_line(side, results[side])
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP FUNCTION IF EXISTS {CORE}(bigint, timestamptz, bigint)")
        Lead.objects.filter(pool__in=pools.values()).delete()
        Lead.objects.filter(team=team, owner__in=reps).delete()
        for pool in pools.values():
            pool.delete()


if __name__ == "__main__":
    main()
