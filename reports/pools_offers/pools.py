"""The pool figures: time to claim, what became of pooled leads nobody claimed, and how
long the leads waiting in each pool have waited so far. One GROUP BY per table."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from pools.lifecycle import LeadState as S
from pools.models import Lead, LeadEvent, Pool
from reports import charts
from reports.filters import ReportFilters
from reports.scope import team_source_q
from reports.sql import Percentile, Seconds
from reports.tables import Column, ReportTable, Stat, rate

CLAIMED = LeadEvent.Kind.CLAIMED
WAIT = Seconds("created_at", "lead__pooled_at")  # on a claim event: its lead's wait

# Waiting time now, lower bound inclusive: (key, label, lower bound).
AGE_BUCKETS = (
    ("under_1h", "Under 1 h", timedelta(0)),
    ("h1_4", "1–4 h", timedelta(hours=1)),
    ("h4_24", "4–24 h", timedelta(hours=4)),
    ("d1_7", "1–7 days", timedelta(days=1)),
    ("over_7d", "Over 7 days", timedelta(days=7)),
)

# What became of a lead that entered a pool, by its claim event and its state now.
OUTCOMES = (
    ("claimed", "Claimed by a rep"),
    ("waiting", "Still waiting in a pool"),
    ("skim", "Left unclaimed: in the skim queue"),
    ("owned", "Left unclaimed: routed or handed to a rep"),
    ("offered", "Left unclaimed: under a live offer"),
)


def claim_times(filters: ReportFilters) -> ReportTable:
    """Claims of the period's leads, by the pool they were claimed from (the claim event
    names it), from the lead's last entry into a pool to the claim. A lead claimed, then
    sent back to a pool and still waiting has its claim left out (its `pooled_at` is
    later): the wait would be negative."""
    rows = (
        LeadEvent.objects.filter(filters.lead_q("lead__"), kind=CLAIMED)
        .filter(created_at__gte=F("lead__pooled_at"))
        .annotate(pool_id=Cast(KeyTextTransform("pool", "data"), BigIntegerField()))
        .values("pool_id")
        .annotate(
            claims=Count("id"),
            p50=Percentile(WAIT, percentile=0.5),
            p90=Percentile(WAIT, percentile=0.9),
            longest=Max(WAIT),
        )
        .order_by("-claims", "pool_id")
    )
    return ReportTable(
        key="claim_time",
        title="Time to claim",
        columns=[
            Column("label", "Pool", "text"),
            Column("claims", "Claims"),
            Column("p50", "Median wait", "seconds", "Half the claims came faster than this."),
            Column("p90", "p90 wait", "seconds", "9 in 10 claims came faster than this."),
            Column("longest", "Longest", "seconds", wide_only=True),
        ],
        rows=list(rows),
        caption="From the lead's entry into the pool to a rep's claim, for the period's "
        "leads that were claimed.",
        empty="No pooled lead of this period was claimed.",
    )


def _outcome():
    claimed = Exists(LeadEvent.objects.filter(lead=OuterRef("pk"), kind=CLAIMED))
    return Case(
        When(claimed, then=Value("claimed")),
        When(status=S.POOLED, then=Value("waiting")),
        When(status=S.SKIMMING, then=Value("skim")),
        When(status=S.OFFERED, then=Value("offered")),
        When(owner__isnull=False, then=Value("owned")),
        default=Value("owned"),
        output_field=CharField(),
    )


def pool_outcomes(filters: ReportFilters) -> ReportTable:
    """The period's leads that entered a pool, by what became of them."""
    counts = {
        r["outcome"]: r["leads"]
        for r in filters.leads()
        .filter(pooled_at__isnull=False)
        .annotate(outcome=_outcome())
        .values("outcome")
        .annotate(leads=Count("id"))
        .order_by()
    }
    total = sum(counts.values())
    rows = [
        {"label": label, "leads": counts.get(key, 0), "share": rate(counts.get(key, 0), total)}
        for key, label in OUTCOMES
    ]
    table = ReportTable(
        key="outcomes",
        title="Pooled leads: claimed or not",
        columns=[
            Column("label", "Outcome", "text"),
            Column("leads", "Leads"),
            Column("share", "Share", "share", "Of the period's leads that entered a pool."),
        ],
        rows=rows if total else [],
        totals={"label": "Entered a pool", "leads": total, "share": 1.0 if total else None},
        caption="“Left unclaimed”: pool aging or a manager moved the lead on before anyone "
        "claimed it.",
        empty="No lead of this period entered a pool.",
    )
    table.chart = charts.bar_chart(
        title="Pooled leads by outcome",
        labels=[r["label"] for r in rows],
        values=[r["leads"] for r in rows],
    )
    return table


