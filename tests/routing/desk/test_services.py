"""Hand-assigning, reassigning, sending to a pool or the skim queue."""

import pytest
from django.utils import timezone

from accounts.models import RepProfile
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from routing.desk.services import (
    TAKEN,
    DeskError,
    lead_hand_assign,
    lead_send_to_pool,
    lead_send_to_skim,
)
from routing.models import Offer, RepIntake, RoutingDecision
from tests.factories import LeadFactory, PoolFactory, make_manager, make_rep

pytestmark = pytest.mark.django_db


def skimming(team, **fields):
    return LeadFactory(status=LeadState.SKIMMING, team=team, **fields)


def test_manager_assigns_a_skimming_lead_with_an_event_a_decision_and_a_count(team, manager, rep):
    lead = skimming(team)
    lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=rep.pk, reason="Speaks German")
    lead.refresh_from_db()
    assert (lead.status, lead.owner_id) == (LeadState.ASSIGNED, rep.pk)
    event = lead.events.order_by("-id").first()
    assert event.kind == LeadEvent.Kind.ASSIGNED and event.actor == manager
    who = manager.get_full_name()
    assert event.reason == f"Assigned by manager {who}: Speaks German"
    decision = RoutingDecision.objects.get(lead=lead)
    assert decision.winner == rep and decision.method == "manual"
    assert decision.reason == f"Assigned by manager {who}: Speaks German"
    assert RepIntake.objects.get(user=rep).count == 1


def test_reassigning_needs_a_reason_and_moves_the_lead_to_the_new_rep(team, manager, rep):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team)
    other = make_rep(team=team)
    with pytest.raises(DeskError, match="Say why"):
        lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=other.pk)
    assert Lead.objects.get(pk=lead.pk).owner_id == rep.pk
    lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=other.pk, reason="Rep on leave")
    lead.refresh_from_db()
    assert lead.owner_id == other.pk
    assert lead.events.order_by("-id").first().reason.startswith("Reassigned by manager")


def test_an_excluded_rep_needs_an_override_which_is_recorded(team, manager):
    away = make_rep(team=team, availability=RepProfile.Availability.AWAY)
    lead = skimming(team)
    with pytest.raises(DeskError, match="Away.*Override"):
        lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=away.pk)
    assert Lead.objects.get(pk=lead.pk).status == LeadState.SKIMMING
    lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=away.pk, override=True)
    decision = RoutingDecision.objects.get(lead=lead)
    assert decision.details["manual"]["override"] is True
    assert "override: Status is “Away”" in decision.reason
    assert lead.events.order_by("-id").first().data["override"] is True


def test_a_manager_of_another_team_cannot_move_the_lead(team, other_team, rep):
    stranger = make_manager(teams=[other_team])
    lead = skimming(team)
    with pytest.raises(DeskError, match="not in your teams"):
        lead_hand_assign(manager=stranger, lead_id=lead.pk, rep_id=rep.pk)


def test_only_reps_of_the_managers_teams_can_be_chosen(team, manager, other_rep):
    lead = skimming(team)
    with pytest.raises(DeskError, match="Choose a rep of your teams"):
        lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=other_rep.pk, override=True)
    with pytest.raises(DeskError, match="Choose a rep"):
        lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id="not a number")


def test_the_second_of_two_managers_gets_a_calm_message(team, manager, rep):
    lead = skimming(team)
    stale = Lead.objects.get(pk=lead.pk)  # what the second manager's page read
    lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=rep.pk)
    second = make_manager(teams=[team])
    from routing.desk import services

    with pytest.raises(DeskError) as caught:
        services._do_move(
            lead=stale,
            to=LeadState.ASSIGNED,
            manager=second,
            owner=make_rep(team=team),
            text="x",
            data={},
            outcome=RoutingDecision.Outcome.ASSIGNED,
            now=timezone.now(),
        )
    assert caught.value.message == TAKEN
    assert RoutingDecision.objects.filter(lead=lead).count() == 1


def test_an_action_on_a_lead_that_moved_since_the_page_showed_it_is_calmly_refused(
    team, manager, rep
):
    lead = skimming(team)
    lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=rep.pk)
    with pytest.raises(DeskError) as caught:
        lead_hand_assign(
            manager=manager, lead_id=lead.pk, rep_id=make_rep(team=team).pk, seen="skimming:"
        )
    assert caught.value.message == TAKEN


def test_send_to_pool_and_back_to_the_skim_queue(team, manager, rep):
    pool = PoolFactory(team=team)
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team)
    with pytest.raises(DeskError, match="Say why"):
        lead_send_to_pool(manager=manager, lead_id=lead.pk, pool_id=pool.pk)
    lead_send_to_pool(manager=manager, lead_id=lead.pk, pool_id=pool.pk, reason="Rep left")
    lead.refresh_from_db()
    assert (lead.status, lead.pool_id, lead.owner_id) == (LeadState.POOLED, pool.pk, None)
    lead_send_to_skim(manager=manager, lead_id=lead.pk)
    lead.refresh_from_db()
    assert lead.status == LeadState.SKIMMING
    assert list(
        RoutingDecision.objects.filter(lead=lead).order_by("id").values_list("outcome", flat=True)
    ) == ["pooled", "skimming"]


def test_another_teams_pool_is_refused(team, other_team, manager):
    lead = skimming(team)
    with pytest.raises(DeskError, match="your teams' pools"):
        lead_send_to_pool(manager=manager, lead_id=lead.pk, pool_id=PoolFactory(team=other_team).pk)
    assert Lead.objects.get(pk=lead.pk).status == LeadState.SKIMMING


def test_a_closed_lead_cannot_be_moved(team, manager, rep):
    lead = LeadFactory(status=LeadState.WON, owner=rep, team=team)
    with pytest.raises(DeskError, match="won lead cannot be moved"):
        lead_hand_assign(
            manager=manager, lead_id=lead.pk, rep_id=make_rep(team=team).pk, reason="x"
        )


def test_assigning_an_offered_lead_withdraws_its_open_offer(team, manager, rep):
    lead = LeadFactory(status=LeadState.OFFERED, team=team)
    now = timezone.now()
    offer = Offer.objects.create(
        lead=lead, method="shotgun", recipient_ids=[rep.pk], plan={}, expires_at=now
    )
    lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=rep.pk)
    offer.refresh_from_db()
    assert offer.state == Offer.State.WITHDRAWN
    assert Lead.objects.get(pk=lead.pk).owner_id == rep.pk
