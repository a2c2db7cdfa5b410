"""The conversion report's figures: each table is one GROUP BY with conditional counts."""

from __future__ import annotations

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from pools.lifecycle import LeadState
from reports import charts
from reports.dimensions import COUNTRY, METHOD, REP, RULE, SCORE, SOURCE, Dimension, grouped
from reports.filters import ReportFilters
from reports.tables import Column, ReportTable, Stat, rate

S = LeadState
# The stage a lead has reached, whatever happened after. Contacted: its owner touched it,
# or a disposition or a later stage says someone did (a reassignment clears the new
# owner's `first_touch_at`). Qualified: `qualified_at`, kept through later moves.
CONTACTED = (
    Q(first_touch_at__isnull=False)
    | Q(qualified_at__isnull=False)
    | Q(status__in=[S.CONTACTED, S.QUALIFIED, S.WON])
)
QUALIFIED = Q(qualified_at__isnull=False)
WON, LOST = Q(status=S.WON), Q(status=S.LOST)

STAGE_COUNTS = {
    "leads": Count("id"),
    "contacted": Count("id", filter=CONTACTED),
    "qualified": Count("id", filter=QUALIFIED),
    "won": Count("id", filter=WON),
    "lost": Count("id", filter=LOST),
    "won_value": Coalesce(
        Sum("won_value", filter=WON), Value(0), output_field=DecimalField(max_digits=14)
    ),
}

RATE_COLUMNS = [
    Column("leads", "Leads", help="Leads that arrived in the period."),
    Column("contacted", "Contacted", wide_only=True),
    Column("qualified", "Qualified", wide_only=True),
    Column("won", "Won"),
    Column("lost", "Lost", wide_only=True),
    Column("contact_rate", "Contact rate", "share", "Contacted ÷ leads.", wide_only=True),
    Column("win_rate", "Win rate", "share", "Won ÷ leads: the share of leads that became deals."),
    Column(
        "close_rate",
        "Close rate",
        "share",
        "Won ÷ (won + lost): of the decided leads, the share won.",
        wide_only=True,
    ),
]


def with_rates(row: dict) -> dict:
    return row | {
        "contact_rate": rate(row["contacted"], row["leads"]),
        "win_rate": rate(row["won"], row["leads"]),
        "close_rate": rate(row["won"], row["won"] + row["lost"]),
    }


def _breakdown(filters: ReportFilters, dim: Dimension) -> ReportTable:
    rows = [with_rates(r) for r in grouped(filters, dim, STAGE_COUNTS, order="leads")]
    return ReportTable(
        key=f"by_{dim.key}",
        title=dim.title,
        columns=[Column("label", dim.label, "text"), *RATE_COLUMNS],
        rows=rows,
        caption=dim.caption,
    )


def _funnel(totals: dict) -> ReportTable:
    rows, previous = [], None
    for stage, key in (
        ("New", "leads"),
        ("Contacted", "contacted"),
        ("Qualified", "qualified"),
        ("Won", "won"),
    ):
        count = totals[key]
        rows.append(
            {
                "stage": stage,
                "count": count,
                "of_new": rate(count, totals["leads"]),
                "of_previous": None if previous is None else rate(count, previous),
            }
        )
        previous = count
    rows.append(
        {
            "stage": "Lost",
            "count": totals["lost"],
            "of_new": rate(totals["lost"], totals["leads"]),
            "of_previous": None,
        }
    )
    funnel = ReportTable(
        key="funnel",
        title="Funnel",
        columns=[
            Column("stage", "Stage", "text"),
            Column("count", "Leads"),
            Column("of_new", "Of new", "share", "Share of the period's new leads."),
            Column(
                "of_previous",
                "Of stage above",
                "share",
                "Share of the stage above that reached this one.",
            ),
        ],
        rows=rows,
        caption="A lead counts at every stage it has reached, whatever happened after.",
    )
    funnel.chart = charts.bar_chart(
        title="Funnel", labels=[r["stage"] for r in rows], values=[r["count"] for r in rows]
    )
    return funnel


def conversion_report(filters: ReportFilters) -> dict:
    totals = with_rates(
        filters.leads().aggregate(**STAGE_COUNTS, rejected=Count("id", filter=Q(status=S.REJECTED)))
    )
    tables = {"funnel": _funnel(totals)}
    for dim in (REP, METHOD, RULE, SOURCE, COUNTRY, SCORE):
        tables[f"by_{dim.key}"] = _breakdown(filters, dim)
    for key in ("by_rep", "by_method"):
        table = tables[key]
        table.chart = charts.bar_chart(
            title=f"Win rate {table.title.lower()}",
            labels=[r["label"] for r in table.rows[:12]],
            values=[r["win_rate"] for r in table.rows[:12]],
            fmt=lambda v: f"{v * 100:.1f}%",
            top=1,
        )
    stats = [
        Stat("new leads", totals["leads"]),
        Stat("contact rate", totals["contact_rate"], "share"),
        Stat("win rate", totals["win_rate"], "share"),
        Stat("won value", totals["won_value"], "number"),
        Stat("rejected at screening", totals["rejected"]),
    ]
    return {"totals": totals, "stats": stats, "tables": tables}
