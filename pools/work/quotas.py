"""How reps stand against their quotas (accounts.models.Quota): what each metric counts, in
the rep's own week or month. Here, not in accounts, because the figures are read from the
leads and their timeline, which accounts may not import.

What a metric counts, as a sales manager reads it:
- leads worked: the distinct leads the rep took in the period — routed to them, claimed
  from a pool, accepted from a live offer or handed to them by a manager (every timeline
  event that moved the lead to `assigned` with them as owner). A lead taken twice in one
  period counts once; one taken away later (escalation) still counts: they took it.
- touches: every call, e-mail or meeting the rep logged (`touch` events by them).
- deals won / won value: the rep's leads marked won in the period (`closed_at`, by the
  owner who closed them), and the sum of their won values.

A period is the one containing the moment asked about, whole: from the rep's local Monday
(or first of the month) at midnight in their time zone to the next, so last week's figures
read the same whatever day they are read on.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection

from accounts.models import Quota
from accounts.periods import local_periods
from accounts.selectors import RepQuota, rep_quotas
from leadroute.shared.sql import run_batch
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent

M = Quota.Metric
ASSIGNED, WON = LeadState.ASSIGNED.value, LeadState.WON.value
TOUCH = LeadEvent.Kind.TOUCH.value


@dataclass(frozen=True)
class Attainment:
    """One quota of one rep for one period, with where they stand."""

    rep_id: int
    metric: str
    period: str
    starts: date  # the period's first local day
    target: Decimal
    actual: Decimal
    overridden: bool  # the rep's own target rather than the team's default

    @property
    def metric_label(self) -> str:
        return M(self.metric).label

    @property
    def counted(self) -> bool:
        return self.metric in Quota.COUNTED

    @property
    def percent(self) -> int:
        """Rounded down: 99.6 % is not yet 100 % (the quota is not met)."""
        return int(self.actual * 100 // self.target)

    @property
    def shown_percent(self) -> int:
        """The bar's fill, at most 100."""
        return min(self.percent, 100)

    @property
    def met(self) -> bool:
        return self.actual >= self.target

    @property
    def period_label(self) -> str:
        if self.period == Quota.Period.WEEK:
            return f"week of {self.starts.day} {self.starts:%b}"
        return f"{self.starts:%B %Y}"

    @property
    def actual_label(self) -> str:
        return _figure(self.actual)

    @property
    def target_label(self) -> str:
        return _figure(self.target)


def _figure(amount: Decimal) -> str:
    """Whole units, thousands set apart by a narrow space ("20 000"): read the same by
    decimal-comma and decimal-point teams, and a bar needs no cents."""
    return f"{amount:,.0f}".replace(",", "\u202f")


def period_bounds(*, at: datetime, zone: str, period: str) -> tuple[date, datetime, datetime]:
    """The rep's week or month containing `at`: its first local day and its [start, end)
    instants (aware; a DST change inside is the real length)."""
    tz = zoneinfo.ZoneInfo(zone)
    periods = local_periods(now=at, zone=zone)
    if period == Quota.Period.WEEK:
        first, following = periods.week, periods.week + timedelta(days=7)
    else:
        first = periods.month
        following = (first + timedelta(days=32)).replace(day=1)
    return first, datetime.combine(first, time.min, tz), datetime.combine(following, time.min, tz)


