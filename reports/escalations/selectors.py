"""The escalation report's figures. Three records answer it, each a GROUP BY:

- the `escalated` lead events (routing.escalation.sweep logs one per step it applies,
  with `{"policy", "step", "action"}` — or `{"pool_aging", "action"}` — in `data`);
- `Lead.reassignments`: a "reassign" step moves the lead through the routing engine,
  whose event is a routing one, so the counter is the record of those;
- the notifications the sweep sends a rep (a reminder; a lead taken away), which name
  the rep who had the lead — the events do not.
"""

from __future__ import annotations

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from pools.models import LeadEvent
from reports import charts
from reports.filters import ReportFilters
from reports.tables import Column, ReportTable, Stat, rate
from routing.models import Notification, SlaPolicy, SlaStep

ESCALATED = LeadEvent.Kind.ESCALATED
N = Notification.Kind
ACTIONS = dict(SlaStep.Action.choices)
# An SLA step's event names its policy; a pool-aging event does not.
SLA_EVENT = Q(data__has_key="policy")


def by_action(filters: ReportFilters, *, reassigned: int) -> ReportTable:
    """Escalation steps applied to the period's leads, by policy and action; the reassign
    steps the engine carried out (not events, see above) as a row of their own."""
    policy_name = SlaPolicy.objects.filter(pk=OuterRef("policy_id")).values("name")[:1]
    rows = (
        LeadEvent.objects.filter(filters.lead_q("lead__"), kind=ESCALATED)
        .annotate(
            policy_id=Cast(KeyTextTransform("policy", "data"), BigIntegerField()),
            action=KeyTextTransform("action", "data"),
            policy=Coalesce(Subquery(policy_name), Value("")),
            aging=KeyTextTransform("pool_aging", "data"),
        )
        .values("policy", "action", "aging")
        .annotate(steps=Count("id"), leads=Count("lead_id", distinct=True))
        .order_by("-steps", "policy", "action")
    )
    out = []
    for r in rows:
        if r["aging"] is not None:
            label, action = "Pool aging", "Unclaimed in a pool: sent to the skim queue"
        else:
            label = r["policy"] or "A deleted policy"
            action = ACTIONS.get(r["action"], r["action"])
            if r["action"] == SlaStep.Action.REASSIGN:  # logged only when it parks the lead
                action = "Parked in the skim queue (reassigned too often)"
        out.append({"label": label, "action": action, "steps": r["steps"], "leads": r["leads"]})
    if reassigned:
        out.append(
            {
                "label": "Any policy",
                "action": ACTIONS[SlaStep.Action.REASSIGN],
                "steps": reassigned,
                "leads": None,
            }
        )
        out.sort(key=lambda r: -r["steps"])
    return ReportTable(
        key="by_action",
        title="Escalations by policy and action",
        columns=[
            Column("label", "Policy", "text"),
            Column("action", "Action", "text"),
            Column("steps", "Times", help="Steps applied."),
            Column("leads", "Leads", help="Distinct leads they were applied to."),
        ],
        rows=out,
        caption="Steps the escalation sweep applied to the period's leads. Reassignments "
        "are counted on the lead, not per policy.",
        empty="Nothing was escalated for this period's leads.",
    )


