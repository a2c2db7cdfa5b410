"""Predicted conversion and speed to lead of a replay's placements, from each rep's history
before the replayed period.

- Conversion: a lead given to rep r, from source s, converts with r's won rate on s's leads
  over the HISTORY_DAYS before the period, smoothed toward s's rate over all reps — the top
  performer method's formula (routing.strategies.top_performer.smoothed_rate):
  (won_rs + m·rate_s) / (closed_rs + m), m = PRIOR_WEIGHT, closed = won + lost. A
  placement's predicted conversion is the average over the leads it gives a rep.
- Speed to lead: each rep's median time from assignment to first touch over the same days
  (the speed report's figure); a placement's is the median over the leads it gives a rep
  (each lead counting its rep's median).

Two grouped reads of history, one per placement: the cost does not grow with the leads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from pools.lifecycle import LeadState
from pools.models import Lead
from reports.speed.selectors import FIGURES as SPEED_FIGURES
from reports.tables import rate
from routing.models import SimulationLead, SimulationRun
from routing.strategies.top_performer import smoothed_rate

HISTORY_DAYS = 180
PRIOR_WEIGHT = 5  # the top performer method's default minimum sample
VARIANTS = ("really", "live", "draft")
FORMULA = (
    f"Predicted conversion: for every lead given to a rep, that rep's won rate on leads of the "
    f"same source over the {HISTORY_DAYS} days before the period, smoothed toward the "
    f"source's rate over every rep: (won + {PRIOR_WEIGHT} × source rate) ÷ (won + lost + "
    f"{PRIOR_WEIGHT}) — averaged over the leads given to a rep. A rep with few closed leads "
    "stays near the source's rate."
)
SPEED_FORMULA = (
    f"Predicted speed to lead: each rep's median time from assignment to first touch over the "
    f"{HISTORY_DAYS} days before the period; the figure is the median over the leads given "
    "to a rep (each lead counting its rep's median). Leads whose rep touched nothing then "
    "are left out and counted."
)


@dataclass(frozen=True)
class History:
    """Closed leads per (rep, source), per source, and each rep's median first touch."""

    won: dict[tuple[int, int | None], int]
    closed: dict[tuple[int, int | None], int]
    source_rate: dict[int | None, float]
    overall_rate: float
    median_touch: dict[int, float]  # rep -> seconds

    @property
    def any_closed(self) -> bool:
        """Without a single closed lead there is nothing to predict from."""
        return bool(self.closed)

    def conversion(self, rep_id: int, source_id: int | None) -> float:
        prior = self.source_rate.get(source_id, self.overall_rate)
        key = (rep_id, source_id)
        return smoothed_rate(
            won=self.won.get(key, 0),
            closed=self.closed.get(key, 0),
            prior=prior,
            min_sample=PRIOR_WEIGHT,
        )


def rep_history(*, before: datetime) -> History:
    """Every rep's closed leads and first-touch median over the HISTORY_DAYS before
    `before` (the leads' current owners, as the conversion and speed reports count)."""
    window = Lead.objects.real().filter(
        created_at__gte=before - timedelta(days=HISTORY_DAYS),
        created_at__lt=before,
        owner__isnull=False,
    )
    won, closed = {}, {}
    by_source: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        window.filter(status__in=(LeadState.WON, LeadState.LOST))
        .values("owner_id", "source_id")
        .annotate(won=Count("id", filter=Q(status=LeadState.WON)), closed=Count("id"))
        .order_by()
    )
    for r in rows:
        key = (r["owner_id"], r["source_id"])
        won[key], closed[key] = r["won"], r["closed"]
        by_source[r["source_id"]][0] += r["won"]
        by_source[r["source_id"]][1] += r["closed"]
    all_won = sum(w for w, _ in by_source.values())
    all_closed = sum(c for _, c in by_source.values())
    median = dict(
        window.values("owner_id")
        .annotate(p50=SPEED_FIGURES["assigned_p50"])
        .filter(p50__isnull=False)
        .order_by()
        .values_list("owner_id", "p50")
    )
    return History(
        won=won,
        closed=closed,
        source_rate={s: w / c for s, (w, c) in by_source.items() if c},
        overall_rate=all_won / all_closed if all_closed else 0.0,
        median_touch=median,
    )


@dataclass(frozen=True)
class Prediction:
    assigned: int  # leads given to a rep
    expected_won: float | None
    conversion: float | None  # expected won ÷ assigned
    speed: float | None  # seconds: the median of the reps' medians over the leads
    speed_unknown: int  # assigned leads whose rep has no touch history


def _weighted_median(pairs: list[tuple[float, int]]) -> float | None:
    """The median of values each repeated `n` times (the middle one, the lower of two)."""
    total = sum(n for _, n in pairs)
    if not total:
        return None
    middle, seen = (total + 1) // 2, 0
    for value, n in sorted(pairs):
        seen += n
        if seen >= middle:
            return value
    return None  # unreachable


def run_predictions(run: SimulationRun, history: History | None = None) -> dict[str, Prediction]:
    """The three placements' predicted conversion and speed: what really happened, the live
    rules and the draft. One grouped query per placement (and two for the history)."""
    history = history or rep_history(before=run.start)
    out = {}
    for variant in VARIANTS:
        counts = (
            SimulationLead.objects.filter(
                run=run, **{f"{variant}_to": LeadState.ASSIGNED, f"{variant}_rep__isnull": False}
            )
            .values_list(f"{variant}_rep_id", "lead__source_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        assigned, expected = 0, 0.0
        speeds: dict[float, int] = defaultdict(int)
        unknown = 0
        for rep_id, source_id, n in counts:
            assigned += n
            expected += n * history.conversion(rep_id, source_id)
            if rep_id in history.median_touch:
                speeds[history.median_touch[rep_id]] += n
            else:
                unknown += n
        predicted = assigned and history.any_closed
        out[variant] = Prediction(
            assigned=assigned,
            expected_won=expected if predicted else None,
            conversion=rate(expected, assigned) if predicted else None,
            speed=_weighted_median(list(speeds.items())),
            speed_unknown=unknown,
        )
    return out
