"""Writes to leads. Every move of a lead goes through `lead_transition`."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from leadroute.shared.sql import run_batch
from pools.lifecycle import CLOSED_STATES, OWNED_STATES, LeadState, check_transition
from pools.models import Lead, LeadEvent, Pool
from pools.pull import live as pool_live
from pools.signals import offered_leads_leaving


class LeadChanged(Exception):
    """The lead moved (claimed, routed, reassigned) between reading it and writing it."""


def lead_transition(
    *,
    lead: Lead,
    to: str,
    actor=None,
    owner=None,
    pool: Pool | None = None,
    reason: str = "",
    kind: str = LeadEvent.Kind.TRANSITION,
    data: dict | None = None,
    extra: dict | None = None,
) -> Lead:
    """Move `lead` from the state it was read in to `to`, or raise.

    The write is one conditional UPDATE on (id, state, owner): if anyone moved the lead
    since it was read, no row matches and `LeadChanged` is raised, so two writers can never
    both win. `extra` carries other columns to set in the same UPDATE. (A claim moves its
    lead inside the claim function, `pools.pull.claim_functions._take`, with the same
    columns as `_planned_changes` sets for an assignment.)
    """
    now = timezone.now()
    changes = _planned_changes(lead=lead, to=to, owner=owner, pool=pool, extra=extra, now=now)

    # Inside a caller's transaction no savepoint is needed (the UPDATE and the event commit
    # or roll back with it; a lost race raises before any failed SQL), which saves two
    # round trips per move of a batch. Alone, the pair still gets its own transaction.
    block = nullcontext() if connection.in_atomic_block else transaction.atomic()
    with block:
        if lead.status == LeadState.OFFERED and to != LeadState.OFFERED:
            offered_leads_leaving.send(sender=Lead, reasons={lead.pk: reason})
        updated = Lead.objects.filter(
            pk=lead.pk, status=lead.status, owner_id=lead.owner_id
        ).update(**changes)
        if updated != 1:
            raise LeadChanged(f"Lead {lead.pk} changed before it could be moved to {to}.")
        LeadEvent.objects.create(
            lead=lead,
            kind=kind,
            from_state=lead.status,
            to_state=to,
            actor=actor,
            owner=changes["owner"],
            reason=reason,
            data=data or {},
            created_at=now,
        )
        _broadcast(lead, to, pool)
    _apply(lead, changes)
    return lead


def _planned_changes(*, lead: Lead, to: str, owner, pool, extra: dict | None, now) -> dict:
    """The columns a move of `lead` to `to` sets; raises if the move is not allowed."""
    check_transition(lead.status, to)
    changes = {
        "status": to,
        "owner": owner if to in OWNED_STATES else None,
        "pool": pool if to == LeadState.POOLED else None,
        "updated_at": now,
        **(extra or {}),
    }
    if to in OWNED_STATES and changes["owner"] is None:
        raise ValueError(f"Moving a lead to {to} needs an owner.")
    if to == LeadState.POOLED and pool is None:
        raise ValueError("Moving a lead to a pool needs the pool.")
    new_owner = to == LeadState.ASSIGNED and (lead.status != to or lead.owner_id != owner.pk)
    if new_owner:
        changes["assigned_at"] = now
        changes["first_touch_at"] = None
        # Reports count by channel: every assignment says how it was made.
        if changes.get("assigned_via") not in Lead.Via.values:
            raise ValueError("An assignment needs `assigned_via` (Lead.Via) in `extra`.")
    elif to not in OWNED_STATES:
        changes["assigned_via"] = ""
    if to == LeadState.QUALIFIED and lead.qualified_at is None:
        changes["qualified_at"] = now
    if to == LeadState.POOLED:
        changes["pooled_at"] = now
    # A new owner or a pool starts the lead's escalation afresh at the next sweep; every
    # other move (a disposition, the skim queue, an offer) ends what was pending.
    if new_owner or to == LeadState.POOLED:
        changes["escalation_due_at"], changes["escalation_step"] = now, 0
    elif not (to == LeadState.ASSIGNED and lead.status == to):
        changes["escalation_due_at"] = None
    if to in CLOSED_STATES:
        changes["closed_at"] = now
    if lead.status == LeadState.SCREENED and to != LeadState.REJECTED:
        changes["routed_at"] = now
    return changes


def _apply(lead: Lead, changes: dict) -> None:
    """Mirror a committed move on the in-memory instance."""
    lead._from_state = lead.status
    for name, value in changes.items():
        setattr(lead, name, value)


def _broadcast(lead: Lead, to: str, pool: Pool | None, *, arrival: bool = True) -> None:
    # Reps watching a pool see the lead leave or arrive (sent after commit only). An
    # arrival only asks the page to re-fetch, so a batch announces each pool once.
    if lead.status == LeadState.POOLED and lead.pool_id:
        pool_live.pool_lead_left(pool_id=lead.pool_id, lead_id=lead.pk)
    if to == LeadState.POOLED and arrival:
        pool_live.pool_lead_arrived(pool_id=pool.pk)


@dataclass
class Move:
    """One lead's move in `leads_transition` (the arguments of `lead_transition`)."""

    lead: Lead
    to: str
    owner: object = None  # a user, or a stand-in carrying only its pk
    pool: Pool | None = None
    reason: str = ""
    data: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def leads_transition(
    *,
    moves: list[Move],
    kind: str,
    actor=None,
    also: tuple[tuple[str, list], ...] = (),
    offer_settled: bool = False,
) -> list[Lead]:
    """`lead_transition` for many leads at once (a routed batch): the same checks, the same
    conditional UPDATE per lead and the same events, in one round trip whatever the number
    of leads. Must run inside the caller's transaction: if any lead moved since it was read,
    `LeadChanged` is raised and the caller's transaction undoes every move.

    `also`: the caller's own writes (SQL, params), run in the same round trip after the
    moves — they stand only if every move did, as LeadChanged rolls the caller back.
    `offer_settled`: the caller has itself closed the open offer of every lead leaving
    `offered` (an accept, under the offer's row lock), so there is none to withdraw."""
    if not connection.in_atomic_block:
        raise RuntimeError("leads_transition needs the caller's transaction.")
    now = timezone.now()
    planned = [
        (
            m,
            _planned_changes(
                lead=m.lead, to=m.to, owner=m.owner, pool=m.pool, extra=m.extra, now=now
            ),
        )
        for m in moves
    ]
    leaving = {
        m.lead.pk: m.reason
        for m in moves
        if m.lead.status == LeadState.OFFERED and m.to != LeadState.OFFERED
    }
    if leaving and not offer_settled:
        offered_leads_leaving.send(sender=Lead, reasons=leaving)
    moved = run_batch(
        [
            _move_with_event_sql(
                m.lead,
                changes,
                LeadEvent(
                    lead=m.lead,
                    kind=kind,
                    from_state=m.lead.status,
                    to_state=m.to,
                    actor=actor,
                    owner=changes["owner"],
                    reason=m.reason,
                    data=m.data or {},
                    created_at=now,
                ),
            )
            for m, changes in planned
        ]
        + list(also)
    )
    for (m, _), rows in zip(planned, moved, strict=False):
        if len(rows) != 1:
            raise LeadChanged(f"Lead {m.lead.pk} changed before it could be moved to {m.to}.")
    announced = set()
    for m, changes in planned:
        _broadcast(m.lead, m.to, m.pool, arrival=m.pool is not None and m.pool.pk not in announced)
        if m.pool is not None:
            announced.add(m.pool.pk)
        _apply(m.lead, changes)
    return [m.lead for m in moves]


