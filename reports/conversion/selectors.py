"""The conversion report's figures: each table is one GROUP BY with conditional counts."""

from __future__ import annotations

from django.db.models import Case, CharField, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce, NullIf

from pools.lifecycle import LeadState
from reports import charts
from reports.filters import ReportFilters
from reports.tables import Column, ReportTable, Stat, rate

S = LeadState
# The stage a lead has reached, whatever happened after. Contacted: someone reached out
# (its owner's first touch) or a later disposition says so — a reassignment clears
# `first_touch_at` for the new owner, so the state and later stages count too.
CONTACTED = Q(first_touch_at__isnull=False) | Q(status__in=[S.CONTACTED, S.QUALIFIED, S.WON])
QUALIFIED = Q(status__in=[S.QUALIFIED, S.WON])
WON, LOST = Q(status=S.WON), Q(status=S.LOST)

STAGE_COUNTS = {
    "leads": Count("id"),
    "contacted": Count("id", filter=CONTACTED),
    "qualified": Count("id", filter=QUALIFIED),
    "won": Count("id", filter=WON),
    "lost": Count("id", filter=LOST),
    "won_value": Coalesce(Sum("won_value", filter=WON), Value(0), output_field=IntegerField()),
}

# Score bands (lower bound inclusive), highest first as the table lists them.
SCORE_BANDS = ((75, "75 and over"), (50, "50–74"), (25, "25–49"), (None, "Under 25"))

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


def _breakdown(
    filters: ReportFilters, *, key: str, title: str, label: str, group, name, caption=""
) -> ReportTable:
    """`group`: the expression the rows are grouped by; `name(row)` its label."""
    rows = (
        filters.leads()
        .annotate(group=group)
        .values("group", *name.fields)
        .annotate(**STAGE_COUNTS)
        .order_by("-leads", "group")
    )
    rows = [with_rates(r) | {"label": name(r)} for r in rows]
    return ReportTable(
        key=key,
        title=title,
        columns=[Column("label", label, "text"), *RATE_COLUMNS],
        rows=rows,
        caption=caption,
    )


class _Name:
    """A row label from its grouped values, and the fields it needs selected."""

    def __init__(self, fields: tuple[str, ...], fn):
        self.fields, self.fn = fields, fn

    def __call__(self, row: dict) -> str:
        return self.fn(row)


def _rep_name(row) -> str:
    if row["group"] is None:
        return "No owner (pool, queue, offer or rejected)"
    full = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
    return full or row["owner__username"]


def score_band():
    return Case(
        *(When(score__gte=low, then=Value(label)) for low, label in SCORE_BANDS if low is not None),
        default=Value(SCORE_BANDS[-1][1]),
        output_field=CharField(),
    )


def conversion_report(filters: ReportFilters) -> dict:
    totals = with_rates(
        filters.leads().aggregate(**STAGE_COUNTS, rejected=Count("id", filter=Q(status=S.REJECTED)))
    )
    stages = [
        ("New", totals["leads"]),
        ("Contacted", totals["contacted"]),
        ("Qualified", totals["qualified"]),
        ("Won", totals["won"]),
    ]
    funnel_rows = []
    previous = None
    for stage, count in stages:
        funnel_rows.append(
            {
                "stage": stage,
                "count": count,
                "of_new": rate(count, totals["leads"]),
                "of_previous": rate(count, previous) if previous is not None else None,
            }
        )
        previous = count
    funnel_rows.append(
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
        rows=funnel_rows,
        caption="A lead counts at every stage it has reached, whatever happened after.",
    )
    funnel.chart = charts.bar_chart(
        title="Funnel",
        labels=[r["stage"] for r in funnel_rows],
        values=[r["count"] for r in funnel_rows],
    )
    by_rep = _breakdown(
        filters,
        key="by_rep",
        title="By rep",
        label="Rep",
        group=F("owner_id"),
        name=_Name(("owner__first_name", "owner__last_name", "owner__username"), _rep_name),
        caption="The lead's current owner.",
    )
    by_source = _breakdown(
        filters,
        key="by_source",
        title="By source",
        label="Source",
        group=Coalesce("source__name", Value("No source")),
        name=_Name((), lambda r: r["group"]),
    )
    by_country = _breakdown(
        filters,
        key="by_country",
        title="By country",
        label="Country",
        group=NullIf("country", Value("")),
        name=_Name((), lambda r: r["group"] or "Unknown"),
    )
    by_score = _breakdown(
        filters,
        key="by_score",
        title="By lead score",
        label="Score band",
        group=score_band(),
        name=_Name((), lambda r: r["group"]),
        caption="The score screening gave the lead on arrival.",
    )
    order = {label: i for i, (_, label) in enumerate(SCORE_BANDS)}
    by_score.rows.sort(key=lambda r: order[r["label"]])
    for table in (by_rep, by_source):
        table.chart = charts.bar_chart(
            title=f"Win rate {table.title.lower()}",
            labels=[r["label"] for r in table.rows[:12]],
            values=[r["win_rate"] for r in table.rows[:12]],
            fmt=lambda v: f"{v * 100:.1f}%",
            top=1,
        )
    tables = {t.key: t for t in (funnel, by_rep, by_source, by_country, by_score)}
    stats = [
        Stat("new leads", totals["leads"]),
        Stat("contact rate", totals["contact_rate"], "share"),
        Stat("win rate", totals["win_rate"], "share"),
        Stat("rejected at screening", totals["rejected"]),
    ]
    return {"totals": totals, "stats": stats, "tables": tables}
