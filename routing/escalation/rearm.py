"""A policy saved applies to the leads already waiting, not only to those that arrive after.

The sweep visits a lead only when its `escalation_due_at` comes, and a lead that met no
policy has none; so saving an active policy marks the leads it may cover due now. The next
sweep reads the policy and either schedules each lead's step or, for one already past it,
applies it — the latest step due, once (a lead unclaimed for six days meets a six-hour aging
policy at once; a lead untouched for days gets the policy's last step due, not each step
in turn)."""

from __future__ import annotations

from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import Lead

from .policies import UNTOUCHED_OWNED


def pool_leads_rearm(*, pool_id: int) -> int:
    """The pool's waiting leads, due now (one UPDATE)."""
    return Lead.objects.filter(status=LeadState.POOLED, pool_id=pool_id, escalation_step=0).update(
        escalation_due_at=timezone.now()
    )


def untouched_leads_rearm(*, team_id: int) -> int:
    """The team's owned leads nobody has touched yet, due now, whatever step they are at
    (a step added or moved applies to them too): one UPDATE; the sweep picks the narrowest
    policy for each, and a lead past several steps gets the latest (sweep.py)."""
    return Lead.objects.filter(UNTOUCHED_OWNED, team_id=team_id).update(
        escalation_due_at=timezone.now()
    )
