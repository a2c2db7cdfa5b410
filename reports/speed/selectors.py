"""The speed-to-lead report's figures: one GROUP BY per table, the medians and p90s
computed by PostgreSQL (percentile_cont) in the same pass as the counts."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F, Q

from reports import charts
from reports.dimensions import METHOD, REP, Dimension, grouped
from reports.filters import ReportFilters
from reports.sql import Percentile, Seconds
from reports.tables import Column, ReportTable, Stat, duration, rate

FAST = timedelta(minutes=5)
OWNED = Q(owner__isnull=False)
TOUCHED = Q(first_touch_at__isnull=False)
SINCE_CREATED = Seconds("first_touch_at", "created_at")
SINCE_ASSIGNED = Seconds("first_touch_at", "assigned_at")

FIGURES = {
    "owned": Count("id", filter=OWNED),
    "touched": Count("id", filter=OWNED & TOUCHED),
    "fast": Count("id", filter=OWNED & TOUCHED & Q(first_touch_at__lte=F("assigned_at") + FAST)),
    "created_p50": Percentile(SINCE_CREATED, percentile=0.5, filter=OWNED & TOUCHED),
    "created_p90": Percentile(SINCE_CREATED, percentile=0.9, filter=OWNED & TOUCHED),
    "assigned_p50": Percentile(SINCE_ASSIGNED, percentile=0.5, filter=OWNED & TOUCHED),
    "assigned_p90": Percentile(SINCE_ASSIGNED, percentile=0.9, filter=OWNED & TOUCHED),
}

COLUMNS = [
    Column("owned", "Owned", help="Leads of the period that a rep owns now."),
    Column("touched", "Touched", wide_only=True, help="Owned leads their owner has touched."),
    Column("untouched", "Untouched", wide_only=True),
    Column(
        "assigned_p50",
        "Median after assignment",
        "seconds",
        "Half the touched leads were first touched faster than this after assignment.",
    ),
    Column(
        "assigned_p90",
        "p90 after assignment",
        "seconds",
        "9 in 10 touched leads were first touched faster than this after assignment.",
        wide_only=True,
    ),
    Column(
        "created_p50",
        "Median after arrival",
        "seconds",
        "From the lead's arrival (before routing, pools and offers) to its first touch.",
        wide_only=True,
    ),
    Column("created_p90", "p90 after arrival", "seconds", wide_only=True),
    Column(
        "fast_share",
        "Within 5 min",
        "share",
        "Owned leads first touched within 5 minutes of assignment (untouched ones count as not).",
    ),
]


def _with_shares(row: dict) -> dict:
    return row | {
        "untouched": row["owned"] - row["touched"],
        "fast_share": rate(row["fast"], row["owned"]),
    }


def _table(filters: ReportFilters, dim: Dimension) -> ReportTable:
    rows = [_with_shares(r) for r in grouped(filters, dim, FIGURES, order="owned")]
    # Unowned leads have no owner to be fast or slow: not a row.
    rows = [r for r in rows if r["owned"]]
    table = ReportTable(
        key=f"by_{dim.key}",
        title=dim.title,
        columns=[Column("label", dim.label, "text"), *COLUMNS],
        rows=rows,
        caption=dim.caption,
        empty="No owned leads in this period.",
    )
    table.chart = charts.bar_chart(
        title=f"Median time to first touch after assignment, {dim.title.lower()}",
        labels=[r["label"] for r in rows[:12]],
        values=[r["assigned_p50"] for r in rows[:12]],
        fmt=duration,
    )
    return table


def speed_report(filters: ReportFilters) -> dict:
    totals = _with_shares(filters.leads().aggregate(**FIGURES))
    stats = [
        Stat("median after assignment", totals["assigned_p50"], "seconds"),
        Stat("p90 after assignment", totals["assigned_p90"], "seconds"),
        Stat("touched within 5 min", totals["fast_share"], "share"),
        Stat("owned, untouched", totals["untouched"], alert=bool(totals["untouched"])),
    ]
    tables = {f"by_{d.key}": _table(filters, d) for d in (REP, METHOD)}
    return {"totals": totals, "stats": stats, "tables": tables}
