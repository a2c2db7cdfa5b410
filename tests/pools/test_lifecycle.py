"""The lead state machine and the database invariant behind it."""

import pytest
from django.db import IntegrityError, transaction

from pools.lifecycle import (
    OWNED_STATES,
    TRANSITIONS,
    IllegalTransition,
    LeadState,
    can_transition,
    check_transition,
)
from pools.models import Lead, LeadEvent
from pools.services import LeadChanged, lead_create, lead_transition
from tests.factories import LeadFactory, PoolFactory

ALLOWED = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]
FORBIDDEN = [
    (LeadState.NEW, LeadState.ASSIGNED),  # never routed without screening
    (LeadState.NEW, LeadState.POOLED),
    (LeadState.REJECTED, LeadState.ASSIGNED),  # an override goes back through routing
    (LeadState.POOLED, LeadState.WON),
    (LeadState.POOLED, LeadState.CONTACTED),
    (LeadState.WON, LeadState.LOST),
    (LeadState.WON, LeadState.POOLED),
    (LeadState.LOST, LeadState.ASSIGNED),
    (LeadState.SCREENED, LeadState.CONTACTED),
    (LeadState.CONTACTED, LeadState.WON),  # must be qualified first
]


def _lead_in(state, *, rep, pool):
    """A lead sitting in `state`, with the owner/pool the invariant demands."""
    return LeadFactory(
        status=state,
        owner=rep if state in OWNED_STATES else None,
        pool=pool if state == LeadState.POOLED else None,
    )


def _move_kwargs(to, *, rep, pool):
    return {
        "owner": rep if to in OWNED_STATES else None,
        "pool": pool if to == LeadState.POOLED else None,
        "extra": {"assigned_via": Lead.Via.DESK} if to == LeadState.ASSIGNED else None,
    }


@pytest.mark.parametrize(("from_state", "to_state"), ALLOWED)
@pytest.mark.django_db
def test_every_allowed_transition_moves_the_lead_and_records_it(from_state, to_state, rep):
    pool = PoolFactory()
    lead = _lead_in(from_state, rep=rep, pool=pool)
    lead_transition(
        lead=lead, to=to_state, reason="test", **_move_kwargs(to_state, rep=rep, pool=pool)
    )
    lead.refresh_from_db()
    assert lead.status == to_state
    assert (lead.owner_id is not None) == (to_state in OWNED_STATES)
    event = lead.events.order_by("-id").first()
    assert (event.from_state, event.to_state) == (from_state, to_state)


@pytest.mark.parametrize(("from_state", "to_state"), FORBIDDEN)
@pytest.mark.django_db
def test_forbidden_transitions_raise_a_clear_error_and_change_nothing(from_state, to_state, rep):
    pool = PoolFactory()
    lead = _lead_in(from_state, rep=rep, pool=pool)
    events_before = lead.events.count()
    with pytest.raises(IllegalTransition, match="cannot go from"):
        lead_transition(lead=lead, to=to_state, **_move_kwargs(to_state, rep=rep, pool=pool))
    lead.refresh_from_db()
    assert lead.status == from_state
    assert lead.events.count() == events_before


def test_forbidden_list_really_is_forbidden():
    for from_state, to_state in FORBIDDEN:
        assert not can_transition(from_state, to_state)
    with pytest.raises(IllegalTransition):
        check_transition(LeadState.WON, LeadState.NEW)


def test_every_state_is_reachable_from_new():
    seen, frontier = {LeadState.NEW}, [LeadState.NEW]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(LeadState)


@pytest.mark.django_db
def test_a_stale_writer_loses_instead_of_overwriting(rep, other_rep):
    pool = PoolFactory()
    lead = _lead_in(LeadState.POOLED, rep=rep, pool=pool)
    stale_copy = Lead.objects.get(pk=lead.pk)
    via = {"assigned_via": Lead.Via.DESK}
    lead_transition(lead=lead, to=LeadState.ASSIGNED, owner=rep, extra=via)
    with pytest.raises(LeadChanged):
        lead_transition(lead=stale_copy, to=LeadState.ASSIGNED, owner=other_rep, extra=via)
    assert Lead.objects.get(pk=lead.pk).owner == rep


@pytest.mark.django_db
def test_lead_create_starts_the_timeline():
    lead = lead_create(first_name="Ana", email="ana@example.test")
    assert lead.status == LeadState.NEW
    assert list(lead.events.values_list("kind", flat=True)) == [LeadEvent.Kind.CREATED]


@pytest.mark.django_db
def test_lead_events_are_append_only():
    lead = LeadFactory()
    event = lead.events.first()
    event.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


# --- the invariant in the database ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("state", sorted(OWNED_STATES))
def test_database_refuses_an_owned_state_without_owner(state):
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(status=state, owner=None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state",
    [LeadState.NEW, LeadState.POOLED, LeadState.OFFERED, LeadState.SKIMMING, LeadState.REJECTED],
)
def test_database_refuses_an_owner_outside_owned_states(state, rep):
    pool = PoolFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(status=state, owner=rep, pool=pool if state == LeadState.POOLED else None)


@pytest.mark.django_db
def test_database_refuses_a_pool_outside_the_pooled_state(rep):
    pool = PoolFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(status=LeadState.ASSIGNED, owner=rep, pool=pool)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(status=LeadState.POOLED, pool=None)


@pytest.mark.django_db
def test_database_refuses_a_bulk_update_that_breaks_the_invariant(rep):
    LeadFactory(status=LeadState.ASSIGNED, owner=rep)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.update(owner=None)
