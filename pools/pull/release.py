"""Leads going back to a pool: the owner releases one, or a manager returns one."""

from __future__ import annotations

from accounts.roles import Role, has_role
from pools.lifecycle import OPEN_OWNED_STATES, LeadState
from pools.models import Lead, LeadEvent, Pool
from pools.pull.selectors import pools_managed_by
from pools.selectors import lead_last_claim, leads_visible_to
from pools.services import LeadChanged, lead_transition


class ReleaseError(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _release(*, lead: Lead, actor, pool: Pool, reason: str) -> Lead:
    reason = (reason or "").strip()
    if not reason:
        raise ReleaseError("Say why the lead goes back to the pool.")
    if lead.status not in OPEN_OWNED_STATES:
        raise ReleaseError("Only an open lead can go back to the pool.")
    try:
        return lead_transition(
            lead=lead,
            to=LeadState.POOLED,
            actor=actor,
            pool=pool,
            kind=LeadEvent.Kind.RELEASED,
            reason=reason[:500],
            data={"previous_owner": lead.owner_id},
        )
    except LeadChanged:
        raise ReleaseError("The lead changed in the meantime; reload and try again.") from None


def _return_pool(lead: Lead) -> Pool | None:
    """The pool it was claimed from, else its team's default pool."""
    event = lead_last_claim(lead=lead)
    pool_id = (event.data or {}).get("pool") if event else None
    pool = Pool.objects.filter(pk=pool_id, is_active=True).first() if pool_id else None
    return (
        pool
        or Pool.objects.filter(team_id=lead.team_id, is_team_default=True, is_active=True).first()
    )


def lead_release(*, user, lead_id: int, reason: str) -> Lead:
    """The owner gives a lead back to the pool, with a reason."""
    lead = Lead.objects.filter(pk=lead_id, owner=user).first()
    if lead is None:
        raise ReleaseError("You can only release your own leads.")
    pool = _return_pool(lead)
    if pool is None:
        raise ReleaseError("There is no pool to release this lead to; ask your manager.")
    return _release(lead=lead, actor=user, pool=pool, reason=reason)


def lead_return_to_pool(*, user, lead_id: int, pool_id: int, reason: str) -> Lead:
    """A manager returns one of their team's leads to one of their team's pools."""
    if not (has_role(user, Role.MANAGER) or has_role(user, Role.ADMIN)):
        raise ReleaseError("Only a manager can return leads to a pool.")
    lead = leads_visible_to(user=user).filter(pk=lead_id).first()
    if lead is None:
        raise ReleaseError("That lead is not in your teams.")
    pool = pools_managed_by(user=user).filter(pk=pool_id).first()
    if pool is None:
        raise ReleaseError("Choose one of your teams' pools.")
    return _release(lead=lead, actor=user, pool=pool, reason=reason)
