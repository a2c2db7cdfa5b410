"""The fairness report's figures: one GROUP BY over the reps of the scope (every rep, a
rep with no lead too), then shares and the Gini coefficient from those few rows."""

from __future__ import annotations

from django.db.models import Count

from reports import charts
from reports.filters import ReportFilters
from reports.scope import scope_reps
from reports.tables import Column, ReportTable, Stat, rate


def gini(values: list[float]) -> float | None:
    """0 when every value is equal, towards 1 when one holds everything (mean absolute
    difference over twice the mean): Σᵢ (2i − n − 1)·xᵢ / (n·Σx), x ascending."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return None
    return sum((2 * i - n - 1) * x for i, x in enumerate(xs, start=1)) / (n * total)


def _reps(filters: ReportFilters) -> list[dict]:
    """Every active rep of the scope with their leads of the period: the reps, then the
    period's leads grouped by owner. Two queries: counting through the reps' join would
    read every lead they ever owned, not just the period's."""
    rows = scope_reps(filters)
    counts = dict(
        filters.leads()
        .filter(owner_id__in=[r["user_id"] for r in rows])
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    return [r | {"leads": counts.get(r["user_id"], 0)} for r in rows]


def fairness_report(filters: ReportFilters) -> dict:
    rows = _reps(filters)
    total = sum(r["leads"] for r in rows)
    weights = sum(r["weight"] for r in rows)
    for r in rows:
        r["share"] = rate(r["leads"], total)
        r["weight_share"] = rate(r["weight"], weights)
        r["expected"] = total * r["weight"] / weights if weights else None
        r["ratio"] = rate(r["leads"], r["expected"]) if r["expected"] else None
    by_rep = ReportTable(
        key="by_rep",
        title="Leads per rep against weight",
        columns=[
            Column("label", "Rep", "text"),
            Column("team__name", "Team", "text", wide_only=True),
            Column("weight", "Weight", help="The rep's share in weighted routing."),
            Column("leads", "Leads", help="The period's leads the rep owns now."),
            Column("share", "Share", "share", "The rep's share of the leads.", wide_only=True),
            Column(
                "weight_share",
                "Weight share",
                "share",
                "The rep's weight over the reps' total weight.",
                wide_only=True,
            ),
            Column(
                "expected",
                "By weight",
                "number",
                "Leads the rep would have if leads followed the weights exactly.",
            ),
            Column(
                "ratio",
                "Got ÷ by weight",
                "number",
                "1 = exactly their weight's share; 2 = twice it; 0.5 = half.",
                wide_only=True,
            ),
        ],
        rows=rows,
        caption="Every active rep of the scope, a rep with no lead too. Leads count for "
        "their current owner.",
        empty="No reps in this scope.",
    )
    if rows:
        by_rep.chart = charts.bar_chart(
            title="Leads got; the orange mark is the rep's share by weight",
            labels=[r["label"] for r in rows[:20]],
            values=[r["leads"] for r in rows[:20]],
            targets=[r["expected"] for r in rows[:20]],
            target_label="by weight",
            fmt=lambda v: f"{v:,.1f}".removesuffix(".0"),
        )
    per_rep = gini([r["leads"] for r in rows])
    per_weight = gini([r["leads"] / r["weight"] for r in rows if r["weight"]])
    stats = [
        Stat("leads owned", total),
        Stat("reps", len(rows)),
        Stat("Gini, leads per rep", per_rep, "number"),
        Stat("Gini, leads per unit of weight", per_weight, "number"),
    ]
    return {
        "stats": stats,
        "tables": {"by_rep": by_rep},
        "gini": per_rep,
        "gini_weighted": per_weight,
    }