def _statements(
    values: str, params: list, metrics: set[str]
) -> tuple[list[tuple[str, list]], list[tuple[str, ...]]]:
    """One SQL aggregation per family of metrics over the (rep, period, start, end) rows
    `values`, and which metrics each statement's columns answer.

    Each row aggregates its own range scan (LATERAL): a rep's few thousand index entries
    counted apart, rather than every rep's sorted together for one GROUP BY. The states
    are written into the SQL, not bound, so the planner matches the partial indexes made
    for these reads (event_taken_by_owner, lead_won_by_owner) whatever the driver's
    binding; with the (actor, kind, created_at) index for touches, each is an index-only
    scan (bench/quotas.py measures them)."""
    events, leads = LeadEvent._meta.db_table, Lead._meta.db_table
    head = "SELECT b.rep_id, b.period, x.* FROM (VALUES {values}) b (rep_id, period, starts, ends)"
    head = head.format(values=values)
    statements, answers = [], []
    if M.LEADS_WORKED in metrics:
        # COUNT DISTINCT: a lead taken twice in the period is one lead worked.
        statements.append(
            (
                f"""{head} CROSS JOIN LATERAL (
                    SELECT COUNT(DISTINCT e.lead_id) FROM {events} e
                    WHERE e.owner_id = b.rep_id AND e.to_state = '{ASSIGNED}'
                      AND e.created_at >= b.starts AND e.created_at < b.ends) x""",
                params,
            )
        )
        answers.append((M.LEADS_WORKED,))
    if M.TOUCHES in metrics:
        statements.append(
            (
                f"""{head} CROSS JOIN LATERAL (
                    SELECT COUNT(*) FROM {events} e
                    WHERE e.actor_id = b.rep_id AND e.kind = '{TOUCH}'
                      AND e.created_at >= b.starts AND e.created_at < b.ends) x""",
                params,
            )
        )
        answers.append((M.TOUCHES,))
    if metrics & {M.DEALS_WON, M.WON_VALUE}:
        statements.append(
            (
                f"""{head} CROSS JOIN LATERAL (
                    SELECT COUNT(*), COALESCE(SUM(l.won_value), 0) FROM {leads} l
                    WHERE l.owner_id = b.rep_id AND l.status = '{WON}'
                      AND l.closed_at >= b.starts AND l.closed_at < b.ends) x""",
                params,
            )
        )
        answers.append((M.DEALS_WON, M.WON_VALUE))
    return statements, answers


def quota_attainment(
    *, user_ids: Iterable[int], at: datetime, metrics: Iterable[str] | None = None
) -> dict[int, list[Attainment]]:
    """Each rep's quotas (team default or their override; only `metrics` if given) for
    the period containing `at` in the rep's time zone, with the actual figure, target and
    percent. Reps without quotas are left out.

    Two round trips whatever the number of reps: the quotas, then one aggregation per
    metric family (sent together)."""
    quotas = rep_quotas(user_ids=list(user_ids), metrics=metrics)
    if not quotas:
        return {}
    bounds: dict[tuple[int, str], tuple[date, datetime, datetime]] = {}
    for q in quotas:
        if (q.rep_id, q.period) not in bounds:
            bounds[q.rep_id, q.period] = period_bounds(at=at, zone=q.time_zone, period=q.period)
    ops = connection.ops
    values = ", ".join(["(%s::bigint, %s::text, %s::timestamptz, %s::timestamptz)"] * len(bounds))
    params = [
        p
        for (rep_id, period), (_, start, end) in bounds.items()
        for p in (
            rep_id,
            period,
            ops.adapt_datetimefield_value(start),
            ops.adapt_datetimefield_value(end),
        )
    ]
    statements, answers = _statements(values, params, {q.metric for q in quotas})
    actual: dict[tuple[int, str, str], Decimal] = {}
    for rows, metrics_answered in zip(run_batch(statements), answers, strict=True):
        for rep_id, period, *figures in rows:
            for metric, figure in zip(metrics_answered, figures, strict=True):
                actual[rep_id, period, metric] = Decimal(figure)
    result: dict[int, list[Attainment]] = {}
    for q in quotas:
        result.setdefault(q.rep_id, []).append(_attainment(q, bounds, actual))
    return result


def _attainment(q: RepQuota, bounds: dict, actual: dict) -> Attainment:
    return Attainment(
        rep_id=q.rep_id,
        metric=q.metric,
        period=q.period,
        starts=bounds[q.rep_id, q.period][0],
        target=q.target,
        actual=actual.get((q.rep_id, q.period, q.metric), Decimal(0)),
        overridden=q.overridden,
    )