def by_rep(filters: ReportFilters) -> ReportTable:
    """Per rep: reminders received and leads taken away for not touching them."""
    rows = list(
        Notification.objects.filter(
            filters.lead_q("lead__"), kind__in=[N.REMINDER, N.REASSIGNED_AWAY]
        )
        .values("user_id", "user__first_name", "user__last_name", "user__username")
        .annotate(
            reminders=Count("id", filter=Q(kind=N.REMINDER)),
            taken=Count("id", filter=Q(kind=N.REASSIGNED_AWAY)),
            leads=Count("lead_id", distinct=True),
        )
        .order_by("-taken", "-reminders", "user__username")
    )
    for r in rows:
        full = f"{r['user__first_name']} {r['user__last_name']}".strip()
        r["label"] = full or r["user__username"]
    table = ReportTable(
        key="by_rep",
        title="By rep",
        columns=[
            Column("label", "Rep", "text"),
            Column("reminders", "Reminders", help="“A lead waits for its first touch.”"),
            Column(
                "taken",
                "Leads taken away",
                help="Reassigned, sent back to a pool or to the skim queue untouched.",
            ),
            Column("leads", "Leads", help="Distinct leads either was about.", wide_only=True),
        ],
        rows=rows,
        caption="The rep who owned the lead when the step came due.",
        empty="No rep was reminded or lost a lead for this period.",
    )
    table.chart = charts.bar_chart(
        title="Leads taken away by rep",
        labels=[r["label"] for r in rows[:12]],
        values=[r["taken"] for r in rows[:12]],
    )
    return table


def breaches(filters: ReportFilters) -> tuple[ReportTable, dict]:
    """Of the period's leads that reached an owner, those that breached their SLA's first
    step: any SLA step applied (the first comes first) or a reassignment, by team."""
    breached = Exists(LeadEvent.objects.filter(SLA_EVENT, lead=OuterRef("pk"), kind=ESCALATED)) | Q(
        reassignments__gt=0
    )
    figures = {
        "owned": Count("id"),
        "breached": Count("id", filter=breached),
        "reassigned": Count("id", filter=Q(reassignments__gt=0)),
        "reassignments": Coalesce(Sum("reassignments"), Value(0), output_field=IntegerField()),
    }
    owned = filters.leads().filter(assigned_at__isnull=False)
    # A team with no policy breaches nothing: its rate is no figure ("—"), not 0 %. Covered:
    # an active policy now, or breaches in the period (a policy switched off since).
    active = set(SlaPolicy.objects.filter(is_active=True).values_list("team_id", flat=True))
    rows = [
        r
        | (
            {"share": rate(r["breached"], r["owned"]), "label": r["team__name"], "covered": True}
            if r["team_id"] in active or r["breached"]
            else {
                "share": None,
                "label": f"{r['team__name'] or 'No team'} (no SLA policy)",
                "covered": False,
            }
        )
        for r in owned.values("team_id", "team__name").annotate(**figures).order_by("team__name")
    ]
    # Counts add up across teams: the total is their sum, not a second pass over the leads;
    # the rate is over the covered teams' leads alone.
    totals = {key: sum(r[key] for r in rows) for key in figures}
    covered = [r for r in rows if r["covered"]]
    totals |= {
        "share": rate(sum(r["breached"] for r in covered), sum(r["owned"] for r in covered)),
        "label": "All",
    }
    table = ReportTable(
        key="breaches",
        title="First SLA step breached",
        columns=[
            Column("label", "Team", "text"),
            Column("owned", "Reached an owner"),
            Column("breached", "Breached", wide_only=True),
            Column("share", "Breach rate", "share", "Breached ÷ reached an owner."),
            Column(
                "reassigned",
                "Reassigned",
                help="Leads taken from an owner who never touched them and given to another rep.",
                wide_only=True,
            ),
        ],
        rows=rows,
        totals=totals if len(rows) > 1 else None,
        caption="A lead breached when its owner left it untouched past the first step of "
        "its SLA policy (a reminder, an alert, a reassignment or a move).",
        empty="No lead of this period reached an owner.",
    )
    return table, totals


def escalation_report(filters: ReportFilters) -> dict:
    breach_table, totals = breaches(filters)
    actions = by_action(filters, reassigned=totals["reassignments"])
    reps = by_rep(filters)
    stats = [
        Stat("reached an owner", totals["owned"]),
        Stat("breached the first SLA step", totals["share"], "share", alert=totals["breached"] > 0),
        Stat("leads reassigned for being untouched", totals["reassigned"]),
        Stat("reassignments", totals["reassignments"]),
    ]
    tables = {t.key: t for t in (breach_table, actions, reps)}
    return {"stats": stats, "tables": tables}
