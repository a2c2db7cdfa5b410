"""“Why this rep?” panel and the admin: who may see what, methods, page and fragment."""

import pytest
from django.utils import timezone
from django.utils.html import escape

from pools.claiming import lead_claim, lead_release
from pools.lifecycle import LeadState
from routing.engine import lead_route
from routing.models import RoutingRule
from routing.selectors import owner_claim
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


def test_query_count_of_the_panel_is_constant(
    team, manager, client_for, django_assert_max_num_queries
):
    for _ in range(30):
        make_rep(team=team)
    RuleFactory(team=team)
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        assert client.get(url(lead)).status_code == 200


# -- admin ---------------------------------------------------------------------------------


def _rule_post(**overrides):
    data = {
        "name": "R",
        "priority": 1,
        "is_active": "on",
        "conditions": "",
        "action": "assign",
        "method": "round_robin",
        "target": "team",
        "keep_turn": "on",
        "performance_window_days": 90,
        "performance_min_sample": 5,
        "value_tiers": "",
        "fallback": "skim",
        "rotation-TOTAL_FORMS": 0,
        "rotation-INITIAL_FORMS": 0,
        "rotation-MIN_NUM_FORMS": 0,
        "rotation-MAX_NUM_FORMS": 1,
    }
    data.update(overrides)
    return data


def test_admin_rejects_bad_conditions_with_a_clear_message(admin_user, client_for, team):
    client = client_for(admin_user)
    for conditions, message in [
        ("state = SP\ncolour = red", "Line 2 (“colour = red”): start with a lead field"),
        ("score 50-10", "Line 1 (“score 50-10”): the range minimum is above its maximum"),
        ("score 50", "after “score”, say how to compare"),
        ("value_tiers", "start with a lead field"),
        ("\n\nstate = SP\nscore high", "Line 4 (“score high”)"),  # counted as typed
    ]:
        response = client.post(
            "/admin/routing/routingrule/add/", _rule_post(team=team.pk, conditions=conditions)
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert escape(message) in body
        assert escape(conditions.splitlines()[-1]) in body  # re-shown as typed
    response = client.post(
        "/admin/routing/routingrule/add/", _rule_post(team=team.pk, value_tiers="50,000")
    )
    assert "without thousands separators" in response.content.decode()
    response = client.post(
        "/admin/routing/routingrule/add/", _rule_post(team=team.pk, value_tiers="50k")
    )
    assert "“50k” is not a number" in response.content.decode()
    response = client.post(
        "/admin/routing/routingrule/add/", _rule_post(team=team.pk, value_tiers="10, 500")
    )
    assert "from highest to lowest" in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_admin_requires_the_fields_the_action_needs(admin_user, client_for):
    response = client_for(admin_user).post(
        "/admin/routing/routingrule/add/", _rule_post(action="pool")
    )
    assert "Choose the pool" in response.content.decode()


def test_admin_saves_a_valid_rule(admin_user, client_for, team):
    response = client_for(admin_user).post(
        "/admin/routing/routingrule/add/",
        _rule_post(
            team=team.pk,
            conditions="state in SP, RJ\nestimated_value >= 10000\nor\nsource = partner",
            value_tiers="50000, 10000.5",
        ),
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.conditions == [
        [
            {"field": "state", "op": "in", "value": ["SP", "RJ"]},
            {"field": "estimated_value", "op": "range", "value": [10000, None]},
        ],
        [{"field": "source", "op": "equals", "value": "partner"}],
    ]
    assert rule.value_tiers == [50000, 10000.5] and rule.rotation.state == {}


def test_admin_shows_stored_conditions_as_lines(admin_user, client_for, team):
    rule = RuleFactory(
        team=team,
        conditions=[
            [{"field": "city", "op": "in", "value": ["Washington, DC", "Boston"]}],
            [{"field": "score", "op": "range", "value": [None, 40]}],
        ],
        value_tiers=[50000, 10000],
    )
    body = client_for(admin_user).get(f"/admin/routing/routingrule/{rule.pk}/change/")
    body = body.content.decode()
    assert escape('city in "Washington, DC", Boston\nor\nscore ≤ 40') in body
    assert 'value="50000, 10000"' in body


def test_admin_rule_list_reads_as_sentences(admin_user, client_for, team):
    RuleFactory(
        name="SP leads", team=team, conditions=[[{"field": "state", "op": "equals", "value": "SP"}]]
    )
    body = client_for(admin_user).get("/admin/routing/routingrule/").content.decode()
    assert "state = SP" in body and "Round robin over reps of Inbound" in body
    assert "Test a lead" in body


def test_admin_test_a_lead_by_id_writes_nothing(admin_user, client_for, team, rep):
    RuleFactory(name="Everyone", team=team)
    lead = screened_lead(team=team)
    body = (
        client_for(admin_user)
        .get(f"/admin/routing/routingrule/test/?lead_id={lead.pk}")
        .content.decode()
    )
    assert f"Assigned to {rep.display_name}" in body and "Everyone" in body
    lead.refresh_from_db()
    assert lead.status == LeadState.SCREENED and not lead.routing_decisions.exists()


def test_admin_test_a_pasted_lead(admin_user, client_for, team, rep):
    RuleFactory(
        name="Paid",
        team=team,
        conditions=[[{"field": "source", "op": "equals", "value": "paid_search"}]],
    )
    client = client_for(admin_user)
    body = client.get(
        "/admin/routing/routingrule/test/",
        {"fields_text": "source: paid_search\ncountry: BR\ncreated_at: 2026-03-04T10:00:00+00:00"},
    ).content.decode()
    assert "Assigned to" in body and "Paid" in body
    for text, message in [
        ("colour: red", "Line 1: “colour” is not a field to test."),
        ("country BR", "Line 1: write “name: value”."),
        ("score: high", "“high” is not a valid score."),
        ("estimated_value: NaN", "“NaN” is not a valid estimated value."),
        ("created_at: 2026-13-45T10:00", "is not a valid created at."),
    ]:
        body = client.get("/admin/routing/routingrule/test/", {"fields_text": text})
        assert escape(message) in body.content.decode()
    body = client.get("/admin/routing/routingrule/test/", {"lead_id": 999999}).content.decode()
    assert "There is no lead #999999" in body


def test_admin_test_page_is_for_staff_only(rep, client_for):
    response = client_for(rep).get("/admin/routing/routingrule/test/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_conditions_and_tiers_count_as_changed_only_when_their_meaning_does():
    from routing.forms import ConditionsField, NumberListField

    stored = [[{"field": "state", "op": "in", "value": ["SP", "RJ"]}]]
    field = ConditionsField(required=False)
    assert not field.has_changed(stored, "state in SP, RJ")
    assert not field.has_changed(stored, "\n  state in SP,RJ  \n")  # spacing only
    assert field.has_changed(stored, "state in SP")
    assert field.has_changed(stored, "colour = red")  # unreadable: shown again, changed
    assert not field.has_changed([], "") and not field.has_changed(None, "  ")
    tiers = NumberListField(required=False)
    assert not tiers.has_changed([50000, 10000], "50000,10000")
    assert tiers.has_changed([50000], "50000, 100")
