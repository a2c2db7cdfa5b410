"""The owner's work on a lead: touches, dispositions, notes.

Only the owner works a lead. Every write re-checks ownership in the database (a
conditional UPDATE or a locked read), so a lead reassigned a second ago is not touched
by its former owner's stale page.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from leadroute.shared.live import board_changed_on_commit
from pools.lifecycle import OPEN_OWNED_STATES, LeadState, can_transition
from pools.models import Lead, LeadEvent
from pools.money import UNKNOWN_FORMAT, MoneyFormat, money_parse
from pools.services import LeadChanged, lead_record_event, lead_transition

TOUCH_KINDS = {"call": "Call", "email": "E-mail", "meeting": "Meeting"}
DISPOSITIONS = {
    LeadState.CONTACTED: "Contacted",
    LeadState.QUALIFIED: "Qualified",
    LeadState.WON: "Won",
    LeadState.LOST: "Lost",
}


class WorkError(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _owned_open_lead(*, user, lead_id: int) -> Lead:
    lead = Lead.objects.select_for_update().filter(pk=lead_id, owner=user).first()
    if lead is None:
        raise WorkError("This lead is not yours any more.")
    if lead.status not in OPEN_OWNED_STATES:
        raise WorkError("This lead is closed.")
    return lead


def _first_touch(lead: Lead, now) -> tuple[dict, dict]:
    """(columns, event data) that record the first time the owner worked `lead`, or two
    empty dicts after it: speed-to-lead, the untouched counts and the untouched cap all
    read `first_touch_at`."""
    if lead.first_touch_at is not None:
        return {}, {}
    data = {"first": True}
    if lead.assigned_at:
        data["speed_to_lead_seconds"] = int((now - lead.assigned_at).total_seconds())
    return {"first_touch_at": now}, data


def lead_touch(*, user, lead_id: int, kind: str, note: str = "") -> None:
    """Log a call, e-mail or meeting. The first touch records speed-to-lead; a touch on an
    assigned lead moves it to contacted (someone reached out), in the same event."""
    if kind not in TOUCH_KINDS:
        raise WorkError("Choose call, e-mail or meeting.")
    now = timezone.now()
    reason = f"{TOUCH_KINDS[kind]}{': ' if note.strip() else ''}{note.strip()[:400]}"
    with transaction.atomic():
        lead = _owned_open_lead(user=user, lead_id=lead_id)
        first, first_data = _first_touch(lead, now)
        data = {"touch": kind, **first_data}
        if lead.status == LeadState.ASSIGNED:
            lead_transition(
                lead=lead,
                to=LeadState.CONTACTED,
                actor=user,
                owner=user,
                kind=LeadEvent.Kind.TOUCH,
                reason=reason,
                data=data,
                extra=first,
            )
            return
        if first:
            Lead.objects.filter(pk=lead.pk, first_touch_at__isnull=True).update(
                updated_at=now, **first
            )
        if lead.escalation_due_at is not None:
            # A touch ends whatever escalation was pending, under the same row lock as the
            # sweep takes (the assigned path above clears it in lead_transition).
            Lead.objects.filter(pk=lead.pk).update(escalation_due_at=None)
        LeadEvent.objects.create(
            lead=lead,
            kind=LeadEvent.Kind.TOUCH,
            actor=user,
            owner=user,
            reason=reason,
            data=data,
            created_at=now,
        )
        board_changed_on_commit(lead.team_id)  # the rep's untouched count, last activity


def lead_dispose(
    *,
    user,
    lead_id: int,
    disposition: str,
    won_value: str = "",
    lost_reason: str = "",
    money: MoneyFormat = UNKNOWN_FORMAT,
) -> Lead:
    """Set a disposition: contacted, qualified, won (with value) or lost (with reason).
    Contacted, qualified or won say the owner reached the lead: on an untouched lead that
    is its first touch too (lost does not: spam, a wrong number).
    The won value is read in `money`'s format (`money_parse`: no decimal mark refuses
    amounts that read differently with either), before anything is written, and the
    timeline writes it back the same way, with the currency."""
    if disposition not in DISPOSITIONS:
        raise WorkError("Choose contacted, qualified, won or lost.")
    extra, reason = {}, DISPOSITIONS[disposition]
    if disposition == LeadState.WON:
        try:
            value = money_parse(won_value, decimal_mark=money.decimal_mark)
        except ValueError as exc:
            raise WorkError(f"Won value: {exc}") from None
        if value is None:
            raise WorkError("Enter the deal's won value.")
        extra["won_value"] = value
        reason = f"Won · {money.show(value)}"
    if disposition == LeadState.LOST:
        lost_reason = (lost_reason or "").strip()
        if not lost_reason:
            raise WorkError("Say why the lead was lost.")
        extra["lost_reason"] = lost_reason[:200]
        reason = f"Lost · {extra['lost_reason']}"
    with transaction.atomic():
        lead = _owned_open_lead(user=user, lead_id=lead_id)
        if not can_transition(lead.status, disposition) or lead.status == disposition:
            raise WorkError(
                f"A {lead.state_label.lower()} lead cannot be marked "
                f"{DISPOSITIONS[disposition].lower()}."
            )
        # Lost says nothing of reaching the lead (spam, a wrong number): no first touch.
        reached = disposition != LeadState.LOST
        first, first_data = _first_touch(lead, timezone.now()) if reached else ({}, {})
        try:
            return lead_transition(
                lead=lead,
                to=disposition,
                actor=user,
                owner=user,
                kind=LeadEvent.Kind.DISPOSITION,
                reason=reason,
                data=first_data,
                extra={**extra, **first},
            )
        except LeadChanged:
            raise WorkError("The lead changed in the meantime; reload and try again.") from None


def lead_add_note(*, user, lead_id: int, text: str) -> LeadEvent:
    text = (text or "").strip()
    if not text:
        raise WorkError("Write something first.")
    lead = Lead.objects.filter(pk=lead_id, owner=user).first()
    if lead is None:
        raise WorkError("This lead is not yours any more.")
    event = lead_record_event(lead=lead, kind=LeadEvent.Kind.NOTE, actor=user, reason=text[:500])
    board_changed_on_commit(lead.team_id)  # the rep's last activity
    return event
