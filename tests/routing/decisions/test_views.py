"""“Why this rep?” panel: who may see what, methods, page and fragment."""

import pytest
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.pull.claim import lead_claim
from pools.pull.release import lead_release
from routing.decisions.selectors import owner_claim
from routing.engine import lead_route
from routing.models import RoutingRule
from tests.factories import LeadFactory, PoolFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(team, rep):
    away = make_rep(team=team, availability="away")
    away.first_name, away.last_name = "Absent", "Colleague"
    away.save()
    RuleFactory(name="Inbound round robin", team=team)
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    lead.refresh_from_db()
    assert lead.owner == rep
    return lead


def url(lead):
    return f"/routing/leads/{lead.pk}/why/"


def test_manager_sees_every_candidate_and_why(routed, manager, client_for):
    body = client_for(manager).get(url(routed)).content.decode()
    assert "Inbound round robin" in body and "Absent Colleague" in body
    assert "Status is “Away”" in body and "<html" in body


def test_admin_sees_the_full_panel(routed, admin_user, client_for):
    body = client_for(admin_user).get(url(routed)).content.decode()
    assert "Absent Colleague" in body and "Method state" in body


def test_owner_rep_sees_the_outcome_but_not_colleagues(routed, rep, client_for):
    body = client_for(rep).get(url(routed)).content.decode()
    assert "Inbound round robin" in body and "chosen" in body
    assert "Absent Colleague" not in body and "Away" not in body
    assert "1 other rep considered" in body


def test_other_rep_and_other_manager_get_404(routed, other_rep, client_for, other_team):
    from tests.factories import make_manager

    assert client_for(other_rep).get(url(routed)).status_code == 404
    assert client_for(make_manager(teams=[other_team])).get(url(routed)).status_code == 404


def test_a_managers_rep_holding_another_teams_lead_opens_nothing_of_that_team(
    other_team, client_for
):
    """Scope is the lead's team: the manager of the rep who holds another team's lead
    sees neither the lead nor that team's reps' absences in its decision."""
    from tests.factories import make_manager

    theirs = make_rep(team=other_team)
    away = make_rep(team=other_team, availability="away")
    away.first_name, away.last_name = "Absent", "Stranger"
    away.save()
    RuleFactory(name="Enterprise round robin", team=other_team)
    lead = screened_lead(team=other_team)
    lead_route(lead=lead)
    lead.refresh_from_db()
    assert lead.owner == theirs
    # The owner moves to the manager's team (or was lent to the other team's rota).
    from tests.factories import TeamFactory

    mine = TeamFactory(name="Mine")
    theirs.rep_profile.team = mine
    theirs.rep_profile.save()
    manager = make_manager(teams=[mine])
    assert client_for(manager).get(url(lead)).status_code == 404
    assert client_for(manager).get(f"/leads/{lead.pk}/").status_code == 404
    body = client_for(make_manager(teams=[other_team])).get(url(lead)).content.decode()
    assert "Absent Stranger" in body  # the lead's own team's manager sees it all


def test_outsider_is_refused_and_anonymous_redirected(routed, outsider, client_for, client):
    assert client_for(outsider).get(url(routed)).status_code == 403
    response = client.get(url(routed))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_post_is_not_allowed(routed, manager, client_for):
    assert client_for(manager).post(url(routed)).status_code == 405


def test_htmx_gets_only_the_panel(routed, manager, client_for):
    body = client_for(manager).get(url(routed), HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<section class="card" id="why-this-rep">')
    assert "<html" not in body


def test_unrouted_lead_says_so(team, manager, client_for):
    lead = screened_lead(team=team)
    body = client_for(manager).get(url(lead)).content.decode()
    assert "Not routed by the engine yet" in body


def test_an_owned_lead_without_a_decision_does_not_say_yet(team, rep, manager, client_for):
    """A lead that came with its owner (the demo's closed leads) was never waiting."""
    lead = LeadFactory(status=LeadState.WON, owner=rep, team=team)
    body = client_for(manager).get(url(lead)).content.decode()
    assert "Not routed by the engine yet" not in body
    assert f"it reached {rep.display_name} without the engine" in body


def test_a_claimed_lead_says_its_owner_pulled_it_and_how_it_reached_the_pool(
    team, rep, manager, client_for
):
    pool = PoolFactory(team=team, name="Inbound open pool")
    RuleFactory(name="Everything to the pool", team=team, action=RoutingRule.Action.POOL, pool=pool)
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    lead.refresh_from_db()
    assert lead.status == LeadState.POOLED
    lead_claim(user=rep, lead_id=lead.pk)
    for viewer in (rep, manager):
        body = client_for(viewer).get(url(lead)).content.decode()
        assert f"Pulled from a pool by {rep.display_name}" in body
        assert "Claimed from Inbound open pool" in body
        assert "How it reached the pool" in body and "Everything to the pool" in body


def test_a_claim_without_a_routing_decision_is_still_explained(team, rep, client_for):
    pool = PoolFactory(team=team, name="Walk-in pool")
    lead = LeadFactory(team=team, status=LeadState.POOLED, pool=pool, pooled_at=timezone.now())
    lead_claim(user=rep, lead_id=lead.pk)
    body = client_for(rep).get(url(lead)).content.decode()
    assert "Claimed from Walk-in pool" in body
    assert "Not routed by the engine yet" not in body and "How it reached the pool" not in body


def test_a_routed_lead_is_not_called_pulled(routed, rep, client_for):
    body = client_for(rep).get(url(routed)).content.decode()
    assert "Pulled from a pool" not in body


def test_a_decision_after_the_claim_or_another_owner_is_not_a_pull(team, rep):
    # No flow routes an owned lead yet (escalation will): the rule is the selector's.
    pool = PoolFactory(team=team)
    lead = LeadFactory(team=team, status=LeadState.POOLED, pool=pool, pooled_at=timezone.now())
    lead = lead_claim(user=rep, lead_id=lead.pk)
    assert owner_claim(lead=lead, after=None).actor == rep
    assert owner_claim(lead=lead, after=timezone.now()) is None
    lead.owner = make_rep(team=team)  # as if handed on since
    assert owner_claim(lead=lead, after=None) is None
    lead_release(user=rep, lead_id=lead.pk, reason="Wrong number")
    lead.refresh_from_db()
    assert owner_claim(lead=lead, after=None) is None  # back in the pool: nobody's


def test_lead_page_loads_the_panel_with_a_real_link(routed, manager, client_for):
    body = client_for(manager).get(f"/leads/{routed.pk}/").content.decode()
    assert f'hx-get="{url(routed)}"' in body and f'href="{url(routed)}"' in body


def test_query_count_of_the_panel_is_constant(team, manager, client_for, queries_of):
    RuleFactory(team=team)
    client = client_for(manager)

    def panel_with(reps: int) -> int:
        for _ in range(reps):
            make_rep(team=team)
        lead = screened_lead(team=team)
        lead_route(lead=lead)
        return queries_of(lambda: client.get(url(lead)))

    few = panel_with(2)
    assert few <= 12
    assert panel_with(30) == few


# -- admin ---------------------------------------------------------------------------------
