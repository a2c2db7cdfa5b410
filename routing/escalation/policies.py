"""Which policy governs a lead, when its steps fall due, and how the admin says it in words.
Read once per sweep batch (a few small tables), matched in Python per lead."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from accounts.models import RepProfile
from pools.lifecycle import LeadState
from pools.models import Lead

from ..models import PoolAgingPolicy, SlaPolicy, SlaStep
from ..rules.lineage import rule_families
from .models import minutes_label

# What an SLA policy watches: an owned lead nobody has touched yet. Written twice, side by
# side, for the two ways it is asked: of a locked lead (the sweep) and of the table (the
# re-arm's UPDATE, routing.escalation.rearm).
UNTOUCHED_OWNED = Q(
    status=LeadState.ASSIGNED,
    first_touch_at__isnull=True,
    owner__isnull=False,
    assigned_at__isnull=False,
)


def untouched_owned(lead: Lead) -> bool:
    return (
        lead.status == LeadState.ASSIGNED
        and lead.first_touch_at is None
        and lead.owner_id is not None
        and lead.assigned_at is not None
    )


@dataclass
class Policies:
    sla: dict[int, list[SlaPolicy]]  # team id -> its active policies, narrowest first
    aging: dict[int, PoolAgingPolicy]  # pool id -> its active aging policy
    # policy's rule id -> the same rule in every set (routing.rules.lineage): a promotion
    # or a rollback re-points the policy, and the leads the rule's other selves placed
    # stay covered.
    lineage: dict[int, set[int]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Policies:
        sla: dict[int, list[SlaPolicy]] = {}
        for policy in SlaPolicy.objects.filter(is_active=True).prefetch_related("steps"):
            sla.setdefault(policy.team_id, []).append(policy)
        for policies in sla.values():
            policies.sort(key=lambda p: (-p.specificity, p.pk))
        aging = {
            p.pool_id: p
            for p in PoolAgingPolicy.objects.filter(is_active=True).select_related("rule")
        }
        named = sorted({p.rule_id for ps in sla.values() for p in ps if p.rule_id})
        return cls(sla=sla, aging=aging, lineage=rule_families(rule_ids=named))

    def for_lead(self, *, team_id: int | None, rule_id: int | None, source_id, score: int):
        """The narrowest active policy of the lead's team that fits it, or None."""
        for policy in self.sla.get(team_id, ()):
            if policy.rule_id is not None and rule_id not in self.lineage.get(
                policy.rule_id, {policy.rule_id}
            ):
                continue
            if policy.source_id is not None and policy.source_id != source_id:
                continue
            if policy.min_score is not None and score < policy.min_score:
                continue
            if policy.max_score is not None and score > policy.max_score:
                continue
            return policy
        return None


def step_due_at(
    *, policy: SlaPolicy, step: SlaStep, assigned_at: datetime, owner: RepProfile | None
) -> datetime:
    """When `step` falls due for a lead assigned at `assigned_at`: wall-clock minutes, or
    the owner's working minutes in their time zone (RepProfile.working_deadline)."""
    if policy.working_hours_only and owner is not None:
        return owner.working_deadline(assigned_at, step.after_minutes)
    return assigned_at + timedelta(minutes=step.after_minutes)


def policy_summary(policy: SlaPolicy) -> str:
    """The policy in plain words, for the admin's list and form."""
    scope = [f"leads of {policy.team}"]
    if policy.rule_id:
        scope.append(f"placed by “{policy.rule}”")
    if policy.source_id:
        scope.append(f"from {policy.source}")
    if policy.min_score is not None and policy.max_score is not None:
        scope.append(f"scoring {policy.min_score}–{policy.max_score}")
    elif policy.min_score is not None:
        scope.append(f"scoring {policy.min_score} or more")
    elif policy.max_score is not None:
        scope.append(f"scoring {policy.max_score} or less")
    clock = " of working time" if policy.working_hours_only else ""
    steps = list(policy.steps.all())
    if not steps:
        return f"For {' '.join(scope)}: no steps yet, so nothing happens."
    words = {
        SlaStep.Action.REMIND: "remind the owner",
        SlaStep.Action.REASSIGN: "reassign to the next eligible rep by the lead's rule",
        SlaStep.Action.SKIM: "send it to the manager's skim queue",
        SlaStep.Action.NOTIFY_MANAGER: "notify the team's managers",
    }
    parts = []
    for step in steps:
        what = (
            f"send it back to pool {step.pool}"
            if step.action == SlaStep.Action.POOL
            else words[step.action]
        )
        parts.append(f"after {minutes_label(step.after_minutes)}{clock} untouched, {what}")
    text = f"For {' '.join(scope)}: " + "; ".join(parts) + "."
    if any(s.action == SlaStep.Action.REASSIGN for s in steps):
        text += (
            f" After {policy.max_reassignments} reassignment"
            f"{'s' if policy.max_reassignments != 1 else ''} the lead parks in the skim queue."
        )
    if policy.working_hours_only:
        text += " Only the owner's working hours count, in their time zone."
    return text


def aging_summary(policy: PoolAgingPolicy) -> str:
    """A pool aging policy in plain words, for the admin's list and form."""
    if policy.action == PoolAgingPolicy.Action.SKIM:
        what = "send it to the manager's skim queue"
    elif policy.rule_id:
        what = f"route it by “{policy.rule}”"
    else:
        what = "route it by the first live rule that matches, as at intake"
    text = f"A lead unclaimed in {policy.pool} for {minutes_label(policy.after_minutes)}: {what}."
    return text if policy.is_active else f"Inactive. {text}"
