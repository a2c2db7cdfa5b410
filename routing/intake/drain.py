"""The intake drain: screening and routing the leads that wait for it, in batches.

A lead waits (`new`, or `screened` by a manager's override) from the commit that captured
it until a drain takes it. Captures do not publish a task per lead: they kick a drain
(routing.intake.kick, one publish per burst; it explains why no lead is stranded), and
the beat sweep kicks one for leads that waited too long anyway.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from pools.lifecycle import LeadState
from pools.models import Lead
from pools.screening.services import leads_screen

from ..engine import leads_route
from .pending import intake_pending_clear

log = logging.getLogger(__name__)

WAITING = (LeadState.NEW, LeadState.SCREENED)
# Leads per transaction when many arrive together: large enough that the per-batch reads
# and writes are spread thin, small enough that locks are held for a moment only.
INTAKE_BATCH = 100
# One drain stops after this many batches or seconds and kicks a successor: a task that
# never ends would hold its worker slot and, acknowledged late, be re-run whole after a
# worker restart.
DRAIN_MAX_BATCHES = 100
DRAIN_MAX_SECONDS = 20.0


@dataclass(frozen=True)
class Drained:
    routed: int  # leads screened (and routed, unless screening rejected them)
    finished: bool  # no lead was left waiting that this drain could take
    failed: tuple[int, ...] = ()  # leads whose intake raised; they wait for the sweep


def locked_leads(*, skip_locked: bool = False):
    """Leads for intake. Only the leads' rows are locked (not their sources), and each lead
    comes with its source, which screening reads."""
    return Lead.objects.select_for_update(of=("self",), skip_locked=skip_locked).select_related(
        "source"
    )


def waiting_leads_drain(
    *, max_batches: int = DRAIN_MAX_BATCHES, max_seconds: float = DRAIN_MAX_SECONDS
) -> Drained:
    """Screen and route every waiting lead, oldest first, INTAKE_BATCH per transaction,
    until none is left; then return. Stopped early by the caps (not `finished`), the task
    kicks another drain.

    The pending flag is cleared before the first SELECT: a capture that found the flag
    set (and so published nothing) committed its lead before that, so a SELECT made after
    the clear sees it. Leads another transaction holds are skipped (SKIP LOCKED): a drain
    holding them routes them; anything else holding a waiting lead leaves it to the next
    drain or the sweep. Safe to run twice and in parallel: each batch only takes leads
    still waiting, under their row locks."""
    intake_pending_clear()
    deadline = time.monotonic() + max_seconds
    routed, failed = 0, []
    for _ in range(max_batches):
        taken, broken = _drain_batch(exclude=failed)
        if not taken:
            return Drained(routed, finished=True, failed=tuple(failed))
        routed += taken - len(broken)
        failed += broken
        if time.monotonic() >= deadline:
            break
    return Drained(routed, finished=False, failed=tuple(failed))


def _drain_batch(*, exclude: list[int]) -> tuple[int, list[int]]:
    """One batch: (leads taken, ids of those whose intake raised)."""
    try:
        with transaction.atomic():
            leads = list(
                locked_leads(skip_locked=True)
                .filter(status__in=WAITING)
                .exclude(pk__in=exclude)
                .order_by("id")[:INTAKE_BATCH]
            )
            if leads:
                leads_route(leads=leads_screen(leads=leads))
            return len(leads), []
    except Exception:
        log.exception("An intake batch failed; taking its leads one at a time")
    taken, broken = _drain_one_by_one(exclude=exclude)
    if broken and len(broken) == taken:
        # Not one bad lead: nothing goes through (the database is down?). Raise, so the
        # task is retried with back-off rather than declaring the leads done.
        raise IntakeFailed(f"Intake failed for every lead of a batch: {broken}")
    return taken, broken


class IntakeFailed(Exception):
    pass


def _drain_one_by_one(*, exclude: list[int]) -> tuple[int, list[int]]:
    # One bad lead (a rule that raises on its data) must not hold up the ninety-nine
    # behind it: each lead gets its own transaction, and the ones that raise stay waiting,
    # for the sweep to retry a sweep interval later, instead of blocking every drain.
    ids = list(
        Lead.objects.filter(status__in=WAITING)
        .exclude(pk__in=exclude)
        .order_by("id")
        .values_list("id", flat=True)[:INTAKE_BATCH]
    )
    broken = []
    for lead_id in ids:
        try:
            with transaction.atomic():
                lead = locked_leads(skip_locked=True).filter(pk=lead_id, status__in=WAITING).first()
                if lead is not None:
                    leads_route(leads=leads_screen(leads=[lead]))
        except Exception:
            log.exception("Intake failed for lead %s; it stays waiting", lead_id)
            broken.append(lead_id)
    return len(ids), broken


def waiting_leads_overdue(*, now: datetime) -> int:
    """How many leads have waited for intake longer than INTAKE_SWEEP_GRACE_SECONDS, which
    no pending drain should ever let happen (a lost message, a flag left behind)."""
    since = now - timedelta(seconds=settings.INTAKE_SWEEP_GRACE_SECONDS)
    return Lead.objects.filter(status__in=WAITING, updated_at__lt=since).count()


def leads_intake_run(*, lead_ids: list[int]) -> int:
    """Screen and route the given leads (an import's chunk), INTAKE_BATCH per transaction.
    Each batch is all or nothing; leads no longer waiting are left alone."""
    for start in range(0, len(lead_ids), INTAKE_BATCH):
        with transaction.atomic():
            leads = list(
                locked_leads().filter(pk__in=lead_ids[start : start + INTAKE_BATCH]).order_by("id")
            )
            leads_route(leads=leads_screen(leads=leads))
    return len(lead_ids)


def lead_intake_run(*, lead_id: int) -> str:
    """Screen and route one lead, and up to INTAKE_BATCH - 1 other waiting leads with it
    (skipping any another drain holds). Returns the lead's state, or "missing"."""
    with transaction.atomic():
        lead = locked_leads().filter(pk=lead_id).first()
        if lead is None:
            return "missing"
        waiting = list(
            locked_leads(skip_locked=True)
            .filter(status__in=WAITING)
            .exclude(pk=lead_id)
            .order_by("id")[: INTAKE_BATCH - 1]
        )
        batch = sorted([lead, *waiting], key=lambda x: x.pk)  # arrival order
        leads_route(leads=leads_screen(leads=batch))
    return lead.status
