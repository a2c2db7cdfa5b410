"""The routing rules' admin: the rule form, its messages, the rule list and "Test a lead"."""

import pytest
from django.utils.html import escape

from pools.lifecycle import LeadState
from routing.models import RoutingRule
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db


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
    response = client.post(
        "/admin/routing/routingrule/add/", _rule_post(team=team.pk, value_tiers="12.500")
    )
    assert "“12.500” is ambiguous" in response.content.decode()  # not 12.5
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
        ("estimated_value: 12.500", "“12.500” is ambiguous"),
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
    from routing.rules.forms import ConditionsField, NumberListField

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