def pool_aging(filters: ReportFilters, *, now=None) -> ReportTable:
    """The leads waiting in each pool now, by how long they have waited (not limited to
    the period: a lead that arrived last quarter and still waits is the point)."""
    now = now or timezone.now()
    buckets = {}
    for i, (key, _label, low) in enumerate(AGE_BUCKETS):
        q = Q(pooled_at__lte=now - low)
        if i + 1 < len(AGE_BUCKETS):
            q &= Q(pooled_at__gt=now - AGE_BUCKETS[i + 1][2])
        buckets[key] = Count("id", filter=q)
    rows = list(
        Lead.objects.filter(team_source_q(filters), status=S.POOLED)
        .values("pool_id")
        .annotate(
            label=Coalesce(Max("pool__name"), Value("?")),
            waiting=Count("id"),
            oldest=Max(Seconds(Value(now), "pooled_at")),
            **buckets,
        )
        .order_by("-waiting", "pool_id")
    )
    return ReportTable(
        key="aging",
        title="Waiting now, by pool",
        columns=[
            Column("label", "Pool", "text"),
            Column("waiting", "Waiting"),
            *(Column(key, label, wide_only=key != "over_7d") for key, label, _ in AGE_BUCKETS),
            Column("oldest", "Oldest", "seconds"),
        ],
        rows=rows,
        caption="Leads in your teams' pools right now, whenever they arrived.",
        empty="No lead waits in your teams' pools.",
    )


def pool_report(filters: ReportFilters, *, now=None) -> dict:
    times = claim_times(filters)
    _name_pools(times)
    outcomes = pool_outcomes(filters)
    aging = pool_aging(filters, now=now)
    total = outcomes.totals["leads"]
    claimed = outcomes.rows[0]["leads"] if outcomes.rows else 0
    overall = _overall_claim_time(filters)
    times.totals = {"label": "All pools", **overall}
    stats = [
        Stat("entered a pool", total),
        Stat("claimed", rate(claimed, total), "share"),
        Stat("median time to claim", overall["p50"], "seconds"),
        Stat("waiting now", sum(r["waiting"] for r in aging.rows)),
        Stat(
            "waiting over a day",
            sum(r["d1_7"] + r["over_7d"] for r in aging.rows),
            alert=any(r["d1_7"] + r["over_7d"] for r in aging.rows),
        ),
    ]
    tables = {t.key: t for t in (outcomes, times, aging)}
    return {"stats": stats, "tables": tables}


def _overall_claim_time(filters: ReportFilters) -> dict:
    return (
        LeadEvent.objects.filter(filters.lead_q("lead__"), kind=CLAIMED)
        .filter(created_at__gte=F("lead__pooled_at"))
        .aggregate(
            claims=Count("id"),
            p50=Percentile(WAIT, percentile=0.5),
            p90=Percentile(WAIT, percentile=0.9),
            longest=Max(WAIT),
        )
    )


def _name_pools(table: ReportTable) -> None:
    """The claim table's pool names: one query for the few pools it lists."""
    names = dict(
        Pool.objects.filter(pk__in=[r["pool_id"] for r in table.rows]).values_list("pk", "name")
    )
    for row in table.rows:
        row["label"] = names.get(row["pool_id"], "A deleted pool")
