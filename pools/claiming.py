"""Pulling leads from pools: claim one, claim next, release, return to pool.

Who wins is settled by PostgreSQL, never by Python: a claim is one conditional UPDATE
(`… WHERE id = … AND status = 'pooled' AND pool_id = … AND owner_id IS NULL`) whose row
count decides. "Claim next" picks its row with `SELECT … FOR UPDATE SKIP LOCKED`, so
concurrent reps each lock a different lead instead of queueing on the same one.

Pull restrictions are enforced here, not only hidden in the UI. The rep's profile row is
locked before the caps are counted, so two claims by the same rep in parallel are
serialised and cannot both slip under a cap. Lock order is always profile → lead, so
claims cannot deadlock each other.

Two paths apply the same rules in the same order: on PostgreSQL one round trip of
hand-written SQL (`claim_sql`: a claim's cost was Python compiling ORM queries, and with
many reps at once that CPU is what queues them); elsewhere (the SQLite file of a bare
`make run`) one ORM statement at a time (`claim_orm`).
"""

from __future__ import annotations

from django.db import OperationalError, connection
from django.db.models import Q
from django.utils import timezone

from accounts.roles import Role, has_role
from accounts.selectors import teams_managed_by

from . import claim_orm, claim_sql
from .claim_errors import (  # noqa: F401  (re-exported: callers import them from here)
    BUSY,
    ClaimError,
    ClaimRestricted,
    LeadTaken,
    PoolEmpty,
    PoolUnavailable,
    refusal,
)
from .lifecycle import OPEN_OWNED_STATES, LeadState
from .models import Lead, LeadEvent, Pool
from .selectors import lead_last_claim, leads_visible_to
from .services import LeadChanged, lead_transition


def _path():
    return claim_sql if connection.vendor == "postgresql" else claim_orm


def _rep(user) -> None:
    # Both paths' first rule. The role names are cached on the user object (one query a
    # request at most, usually already made by the view's role check).
    if not has_role(user, Role.REP):
        raise refusal("not_rep")


def lead_claim(*, user, lead_id: int, pool_id: int | None = None) -> Lead:
    """Claim one pooled lead (preview pools). Raises a ClaimError subclass otherwise."""
    _rep(user)
    try:
        return _path().claim_one(user=user, lead_id=lead_id, pool_id=pool_id, now=timezone.now())
    except OperationalError as exc:  # lock_timeout
        raise ClaimError(BUSY) from exc


def pool_claim_next(*, user, pool_id: int) -> Lead:
    """Claim the next lead of the pool, by the pool's order, that this rep may take."""
    _rep(user)
    try:
        return _path().claim_next(user=user, pool_id=pool_id, now=timezone.now())
    except OperationalError as exc:  # lock_timeout
        raise ClaimError(BUSY) from exc


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
    pool = Pool.objects.filter(
        Q(team__in=teams_managed_by(user=user)) | Q(team__isnull=True), pk=pool_id, is_active=True
    ).first()
    if pool is None:
        raise ReleaseError("Choose one of your teams' pools.")
    return _release(lead=lead, actor=user, pool=pool, reason=reason)
