"""Helpers for pool tests: pooled leads that satisfy the database's invariants."""

from datetime import timedelta

from django.utils import timezone

from pools.lifecycle import LeadState
from tests.factories import LeadFactory


def pooled(pool, *, age_minutes: int = 60, **fields):
    fields.setdefault("team", pool.team)
    return LeadFactory(
        status=LeadState.POOLED,
        pool=pool,
        pooled_at=timezone.now() - timedelta(minutes=age_minutes),
        **fields,
    )


def pooled_many(pool, n: int, **fields):
    return [pooled(pool, age_minutes=n - i, **fields) for i in range(n)]