def _move_with_event_sql(lead: Lead, changes: dict, event: LeadEvent) -> tuple[str, list]:
    """A lead's conditional UPDATE and its event in one statement: the event is written
    only if the UPDATE matched (it returns the lead's id, or no row when the lead moved)."""
    update, params = _conditional_update_sql(lead, changes)
    fields, columns = _event_columns()
    return (
        f"WITH moved AS ({update}) INSERT INTO {LeadEvent._meta.db_table} (lead_id, {columns}) "
        f"SELECT id, {', '.join(['%s'] * len(fields))} FROM moved RETURNING lead_id",
        params + _db_values(event, fields, connections[DEFAULT_DB_ALIAS]),
    )


@cache
def _event_columns():
    fields = [f for f in LeadEvent._meta.concrete_fields if not f.primary_key and f.name != "lead"]
    return fields, ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _conditional_update_sql(lead: Lead, changes: dict) -> tuple[str, list]:
    """lead_transition's UPDATE as SQL text (compiling hundreds of ORM updates would cost
    more than running them): set `changes` where the lead is still as it was read."""
    qn = connection.ops.quote_name
    sets, params = [], []
    for name, value in changes.items():
        f = Lead._meta.get_field(name)
        if f.is_relation and value is not None and not isinstance(value, int):
            value = value.pk
        sets.append(f"{qn(f.column)} = %s")
        params.append(f.get_db_prep_save(value, connection))
    owner = "owner_id IS NULL" if lead.owner_id is None else "owner_id = %s"
    params += [lead.pk, lead.status] + ([] if lead.owner_id is None else [lead.owner_id])
    return (
        f"UPDATE {Lead._meta.db_table} SET {', '.join(sets)} "
        f"WHERE id = %s AND status = %s AND {owner} RETURNING id",
        params,
    )


