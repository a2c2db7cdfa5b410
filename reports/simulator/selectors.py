"""A finished replay's comparison — what really happened, the live rules, the draft —
built from the run's kept totals and a few grouped reads, and its per-lead rows filtered
for the table and the CSV. The fairness figure is the fairness report's Gini; the speed
figure the speed report's median (reports.simulator.predict)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import RepProfile, User
from pools.models import Pool
from reports import charts
from reports.fairness.selectors import gini
from reports.tables import duration
from routing.models import SimulationLead, SimulationRun

from .predict import FORMULA, HISTORY_DAYS, SPEED_FORMULA, VARIANTS, run_predictions

LABELS = {"really": "What really happened", "live": "Live rules", "draft": "Draft"}
SHORT_LABELS = {"really": "Really", "live": "Live", "draft": "Draft"}  # a phone's columns
TO_LABELS = {
    "assigned": "Rep",
    "pooled": "Pool",
    "skimming": "Skim queue",
    "offered": "Live offer",
}
SHORT_TO_LABELS = {"assigned": "Rep", "pooled": "Pool", "skimming": "Skim", "offered": "Offer"}
# The per-lead filter's outcomes: where the live rules or the draft put a lead.
OUTCOME_FILTERS = {
    "assigned": "Given to a rep",
    "pooled": "Sent to a pool",
    "skimming": "Sent to the skim queue",
    "offered": "Offered live",
    "fallback": "Placed by a fallback",
    "nobody": "Nobody could take it",
}


@dataclass(frozen=True)
class Figure:
    """One row of the side-by-side table: a figure for each placement."""

    label: str
    values: tuple[str, str, str]  # really, live, draft, as shown
    help: str = ""
    changed: bool = False  # the draft differs from the live rules


def rep_names(user_ids) -> dict[int, str]:
    ids = sorted({int(u) for u in user_ids if u is not None})
    return {
        u.pk: (f"{u.first_name} {u.last_name}".strip() or u.username)
        for u in User.objects.filter(pk__in=ids).only("first_name", "last_name", "username")
    }


def pool_names(pool_ids) -> dict[int, str]:
    ids = sorted({int(p) for p in pool_ids if p is not None})
    return dict(Pool.objects.filter(pk__in=ids).values_list("pk", "name"))


def _run_reps(run: SimulationRun) -> list[int]:
    """The reps a fair distribution is measured over: the run's team's active reps (every
    team's for a replay of all), and anyone a placement gave a lead to."""
    reps = RepProfile.objects.filter(user__is_active=True)
    if run.team_id is not None:
        reps = reps.filter(team_id=run.team_id)
    ids = set(reps.values_list("user_id", flat=True))
    for variant in VARIANTS:
        ids |= {int(k) for k in run.totals.get(variant, {}).get("per_rep", {})}
    return sorted(ids)


def _count(value) -> str:
    return "—" if value is None else f"{value:,}"


def _share(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def run_comparison(run: SimulationRun) -> dict:
    """Everything the finished run's page shows beside each other."""
    totals = run.totals
    predictions = run_predictions(run)
    reps = _run_reps(run)
    names = rep_names(reps)
    pools = pool_names(k for v in ("live", "draft") for k in totals.get(v, {}).get("pools", {}))
    per_rep = {
        v: {int(k): n for k, n in totals.get(v, {}).get("per_rep", {}).items()} for v in VARIANTS
    }
    caps = {
        v: {int(k): n for k, n in totals[v].get("cap_hits", {}).items()} for v in ("live", "draft")
    }
    ginis = {v: gini([per_rep[v].get(r, 0) for r in reps]) for v in VARIANTS}

    def outcome(v, key):
        return totals.get(v, {}).get("outcomes", {}).get(key, 0)

    def row(label, really, live, draft, help_text="", compare=True):
        return Figure(label, (really, live, draft), help_text, compare and live != draft)

    p = predictions
    figures = [
        row("Leads", *(_count(totals[v]["leads"]) for v in VARIANTS), compare=False),
        row("Given to a rep", *(_count(outcome(v, "assigned")) for v in VARIANTS)),
        row(
            "Gini, leads per rep",
            *("—" if ginis[v] is None else f"{ginis[v]:.3f}" for v in VARIANTS),
            f"The fairness report's figure over the {len(reps)} reps: 0 = every rep the same "
            "number of leads, towards 1 = one rep everything.",
        ),
        row(
            "Cap hits",
            "—",
            *(_count(sum(caps[v].values())) for v in ("live", "draft")),
            "Times a rep was left out of a lead by a daily, weekly or monthly cap or an "
            "untouched-leads limit (not recorded for what really happened).",
        ),
        row("Sent to a pool", *(_count(outcome(v, "pooled")) for v in VARIANTS)),
        row("Sent to the skim queue", *(_count(outcome(v, "skimming")) for v in VARIANTS)),
        row("Offered live", *(_count(outcome(v, "offered")) for v in VARIANTS)),
        row(
            "Placed by a fallback",
            "—",
            *(_count(totals[v]["fallbacks"]) for v in ("live", "draft")),
            "A rule's fallback (another rule, a pool, the skim queue) placed the lead.",
        ),
        row(
            "Nobody could take it",
            "—",
            *(_count(totals[v]["nobody"]) for v in ("live", "draft")),
            "No rep was eligible: the lead ended in a pool or skim queue through a fallback.",
        ),
        row(
            "Predicted conversion",
            *(_share(p[v].conversion) for v in VARIANTS),
            FORMULA,
        ),
        row(
            "Predicted wins",
            *("—" if p[v].expected_won is None else f"{p[v].expected_won:,.1f}" for v in VARIANTS),
        ),
        row(
            "Predicted speed to lead",
            *("—" if p[v].speed is None else duration(p[v].speed) for v in VARIANTS),
            SPEED_FORMULA,
        ),
        row(
            "Placed otherwise than by the live rules",
            "—",
            "—",
            _count(totals.get("changed")),
            "Leads the draft gave another rep, pool or queue than the live rules did.",
            compare=False,
        ),
        row(
            "Same as really happened",
            "—",
            *(_count(totals[v]["same_as_recorded"]) for v in ("live", "draft")),
            "Leads placed where the recorded first decision placed them (same place, same rep).",
        ),
    ]
    rep_rows = []
    for rep_id in reps:
        counts = [per_rep[v].get(rep_id, 0) for v in VARIANTS]
        rep_rows.append(
            {
                "rep_id": rep_id,
                "label": names.get(rep_id, f"User {rep_id}"),
                "really": counts[0],
                "live": counts[1],
                "draft": counts[2],
                "delta": counts[2] - counts[1],
                "caps_live": caps["live"].get(rep_id, 0),
                "caps_draft": caps["draft"].get(rep_id, 0),
            }
        )
    rep_rows.sort(key=lambda r: (-max(r["really"], r["live"], r["draft"]), r["label"]))
    top = max((max(r["really"], r["live"], r["draft"]) for r in rep_rows), default=0)
    shown = rep_rows[:15]
    rep_charts = [
        (
            v,
            LABELS[v],
            charts.bar_chart(
                title=f"Leads per rep: {LABELS[v].lower()}",
                labels=[r["label"] for r in shown],
                values=[r[v] for r in shown],
                top=top,
            ),
        )
        for v in VARIANTS
    ]
    outcome_chart = charts.stacked_bar_chart(
        title="Where the leads went",
        labels=[LABELS[v] for v in VARIANTS],
        # Short series names: four legends share a phone's width.
        series=[
            charts.Series(name, [outcome(v, k) for v in VARIANTS])
            for k, name in SHORT_TO_LABELS.items()
        ],
        share=True,
    )
    pool_rows = [
        {
            "label": name,
            "live": totals["live"].get("pools", {}).get(str(pk), 0),
            "draft": totals["draft"].get("pools", {}).get(str(pk), 0),
        }
        for pk, name in sorted(pools.items(), key=lambda kv: kv[1])
    ]
    return {
        "figures": figures,
        "labels": [(LABELS[v], SHORT_LABELS[v]) for v in VARIANTS],
        "rep_rows": rep_rows,
        "rep_charts": rep_charts,
        "rep_chart_more": max(len(rep_rows) - len(shown), 0),
        "outcome_chart": outcome_chart,
        "pool_rows": pool_rows,
        "predictions": predictions,
        "speed_unknown": {v: predictions[v].speed_unknown for v in VARIANTS},
        "formulas": (FORMULA, SPEED_FORMULA),
        "history_days": HISTORY_DAYS,
        "names": names,
        "pools": pools,
    }


def run_leads(
    run: SimulationRun, *, changed: bool = False, rep: int | None = None, outcome: str = ""
) -> QuerySet[SimulationLead]:
    """The run's per-lead rows in arrival order, filtered: only those the draft placed
    otherwise, those of a rep (really, by the live rules or by the draft), those one of the
    two sets placed a given way."""
    rows = SimulationLead.objects.filter(run=run)
    if changed:
        rows = rows.filter(changed=True)
    if rep is not None:
        rows = rows.filter(Q(really_rep_id=rep) | Q(live_rep_id=rep) | Q(draft_rep_id=rep))
    if outcome in ("fallback", "nobody"):
        rows = rows.filter(Q(**{f"live_{outcome}": True}) | Q(**{f"draft_{outcome}": True}))
    elif outcome:
        rows = rows.filter(Q(live_to=outcome) | Q(draft_to=outcome))
    return rows.order_by("at", "lead_id")


def placement(to: str, rep_id: int | None, pool_id: int | None, names, pools) -> str:
    """How a placement reads: the rep's name, “Pool: Inbound”, “Skim queue”, “Live offer”."""
    if not to:
        return "—"
    if to == "assigned":
        return names.get(rep_id, f"User {rep_id}") if rep_id else "Rep"
    if to == "pooled":
        return f"Pool: {pools.get(pool_id, pool_id)}" if pool_id else "Pool"
    return TO_LABELS.get(to, to)


LEAD_FIELDS = (
    "lead_id",
    "lead__first_name",
    "lead__last_name",
    "lead__company",
    "at",
    "really_to",
    "really_rep_id",
    "live_to",
    "live_rep_id",
    "live_pool_id",
    "live_rule",
    "live_fallback",
    "live_nobody",
    "draft_to",
    "draft_rep_id",
    "draft_pool_id",
    "draft_rule",
    "draft_fallback",
    "draft_nobody",
    "changed",
)


def lead_rows(rows: list[dict], *, names: dict, pools: dict) -> list[dict]:
    """Rows of `LEAD_FIELDS` as the table shows them."""
    out = []
    for r in rows:
        name = f"{r['lead__first_name']} {r['lead__last_name']}".strip()
        out.append(
            r
            | {
                "name": name or r["lead__company"] or f"Lead #{r['lead_id']}",
                "really": placement(r["really_to"], r["really_rep_id"], None, names, pools),
                "live": placement(r["live_to"], r["live_rep_id"], r["live_pool_id"], names, pools),
                "draft": placement(
                    r["draft_to"], r["draft_rep_id"], r["draft_pool_id"], names, pools
                ),
            }
        )
    return out


CSV_HEADER = [
    "lead id",
    "lead",
    "arrived (UTC)",
    "really went to",
    "live rules",
    "live rule",
    "live fallback",
    "live nobody",
    "draft",
    "draft rule",
    "draft fallback",
    "draft nobody",
    "changed",
]


def run_csv_rows(rows: QuerySet[SimulationLead], *, run: SimulationRun) -> Iterator[list]:
    """The header, then one line per lead: read in chunks (a month of leads streams without
    being held), rep and pool names from two reads made first."""
    totals = run.totals
    names = rep_names(k for v in VARIANTS for k in totals.get(v, {}).get("per_rep", {}))
    pools = pool_names(k for v in ("live", "draft") for k in totals.get(v, {}).get("pools", {}))
    yield CSV_HEADER
    for r in rows.values(*LEAD_FIELDS).iterator(chunk_size=2000):
        (shown,) = lead_rows([r], names=names, pools=pools)
        yield [
            r["lead_id"],
            shown["name"],
            r["at"].strftime("%Y-%m-%d %H:%M:%S"),
            shown["really"],
            shown["live"],
            r["live_rule"],
            "yes" if r["live_fallback"] else "no",
            "yes" if r["live_nobody"] else "no",
            shown["draft"],
            r["draft_rule"],
            "yes" if r["draft_fallback"] else "no",
            "yes" if r["draft_nobody"] else "no",
            "yes" if r["changed"] else "no",
        ]
