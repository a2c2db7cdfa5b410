"""The A/B report's figures: both arms' counts in one GROUP BY (the arm an expression of
the lead), then a z-test per metric.

A lead's rule and method are those of the routing decision that first placed it (a lead
later reassigned stays in the arm that first placed it)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Case, CharField, Count, F, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import Lead
from reports.filters import ReportFilters
from reports.scope import team_source_q
from reports.tables import Column, Figure, ReportTable, rate
from routing.models import RoutingDecision

from .forms import METHODS
from .stats import Metric, ZTest, compare

FAST = timedelta(minutes=5)
OWNED = Q(owner__isnull=False)
# The speed-to-lead report's "within 5 min": first touched within 5 minutes of assignment;
# an owned lead never touched counts as not.
FAST_Q = OWNED & Q(first_touch_at__isnull=False, first_touch_at__lte=F("assigned_at") + FAST)
FIGURES = {
    "leads": Count("id"),
    "won": Count("id", filter=Q(status=LeadState.WON)),
    "owned": Count("id", filter=OWNED),
    "fast": Count("id", filter=FAST_Q),
}
CONVERSION = Metric("Conversion", "converts", "better", "worse")
SPEED = Metric("Speed to lead", "reaches its leads within 5 minutes", "more often", "less often")


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _first_decision(field: str) -> Subquery:
    """The lead's first routing decision's `field` (its rule or method)."""
    named = Q(rule__isnull=False) if field == "rule_id" else ~Q(method="")
    return Subquery(
        RoutingDecision.objects.filter(named, lead=OuterRef("pk"))
        .order_by("created_at", "id")
        .values(field)[:1]
    )


def arms(filters: ReportFilters, arms_data: dict[str, Any]) -> tuple[list[dict], list[str]]:
    """Both arms' counts (A first) and their labels."""
    kind = arms_data["compare"]
    if kind == "periods":
        spans = {
            arm: (
                _day_start(arms_data[f"{arm}_start"]),
                _day_start(arms_data[f"{arm}_end"]) + timedelta(days=1),
            )
            for arm in ("a", "b")
        }
        leads = Lead.objects.filter(team_source_q(filters))
        arm = Case(
            *(
                When(created_at__gte=start, created_at__lt=end, then=Value(name))
                for name, (start, end) in spans.items()
            ),
            output_field=CharField(),
        )
        labels = [
            f"{arms_data[f'{a}_start']:%-d %b %Y} – {arms_data[f'{a}_end']:%-d %b %Y}"
            for a in ("a", "b")
        ]
        leads = leads.filter(
            Q(created_at__gte=spans["a"][0], created_at__lt=spans["a"][1])
            | Q(created_at__gte=spans["b"][0], created_at__lt=spans["b"][1])
        )
    else:
        field, key = ("rule_id", "rule") if kind == "rules" else ("method", "method")
        a, b = arms_data[f"{key}_a"], arms_data[f"{key}_b"]
        values = (a.pk, b.pk) if kind == "rules" else (a, b)
        leads = filters.leads().annotate(first=_first_decision(field)).filter(first__in=values)
        arm = Case(
            When(first=values[0], then=Value("a")),
            When(first=values[1], then=Value("b")),
            output_field=CharField(),
        )
        names = dict(METHODS)
        labels = [a.name, b.name] if kind == "rules" else [names[a], names[b]]
    counts = {
        r["arm"]: r for r in leads.annotate(arm=arm).values("arm").annotate(**FIGURES).order_by()
    }
    empty = dict.fromkeys(FIGURES, 0)
    rows = []
    for name, label in zip(("a", "b"), labels, strict=True):
        row = {k: counts.get(name, empty)[k] for k in FIGURES}
        rows.append(
            row
            | {
                "label": f"{name.upper()}: {label}",
                "win_rate": rate(row["won"], row["leads"]),
                "fast_share": rate(row["fast"], row["owned"]),
            }
        )
    return rows, labels


def ab_report(filters: ReportFilters, arms_data: dict[str, Any] | None) -> dict:
    if arms_data is None:
        return {"tables": {}, "tests": []}
    rows, labels = arms(filters, arms_data)
    a, b = rows
    tests = [
        compare(
            metric=CONVERSION, hits_a=a["won"], n_a=a["leads"], hits_b=b["won"], n_b=b["leads"]
        ),
        compare(metric=SPEED, hits_a=a["fast"], n_a=a["owned"], hits_b=b["fast"], n_b=b["owned"]),
    ]
    arms_table = ReportTable(
        key="arms",
        title="The two arms",
        columns=[
            Column("label", "Arm", "text"),
            Column("leads", "Leads"),
            Column("won", "Won", wide_only=True),
            Column("win_rate", "Conversion", "share", "Won ÷ leads."),
            Column("owned", "Owned", wide_only=True),
            Column("fast", "Within 5 min", wide_only=True),
            Column(
                "fast_share",
                "Touched in 5 min",
                "share",
                "Speed to lead: the share of owned leads first touched within 5 minutes of "
                "assignment.",
            ),
        ],
        rows=rows,
    )
    tests_table = ReportTable(
        key="tests",
        title="Is the difference real?",
        columns=[
            Column("metric", "Metric", "text"),
            Column("a", "A", "share", wide_only=True),
            Column("b", "B", "share", wide_only=True),
            Column("points", "B − A (points)", "number"),
            Column("z", "z", "number", wide_only=True),
            Column("p_value", "p-value", "number", "Two-sided, two-proportion z-test."),
            Column("verdict", "In words", "text", wide_only=True),
        ],
        rows=[_test_row(m, t) for m, t in zip((CONVERSION, SPEED), tests, strict=True)],
        caption="A two-proportion z-test with a pooled standard error; p is the chance of a "
        "difference at least this large if A and B were really the same.",
    )
    return {
        "tables": {"arms": arms_table, "tests": tests_table},
        "tests": list(zip((CONVERSION, SPEED), tests, strict=True)),
        "labels": labels,
    }


def _p(p: float) -> Figure:
    """A p-value that reads as the sentence's: "< 0.001" rather than a rounded "0"; the CSV
    keeps it to three significant digits."""
    return Figure(float(f"{p:.3g}"), "< 0.001" if p < 0.001 else f"{p:.3f}")


def _test_row(metric: Metric, test: ZTest) -> dict:
    return {
        "metric": metric.name,
        "a": test.p_a,
        "b": test.p_b,
        # One decimal, as the sentence beside it says it ("17.0 points").
        "points": None
        if test.points is None
        else Figure(round(test.points, 1), f"{test.points:.1f}"),
        "z": None if test.z is None else round(test.z, 3),
        "p_value": None if test.p_value is None else _p(test.p_value),
        "verdict": test.verdict,
    }
