"""The quota report's figures: the scope's reps, then `quota_attainment` — the same figures
the team board's bars and quota-fill routing read — for the week or month that contains
the period's last moment (today for a period running to today), on each rep's own clock."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from pools.money import currency_symbol
from pools.work.quotas import quota_attainment
from reports import charts
from reports.filters import ReportFilters
from reports.scope import scope_reps
from reports.tables import Column, Figure, ReportTable, Stat

CHART_BARS = 20


def _amount(value, label: str, q, rep: dict) -> Figure:
    """A quota's figure as the team board writes it: whole units, and a value quota's in
    the team's currency ("R$ 20 000")."""
    if q.counted:  # whole numbers, in the CSV too ("4", not "4.00")
        return Figure(int(value), label)
    return Figure(value, f"{currency_symbol(rep['team__currency'])} {label}".strip())


def quota_report(filters: ReportFilters) -> dict:
    reps = {r["user_id"]: r for r in scope_reps(filters)}
    at = min(filters.end - timedelta(microseconds=1), timezone.now())
    attainment = quota_attainment(user_ids=list(reps), at=at) if reps else {}
    rows = [
        {
            "label": rep["label"],
            "team__name": rep["team__name"],
            "metric": q.metric_label,
            "period": q.period_label,
            "actual": _amount(q.actual, q.actual_label, q, rep),
            "target": _amount(q.target, q.target_label, q, rep),
            "attained": q.actual / q.target,
            "met": "yes" if q.met else "no",
        }
        for user_id, rep in reps.items()
        for q in attainment.get(user_id, [])
    ]
    table = ReportTable(
        key="by_rep",
        title="Attainment per rep and quota",
        columns=[
            Column("label", "Rep", "text"),
            Column("team__name", "Team", "text", wide_only=True),
            Column("metric", "Quota", "text"),
            Column("period", "Period", "text", "The rep's own week or month."),
            Column("actual", "Actual", "number", wide_only=True),
            Column("target", "Target", "number", wide_only=True),
            Column("attained", "Attained", "share", "Actual over target."),
            Column("met", "Met", "text", wide_only=True),
        ],
        rows=rows,
        caption="Quotas are set per team (with a rep's own target overriding it) in the "
        "admin. The source filter does not apply: a quota counts all the rep's work.",
        empty="No quotas set for these reps.",
    )
    if rows:
        # The bars a manager acts on: the furthest behind first, at most CHART_BARS of them.
        shown = sorted(rows, key=lambda r: r["attained"])[:CHART_BARS]
        which = (
            f"the {len(shown)} furthest behind of {len(rows)}; " if len(shown) < len(rows) else ""
        )
        table.chart = charts.bar_chart(
            title=f"Attainment ({which}furthest behind first); the orange mark is the target, 100%",
            labels=[f"{r['label']} · {r['metric']} · {r['period']}" for r in shown],
            values=[float(r["attained"]) * 100 for r in shown],
            targets=[100.0] * len(shown),
            target_label="target",
            fmt=lambda v: f"{v:.0f}%",
        )
    met = sum(r["met"] == "yes" for r in rows)
    behind = sum(r["attained"] < 0.5 for r in rows)
    stats = [
        Stat("quotas", len(rows)),
        Stat("met", met),
        Stat("under half way", behind, alert=bool(behind)),
        Stat("reps with quotas", len({r["label"] for r in rows})),
    ]
    return {"stats": stats, "tables": {"by_rep": table}, "at": at}
