"""A manager moving a lead by hand: assign, reassign, send to a pool, send to the skim
queue — check, do, notify (zulip's actions).

`check_…` reads and validates without writing; `do_…` writes, settling a race with the
one conditional UPDATE of `pools.services.lead_transition` (two managers on one lead: the
second finds the lead moved and gets a calm `DeskError`); the notifications go out after
commit (routing.desk.notify). Each move is a timeline event and a decision record
("assigned by manager X: reason"). A lead under a live offer has its open offer withdrawn
first, in the same transaction (the offer row before the lead's: routing's lock order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.roles import Role, has_role
from leadroute.shared.sql import run_batch
from pools.lifecycle import HAND_MOVABLE_STATES, LeadState, can_transition
from pools.models import Lead, LeadEvent, Pool
from pools.selectors import leads_managed_by
from pools.services import LeadChanged, lead_transition

from ..decisions.attribution import MANUAL, lead_attribution
from ..engine.facts import intake_bump_sql
from ..models import RoutingDecision
from ..offers.services import offer_withdraw_open
from . import notify
from .selectors import desk_pools, desk_reps
from .suggestions import lead_suggestions

TAKEN = "Someone else just moved this lead; it is no longer where you saw it."


class DeskError(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _name(user) -> str:
    return user.get_full_name() or user.username


# -- checks ------------------------------------------------------------------------------


def check_manages_lead(*, manager, lead_id: int) -> Lead:
    """The lead, if `manager` manages its team (else DeskError: the view's 404)."""
    lead = leads_managed_by(user=manager).filter(pk=lead_id).first()
    if lead is None:
        raise DeskError("That lead is not in your teams.")
    return lead


def lead_seen(lead: Lead) -> str:
    """Where a page showed the lead: a form sends it back, so an action on a lead that
    moved since gets the calm message however late it reads the lead."""
    return f"{lead.status}:{lead.owner_id or ''}"


def check_movable(lead: Lead, seen: str | None = None) -> None:
    if seen is not None and seen != lead_seen(lead):
        raise DeskError(TAKEN)
    if lead.status not in HAND_MOVABLE_STATES:
        raise DeskError(f"A {lead.state_label.lower()} lead cannot be moved by hand.")


def check_rep_for(*, manager, rep_id) -> object:
    """An active rep of a team `manager` manages."""
    rep = desk_reps(user=manager).filter(pk=_int(rep_id)).first()
    if rep is None or not has_role(rep, Role.REP):
        raise DeskError("Choose a rep of your teams.")
    return rep


def check_eligible(*, lead: Lead, rep, override: bool, now: datetime) -> str:
    """The engine's verdict on `rep` for `lead` (routing.desk.suggestions): "" when
    eligible; the exclusion when the manager overrides it; DeskError otherwise."""
    verdict = lead_suggestions(lead=lead, now=now, only_reps=[rep.pk]).get(rep.pk)
    exclusion = (
        "Not one of the reps this lead's rule chooses from"
        if verdict is None
        else ("" if verdict.eligible else verdict.reason)
    )
    if exclusion and not override:
        raise DeskError(f"{_name(rep)}: {exclusion}. Override to assign anyway.")
    return exclusion


def check_pool_for(*, manager, pool_id) -> Pool:
    pool = desk_pools(user=manager).filter(pk=_int(pool_id)).first()
    if pool is None:
        raise DeskError("Choose one of your teams' pools.")
    return pool


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise DeskError("Say why (the rep and the timeline will show it).")
    return reason[:300]


# -- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    lead: Lead
    previous_owner_id: int | None
    was_queued: bool  # it was in the skim queue (the desk pages drop it)


def lead_hand_assign(
    *,
    manager,
    lead_id: int,
    rep_id,
    reason: str = "",
    override: bool = False,
    seen: str | None = None,
    now=None,
) -> Moved:
    """Give the lead to `rep` (an assign, or a reassign when someone owns it; a reassign
    needs a reason). A rep the engine would exclude needs `override`, which is recorded."""
    now = now or timezone.now()
    lead = check_manages_lead(manager=manager, lead_id=lead_id)
    check_movable(lead, seen)
    rep = check_rep_for(manager=manager, rep_id=rep_id)
    if lead.owner_id == rep.pk:
        raise DeskError(f"{_name(rep)} already owns this lead.")
    reason = _reason(reason, required=lead.owner_id is not None)
    exclusion = check_eligible(lead=lead, rep=rep, override=override, now=now)
    verb = "Reassigned" if lead.owner_id else "Assigned"
    text = f"{verb} by manager {_name(manager)}" + (f": {reason}" if reason else "")
    if exclusion:
        text += f" (override: {exclusion})"
    data = {"by_manager": manager.pk, "override": bool(exclusion), "exclusion": exclusion}
    team = rep.rep_profile.team_id
    return _do_move(
        lead=lead,
        to=LeadState.ASSIGNED,
        manager=manager,
        owner=rep,
        text=text,
        data=data,
        extra={"team_id": team} if team and team != lead.team_id else {},
        outcome=RoutingDecision.Outcome.ASSIGNED,
        now=now,
        count_for=rep.rep_profile,
    )


def lead_send_to_pool(
    *, manager, lead_id: int, pool_id, reason: str = "", seen: str | None = None, now=None
) -> Moved:
    now = now or timezone.now()
    lead = check_manages_lead(manager=manager, lead_id=lead_id)
    check_movable(lead, seen)
    if lead.status == LeadState.POOLED:
        raise DeskError("This lead is already in a pool.")
    pool = check_pool_for(manager=manager, pool_id=pool_id)
    reason = _reason(reason, required=lead.owner_id is not None)
    text = f"Sent to pool {pool} by manager {_name(manager)}" + (f": {reason}" if reason else "")
    return _do_move(
        lead=lead,
        to=LeadState.POOLED,
        manager=manager,
        pool=pool,
        text=text,
        data={"by_manager": manager.pk, "pool": pool.pk},
        outcome=RoutingDecision.Outcome.POOLED,
        now=now,
    )


def lead_send_to_skim(
    *, manager, lead_id: int, reason: str = "", seen: str | None = None, now=None
) -> Moved:
    now = now or timezone.now()
    lead = check_manages_lead(manager=manager, lead_id=lead_id)
    check_movable(lead, seen)
    if lead.status == LeadState.SKIMMING:
        raise DeskError("This lead is already in the skim queue.")
    if not can_transition(lead.status, LeadState.SKIMMING):
        raise DeskError("A lead someone has worked cannot go back to the skim queue.")
    reason = _reason(reason, required=lead.owner_id is not None)
    text = f"Sent to the skim queue by manager {_name(manager)}" + (f": {reason}" if reason else "")
    return _do_move(
        lead=lead,
        to=LeadState.SKIMMING,
        manager=manager,
        text=text,
        data={"by_manager": manager.pk},
        outcome=RoutingDecision.Outcome.SKIMMING,
        now=now,
    )


def _do_move(
    *,
    lead: Lead,
    to: str,
    manager,
    text: str,
    data: dict,
    outcome: str,
    now: datetime,
    owner=None,
    pool: Pool | None = None,
    extra: dict | None = None,
    count_for=None,
) -> Moved:
    """Write the move as read in `lead`: withdraw its open offer, the conditional move
    (LeadChanged → the calm DeskError), the decision, the rep's intake count, then the
    notifications after commit."""
    previous_owner_id, was_queued = lead.owner_id, lead.status == LeadState.SKIMMING
    with transaction.atomic():
        if lead.status == LeadState.OFFERED:
            offer_withdraw_open(lead=lead, reason=text)
        try:
            lead_transition(
                lead=lead,
                to=to,
                actor=manager,
                owner=owner,
                pool=pool,
                reason=text[:500],
                kind=LeadEvent.Kind.ASSIGNED if owner else LeadEvent.Kind.TRANSITION,
                data=data,
                extra=(extra or {})
                | lead_attribution(rule_id=None, method=MANUAL, via=Lead.Via.DESK if owner else ""),
            )
        except LeadChanged:
            raise DeskError(TAKEN) from None
        RoutingDecision.objects.create(
            lead=lead,
            rule_name="",
            method=MANUAL,
            outcome=outcome,
            winner=owner,
            pool=pool,
            reason=text[:500],
            details={"rules": [], "steps": [], "manual": {"manager": manager.pk, **data}},
            created_at=now,
        )
        if count_for is not None:
            # A hand-assigned lead counts toward the rep's caps as a routed one does.
            day = count_for.local_time(now).date()
            run_batch([intake_bump_sql(counts={owner.pk: 1}, days={owner.pk: day}, at=now)])
        notify.notify_lead_moved(
            lead=lead, previous_owner_id=previous_owner_id, was_queued=was_queued, actor=manager
        )
    return Moved(lead=lead, previous_owner_id=previous_owner_id, was_queued=was_queued)


# -- bulk --------------------------------------------------------------------------------


@dataclass
class BulkResult:
    moved: int = 0
    refused: list[str] | None = None


def leads_bulk_move(
    *, manager, lead_ids: list, action: str, rep_ids: list = (), pool_id=None
) -> BulkResult:
    """Several leads at once, each through the one-lead action in its own transaction (a
    lead another manager took meanwhile is reported, the rest go through): "assign" gives
    them all to the first rep, "spread" deals them round-robin over `rep_ids` in the order
    given, "pool" sends them to `pool_id`."""
    result = BulkResult(refused=[])
    ids = [i for i in (_int(x) for x in lead_ids) if i]
    if not ids:
        raise DeskError("Select at least one lead.")
    reps = [_int(r) for r in rep_ids if _int(r)]
    if action in ("assign", "spread") and not reps:
        raise DeskError("Choose the rep (or, to spread, the reps) to give them to.")
    if action not in ("assign", "spread", "pool"):
        raise DeskError("Choose assign, spread or send to a pool.")
    for k, lead_id in enumerate(ids):
        try:
            if action == "pool":
                lead_send_to_pool(manager=manager, lead_id=lead_id, pool_id=pool_id)
            else:
                rep = reps[0] if action == "assign" else reps[k % len(reps)]
                lead_hand_assign(manager=manager, lead_id=lead_id, rep_id=rep)
            result.moved += 1
        except DeskError as exc:
            result.refused.append(f"Lead {lead_id}: {exc.message}")
    return result
