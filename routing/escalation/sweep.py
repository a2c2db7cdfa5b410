"""The escalation sweep: every lead whose `escalation_due_at` has come, one step each.

Beat runs `escalation_sweep_run` every SWEEP_INTERVAL_SECONDS. It takes due leads in
batches with FOR UPDATE SKIP LOCKED, so two sweeps at once share the work instead of
doing it twice, and a touch holding a lead's row (pools.work.services) is simply left to
the next sweep — which then finds nothing pending. Each visit either applies the lead's
next step or, on a lead that just changed hands, reads its policy and sets the step's
time; then it sets the next due time. A killed worker's batch rolls back and is due again
at the next sweep.

Reminders and manager alerts — the bulk of any sweep — are written for the whole batch
at once (events, notifications, due times: a constant number of statements); a batch's
reassignments and pool-aged reroutes go through the engine together (one read of the
reps' facts, one engine call per transaction), and the other moves (pool, skim) through
`lead_transition` one by one.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import RepProfile, Team
from leadroute.shared.sql import run_batch
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.services import lead_transition

from ..engine import Reroute, leads_reroute
from ..models import Notification, PoolAgingPolicy, RoutingDecision, SlaPolicy, SlaStep
from .models import minutes_label
from .notify import Notice, notify
from .policies import Policies, step_due_at, untouched_owned

logger = logging.getLogger(__name__)
Kind = Notification.Kind
A = SlaStep.Action


def escalation_sweep_run(*, batch_size: int | None = None) -> dict:
    """Apply every due step, a batch per transaction, until none is due."""
    size = batch_size or settings.ESCALATION_BATCH
    totals: Counter = Counter()
    while True:
        with transaction.atomic():
            now = timezone.now()
            leads = list(
                Lead.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("pool")
                .filter(escalation_due_at__lte=now)
                .order_by("escalation_due_at", "id")[:size]
            )
            if not leads:
                break
            totals.update(leads_escalate(leads=leads, now=now))
        if len(leads) < size:
            break
    return dict(totals)


class _Batch:
    """What one batch writes at the end: due times, events, notices."""

    def __init__(self, now: datetime):
        self.now = now
        self.due: list[tuple[Lead, datetime | None, int]] = []
        self.events: list[LeadEvent] = []
        self.notices: list[Notice] = []
        self.done: Counter = Counter()
        # Leads placed again, routed together once every lead is visited: (reroute, what
        # the owner left untouched), or (reroute, None) for a lead aged out of its pool.
        # One engine call per transaction: the engine locks reps' profiles in id order
        # within a call, so two calls in one transaction could deadlock with a router.
        self.reroutes: list[tuple[Reroute, str | None]] = []

    def plan(self, lead: Lead, due: datetime | None, step: int) -> None:
        self.due.append((lead, due, step))

    def write(self) -> None:
        if self.due:
            run_batch([_due_update_sql(self.due)])
        LeadEvent.objects.bulk_create(self.events)
        notify(notices=self.notices)


def leads_escalate(*, leads: list[Lead], now: datetime) -> Counter:
    """One visit to each of `leads` (locked by the caller, due at `now`)."""
    policies = Policies.load()
    owned = {lead.pk: lead for lead in leads if untouched_owned(lead)}
    rules = original_rules(lead_ids=list(owned))
    profiles = {
        p.user_id: p
        for p in RepProfile.objects.filter(user_id__in={lead.owner_id for lead in owned.values()})
        .select_related("user")
        .order_by()
    }
    managers = team_managers(
        team_ids={lead.team_id for lead in owned.values() if lead.team_id},
        policies=policies,
    )
    batch = _Batch(now)
    for lead in leads:
        if lead.status == LeadState.POOLED:
            _pool_visit(batch, lead, policies.aging.get(lead.pool_id))
        elif lead.pk in owned:
            policy = policies.for_lead(
                team_id=lead.team_id,
                rule_id=rules.get(lead.pk),
                source_id=lead.source_id,
                score=lead.score,
            )
            _owned_visit(
                batch,
                lead,
                policy=policy,
                rule_id=rules.get(lead.pk),
                owner=profiles.get(lead.owner_id),
                managers=managers.get(lead.team_id, ()),
            )
        else:  # touched, closed, moved on: nothing pending
            batch.plan(lead, None, lead.escalation_step)
            batch.done["cleared"] += 1
    _reroute_all(batch)
    batch.write()
    return batch.done


def _owned_visit(batch, lead, *, policy: SlaPolicy | None, rule_id, owner, managers) -> None:
    steps = list(policy.steps.all()) if policy else []
    i = lead.escalation_step
    if i >= len(steps):
        batch.plan(lead, None, i)
        return
    step = steps[i]
    due = step_due_at(policy=policy, step=step, assigned_at=lead.assigned_at, owner=owner)
    if due > batch.now:  # a lead that just changed hands, or a policy edited since
        batch.plan(lead, due, i)
        batch.done["scheduled"] += 1
        return
    # Past several steps at once (a policy saved over a backlog, sweeps that did not run):
    # the latest one due, once, not each in turn a sweep apart.
    while i + 1 < len(steps) and (
        step_due_at(policy=policy, step=steps[i + 1], assigned_at=lead.assigned_at, owner=owner)
        <= batch.now
    ):
        i += 1
        step = steps[i]
    name = owner.user.display_name if owner else f"user {lead.owner_id}"
    untouched = f"no touch in {minutes_label(step.after_minutes)}" + (
        " of working time" if policy.working_hours_only else ""
    )
    data = {"policy": policy.pk, "step": i, "action": step.action}
    batch.done[step.action] += 1
    if step.action in (A.REMIND, A.NOTIFY_MANAGER):
        if step.action == A.REMIND:
            reason = f"Reminder to {name}: {untouched}"
            batch.notices.append(
                Notice(
                    lead.owner_id,
                    Kind.REMINDER,
                    f"{lead.display_name} is waiting: {untouched}. Reach out now.",
                    lead.pk,
                )
            )
        else:
            reason = f"Managers alerted: {name} has {untouched}"
            batch.notices += [
                Notice(
                    m, Kind.MANAGER_ALERT, f"{lead.display_name}: {name} has {untouched}.", lead.pk
                )
                for m in managers
            ]
        batch.events.append(
            LeadEvent(
                lead=lead,
                kind=LeadEvent.Kind.ESCALATED,
                reason=reason,
                data=data,
                created_at=batch.now,
            )
        )
        nxt = i + 1
        batch.plan(
            lead,
            step_due_at(policy=policy, step=steps[nxt], assigned_at=lead.assigned_at, owner=owner)
            if nxt < len(steps)
            else None,
            nxt,
        )
        return
    old_owner = lead.owner_id
    if step.action == A.REASSIGN and lead.reassignments < policy.max_reassignments:
        why = f"Reassigned from {name}: {untouched}"
        batch.reroutes.append((Reroute(lead=lead, rule_id=rule_id, why=why), untouched))
        return
    try:
        with transaction.atomic():  # a savepoint: one lead's failure spares the batch
            if step.action == A.REASSIGN:
                data["parked"] = True
                lead_transition(
                    lead=lead,
                    to=LeadState.SKIMMING,
                    kind=LeadEvent.Kind.ESCALATED,
                    reason=f"Parked in the manager's skim queue after "
                    f"{lead.reassignments} reassignments; {name} has {untouched}",
                    data=data,
                )
            elif step.action == A.POOL:
                lead_transition(
                    lead=lead,
                    to=LeadState.POOLED,
                    pool=step.pool,
                    kind=LeadEvent.Kind.ESCALATED,
                    reason=f"Back to pool {step.pool} from {name}: {untouched}",
                    data=data,
                )
            else:
                lead_transition(
                    lead=lead,
                    to=LeadState.SKIMMING,
                    kind=LeadEvent.Kind.ESCALATED,
                    reason=f"To the manager's skim queue from {name}: {untouched}",
                    data=data,
                )
    except Exception:
        # Logged and retried at the next sweep rather than stopping every other lead.
        logger.exception("Escalation step %s failed for lead %s", step.action, lead.pk)
        batch.plan(lead, batch.now + timedelta(seconds=settings.SWEEP_INTERVAL_SECONDS), i)
        batch.done["failed"] += 1
        return
    _taken(batch, lead, old_owner, untouched)


def _taken(batch, lead: Lead, old_owner: int, untouched: str) -> None:
    """Tell the old owner the lead was taken, and its new owner (if any) that it came."""
    batch.notices.append(
        Notice(
            old_owner,
            Kind.REASSIGNED_AWAY,
            f"{lead.display_name} was taken from you ({untouched}).",
            lead.pk,
        )
    )
    if lead.status == LeadState.ASSIGNED and lead.owner_id != old_owner:
        batch.notices.append(
            Notice(
                lead.owner_id,
                Kind.REASSIGNED_TO,
                f"{lead.display_name} was reassigned to you: reach out now.",
                lead.pk,
            )
        )
    logger.debug("Escalated lead %s: now %s", lead.pk, lead.status)  # the timeline has it


def _reroute_all(batch) -> None:
    """The batch's reassignments through the engine together (the reps' facts read once);
    if the batch fails (a lead moved under us cannot, as the rows are locked, but a bad
    rule can), each lead alone, so one lead's failure spares the others. That rare path
    makes several engine calls in one transaction: should it meet a router in a lock
    cycle, PostgreSQL ends one of them and its leads are retried (the next sweep, or the
    intake's)."""
    if not batch.reroutes:
        return
    owners = {r.lead.pk: r.lead.owner_id for r, _ in batch.reroutes}
    try:
        with transaction.atomic():
            leads_reroute(reroutes=[r for r, _ in batch.reroutes])
        moved = batch.reroutes
    except Exception:
        logger.exception("Batched reassignment failed; reassigning one lead at a time")
        moved = []
        for reroute, untouched in batch.reroutes:
            reroute.lead.refresh_from_db()
            try:
                with transaction.atomic():
                    leads_reroute(reroutes=[reroute])
                moved.append((reroute, untouched))
            except Exception:
                logger.exception("Reassignment failed for lead %s", reroute.lead.pk)
                lead = reroute.lead
                retry = batch.now + timedelta(seconds=settings.SWEEP_INTERVAL_SECONDS)
                batch.plan(lead, retry, lead.escalation_step)
                batch.done["failed"] += 1
    taken = [(reroute, untouched) for reroute, untouched in moved if untouched is not None]
    if aged := len(moved) - len(taken):
        batch.done["pool_aged"] += aged
    if taken:
        Lead.objects.filter(pk__in=[r.lead.pk for r, _ in taken]).update(
            reassignments=F("reassignments") + 1
        )
    for reroute, untouched in taken:
        _taken(batch, reroute.lead, owners[reroute.lead.pk], untouched)


def _pool_visit(batch, lead: Lead, policy: PoolAgingPolicy | None) -> None:
    if policy is None or lead.escalation_step > 0 or lead.pooled_at is None:
        batch.plan(lead, None, lead.escalation_step)
        return
    due = lead.pooled_at + timedelta(minutes=policy.after_minutes)
    if due > batch.now:
        batch.plan(lead, due, 0)
        batch.done["scheduled"] += 1
        return
    why = f"Unclaimed in pool {lead.pool} for {minutes_label(policy.after_minutes)}"
    if policy.action == PoolAgingPolicy.Action.ROUTE:
        batch.reroutes.append((Reroute(lead=lead, rule_id=policy.rule_id, why=why), None))
        return
    data = {"pool_aging": policy.pk, "action": policy.action}
    try:
        with transaction.atomic():
            lead_transition(
                lead=lead,
                to=LeadState.SKIMMING,
                kind=LeadEvent.Kind.ESCALATED,
                reason=f"{why}: manager's skim queue",
                data=data,
            )
    except Exception:
        logger.exception("Pool aging failed for lead %s", lead.pk)
        batch.plan(lead, batch.now + timedelta(seconds=settings.SWEEP_INTERVAL_SECONDS), 0)
        batch.done["failed"] += 1
        return
    batch.done["pool_aged"] += 1


def original_rules(*, lead_ids: list[int]) -> dict[int, int]:
    """Lead id -> the rule that first placed it (its earliest decision naming one)."""
    if not lead_ids:
        return {}
    return dict(
        RoutingDecision.objects.filter(lead_id__in=lead_ids, rule__isnull=False)
        .order_by("lead_id", "created_at", "id")
        .distinct("lead_id")
        .values_list("lead_id", "rule_id")
    )


def team_managers(*, team_ids: set[int], policies: Policies) -> dict[int, list[int]]:
    """Team id -> its managers' user ids, for teams with a "notify the managers" step."""
    wanted = {
        team_id
        for team_id in team_ids
        for policy in policies.sla.get(team_id, ())
        if any(s.action == A.NOTIFY_MANAGER for s in policy.steps.all())
    }
    out: dict[int, list[int]] = {}
    if wanted:
        for team_id, user_id in Team.managers.through.objects.filter(
            team_id__in=wanted
        ).values_list("team_id", "user_id"):
            out.setdefault(team_id, []).append(user_id)
    return out


def _due_update_sql(rows: list[tuple[Lead, datetime | None, int]]) -> tuple[str, list]:
    """The batch's new due times and steps in one statement, each conditional on the lead
    still being as the visit read it (same state, owner and step)."""
    values, params = [], []
    for lead, due, step in rows:
        values.append("(%s::bigint, %s::timestamptz, %s::smallint, %s, %s::bigint, %s::smallint)")
        params += [
            lead.pk,
            connection.ops.adapt_datetimefield_value(due),
            step,
            lead.status,
            lead.owner_id,
            lead.escalation_step,
        ]
    table = Lead._meta.db_table
    return (
        f"UPDATE {table} l SET escalation_due_at = v.due, escalation_step = v.step "
        f"FROM (VALUES {', '.join(values)}) v(id, due, step, status, owner_id, old_step) "
        "WHERE l.id = v.id AND l.status = v.status AND l.owner_id IS NOT DISTINCT FROM v.owner_id "
        "AND l.escalation_step = v.old_step",
        params,
    )