def lead_record_event(
    *, lead: Lead, kind: str, actor=None, reason: str = "", data: dict | None = None
) -> LeadEvent:
    """Append a timeline entry that does not move the lead (a note, a repeat inquiry)."""
    return LeadEvent.objects.create(
        lead=lead, kind=kind, actor=actor, reason=reason, data=data or {}
    )


def lead_create(*, actor=None, reason: str = "", **fields) -> Lead:
    """Create a lead in state `new` with its first timeline entry."""
    lead = Lead(status=LeadState.NEW, **fields)
    event = LeadEvent(
        kind=LeadEvent.Kind.CREATED, to_state=LeadState.NEW, actor=actor, reason=reason
    )
    if _insert_together_possible():
        _insert_lead_with_event(lead, event)
        return lead
    # No savepoint: a lead and its first event are all-or-nothing with whatever encloses
    # them, and a savepoint would cost two round trips per lead (imports create thousands).
    with transaction.atomic(savepoint=False):
        lead.save(force_insert=True)
        event.lead = lead
        event.save()
    return lead


def _insert_together_possible() -> bool:
    # The one-statement insert skips model save signals, so it is used only while nothing
    # listens to them (a receiver added later gets the ORM path without anyone noticing).
    return not any(
        signal.has_listeners(model)
        for signal in (pre_save, post_save)
        for model in (Lead, LeadEvent)
    )


def _insert_lead_with_event(lead: Lead, event: LeadEvent) -> None:
    """A lead and its first event in one statement (`WITH … INSERT … RETURNING`): every
    capture creates both, and two ORM inserts cost about twice the CPU of building this
    one (bench/intake.py). Values go through each field's own pre_save/get_db_prep_save,
    as the ORM's insert does; one statement is atomic on its own."""
    lead_fields, event_fields, sql = _lead_with_event_sql()
    # The wrapper itself, not the `connection` proxy: each field's preparation reads it a
    # few times, and every read through the proxy is a thread-local lookup.
    db = connections[DEFAULT_DB_ALIAS]
    values = _db_values(lead, lead_fields, db) + _db_values(event, event_fields, db)
    with db.cursor() as cursor:
        cursor.execute(sql, values)
        lead.pk, event.pk = cursor.fetchone()
    event.lead = lead
    for obj in (lead, event):
        obj._state.adding, obj._state.db = False, db.alias


def _db_values(obj, fields, db) -> list:
    return [field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields]


@cache
def _lead_with_event_sql():
    lead_fields = [f for f in Lead._meta.concrete_fields if not f.primary_key]
    event_fields = [
        f for f in LeadEvent._meta.concrete_fields if not f.primary_key and f.name != "lead"
    ]
    q = connection.ops.quote_name

    def columns(fields):
        return ", ".join(q(f.column) for f in fields)

    def placeholders(fields):
        return ", ".join(["%s"] * len(fields))

    sql = (
        f"WITH new_lead AS (INSERT INTO {q(Lead._meta.db_table)} ({columns(lead_fields)}) "
        f"VALUES ({placeholders(lead_fields)}) RETURNING id) "
        f"INSERT INTO {q(LeadEvent._meta.db_table)} "
        f"({q(LeadEvent._meta.get_field('lead').column)}, {columns(event_fields)}) "
        f"SELECT id, {placeholders(event_fields)} FROM new_lead "
        f"RETURNING {q(LeadEvent._meta.get_field('lead').column)}, id"
    )
    return lead_fields, event_fields, sql
