"""The conversion report's figures: each table is one GROUP BY with conditional counts."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from pools.lifecycle import LeadState
from pools.money import MoneyFormat
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


def won_values(filters: ReportFilters) -> list[str]:
    """The won value per currency, each as its teams write amounts ("R$ 32.500,50",
    "$ 12,000.00"): teams of different currencies are never added up. A currency whose
    teams disagree on the decimal mark is written with the point."""
    rows = (
        filters.leads()
        .filter(WON, won_value__isnull=False)
        .values("team__currency", "team__number_format")
        .annotate(total=Sum("won_value"))
    )
    by_currency: dict[str, tuple[Decimal, set]] = {}
    for row in rows:
        total, marks = by_currency.get(row["team__currency"] or "", (Decimal(0), set()))
        marks.add(row["team__number_format"] or None)
        by_currency[row["team__currency"] or ""] = (total + row["total"], marks)
    return [
        MoneyFormat(decimal_mark=marks.pop() if len(marks) == 1 else None, currency=code).show(
            total
        )
        for code, (total, marks) in sorted(by_currency.items())
    ]


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
        Stat("won value", " · ".join(won_values(filters)) or "0", "text"),
        Stat("rejected at screening", totals["rejected"]),
    ]
    return {"totals": totals, "stats": stats, "tables": tables}
