"""Draft rule sets: a copy of the live rules, edited in the admin like them, never routed by."""

import pytest
from django.db import IntegrityError, transaction

from pools.models import Lead
from routing.engine import lead_route
from routing.models import RoutingDecision, RoutingRule, RuleRotation, RuleSet
from routing.simulator.drafts import rule_set_copy_live
from tests.factories import PoolFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
M = RoutingRule.Method
COMPARED = ("name", "priority", "is_active", "conditions", "action", "method", "target")


@pytest.fixture
def live_rules(team):
    listed, other = make_rep(team=team), make_rep(team=team)
    catch_all = RuleFactory(priority=9, team=team, method=M.LOAD_BALANCED)
    vip = RuleFactory(
        priority=1,
        team=team,
        target=RoutingRule.Target.REPS,
        rep_list=[listed],
        conditions=[[{"field": "state", "op": "equals", "value": "SP"}]],
        fallback=RoutingRule.Fallback.RULE,
        fallback_rule=catch_all,
        value_tiers=[50000],
    )
    off = RuleFactory(priority=5, team=team, is_active=False, action="pool", pool=PoolFactory())
    return {"vip": vip, "catch_all": catch_all, "off": off, "listed": listed, "other": other}


def test_existing_and_new_rules_belong_to_the_one_live_set(live_rules):
    live = RuleSet.objects.live().get()
    assert set(live.rules.all()) == {live_rules["vip"], live_rules["catch_all"], live_rules["off"]}
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleSet.objects.create(name="Another live", state=RuleSet.State.LIVE)


def test_copying_the_live_rules_copies_everything_and_relinks_fallbacks(live_rules, admin_user):
    draft = rule_set_copy_live(name="Try it", user=admin_user)
    assert draft.state == RuleSet.State.DRAFT and draft.created_by == admin_user
    copies = {r.copied_from_id: r for r in draft.rules.all()}
    originals = RoutingRule.objects.live()
    assert set(copies) == {r.pk for r in originals}
    for original in originals:
        copy = copies[original.pk]
        assert copy.pk != original.pk
        for name in COMPARED:
            assert getattr(copy, name) == getattr(original, name), name
        assert set(copy.reps.all()) == set(original.reps.all())
        assert RuleRotation.objects.filter(rule=copy).exists()
    vip_copy = copies[live_rules["vip"].pk]
    assert vip_copy.value_tiers == [50000]
    assert vip_copy.fallback_rule == copies[live_rules["catch_all"].pk]  # inside the draft
    assert vip_copy.fallback_rule.rule_set == draft


def test_the_engine_never_routes_by_a_draft_rule(live_rules, team):
    draft = rule_set_copy_live(name="Everything to one rep")
    # The draft sends every lead to `other` at the highest priority; the live rules don't.
    RuleFactory(
        rule_set=draft, priority=0, team=team, method=M.DIRECT, direct_rep=live_rules["other"]
    )
    draft.rules.update(is_active=True)
    lead = screened_lead(team=team, state="SP")
    lead_route(lead=lead)
    decision = RoutingDecision.objects.get(lead=lead)
    assert decision.rule == live_rules["vip"]
    assert Lead.objects.get(pk=lead.pk).owner == live_rules["listed"]
    assert all(
        step["rule"] != r.pk for step in decision.details["steps"] for r in draft.rules.all()
    )


def test_a_rule_name_is_unique_within_its_set_only(live_rules):
    draft = rule_set_copy_live(name="Copy")
    assert draft.rules.filter(name=live_rules["vip"].name).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleFactory(rule_set=draft, name=live_rules["vip"].name)


def test_admin_copies_the_live_rules_into_a_draft_and_lists_its_rules(
    live_rules, admin_user, client_for
):
    client = client_for(admin_user)
    assert client.get("/admin/routing/ruleset/copy-live/").status_code == 200
    response = client.post("/admin/routing/ruleset/copy-live/", {"name": "Weighted test"})
    draft = RuleSet.objects.get(name="Weighted test")
    assert response.status_code == 302 and f"rule_set__id__exact={draft.pk}" in response.url
    body = client.get(response.url).content.decode()
    assert body.count(live_rules["vip"].name) >= 1
    # The plain rule list shows the live rules, not the draft's copies.
    live_list = client.get("/admin/routing/routingrule/").content.decode()
    assert f"/admin/routing/routingrule/{live_rules['vip'].pk}/change/" in live_list
    copy = draft.rules.get(copied_from=live_rules["vip"])
    assert f"/admin/routing/routingrule/{copy.pk}/change/" not in live_list
    assert "Rules of “Live rules” — live" in live_list
    assert "Rules of “Weighted test” — draft: no lead is routed by them" in body
    assert client.get("/admin/routing/routingrule/?rule_set__id__exact=x").status_code == 302
    again = client.post("/admin/routing/ruleset/copy-live/", {"name": "weighted TEST"})

    assert again.status_code == 200 and "already exists" in again.content.decode()


def test_admin_edits_a_draft_rule_with_the_rules_own_form(live_rules, admin_user, client_for):
    draft = rule_set_copy_live(name="Draft")
    copy = draft.rules.get(copied_from=live_rules["vip"])
    client = client_for(admin_user)
    form = {
        "name": copy.name,
        "priority": "1",
        "is_active": "on",
        "conditions": "state = SP",
        "action": "assign",
        "method": "weighted",
        "target": "team",
        "team": str(copy.team_id),
        "fallback": "rule",
        "fallback_rule": str(live_rules["catch_all"].pk),  # the LIVE catch-all: refused
        "offer_method": "shotgun",
        "offer_seconds": "60",
        "offer_passes": "2",
        "offer_shark_size": "3",
        "offer_waves": "3",
        "performance_window_days": "90",
        "performance_min_sample": "5",
        "rotation-TOTAL_FORMS": "1",
        "rotation-INITIAL_FORMS": "1",
        "rotation-MIN_NUM_FORMS": "0",
        "rotation-MAX_NUM_FORMS": "1",
        "rotation-0-id": str(copy.rotation.pk),
        "rotation-0-rule": str(copy.pk),
    }
    url = f"/admin/routing/routingrule/{copy.pk}/change/"
    refused = client.post(url, form)
    assert refused.status_code == 200  # the draft's rules are the only choices
    assert "Select a valid choice" in refused.content.decode()
    # A new rule names its set: a fallback into another set is refused with the reason.
    added = client.post(
        "/admin/routing/routingrule/add/",
        {
            **form,
            "name": "New in draft",
            "rule_set": str(draft.pk),
            "rotation-TOTAL_FORMS": "0",
            "rotation-INITIAL_FORMS": "0",
        },
    )
    assert added.status_code == 200
    assert "a fallback rule must be in this rule" in added.content.decode()
    assert not RoutingRule.objects.filter(name="New in draft").exists()
    form["fallback_rule"] = str(draft.rules.get(copied_from=live_rules["catch_all"]).pk)
    assert client.post(url, form).status_code == 302
    copy.refresh_from_db()
    assert copy.method == M.WEIGHTED and copy.rule_set == draft
    # "Save as new" of a draft's rule (the page sends the rule's set) stays in the draft.
    saved = client.post(
        url, {**form, "name": "Second VIP", "rule_set": str(draft.pk), "_saveasnew": "Save"}
    )
    assert saved.status_code == 302
    assert RoutingRule.objects.get(name="Second VIP").rule_set == draft
    live_rules["vip"].refresh_from_db()
    assert live_rules["vip"].method == M.ROUND_ROBIN  # the live original is untouched


def test_admin_renames_and_deletes_a_draft_but_never_the_live_set(
    live_rules, admin_user, client_for
):
    client = client_for(admin_user)
    draft = rule_set_copy_live(name="Old name")
    response = client.post(
        f"/admin/routing/ruleset/{draft.pk}/change/", {"name": "New name", "description": ""}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.name == "New name"
    live = RuleSet.objects.live().get()
    assert (
        client.post(f"/admin/routing/ruleset/{live.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    n_live = RoutingRule.objects.live().count()
    response = client.post(f"/admin/routing/ruleset/{draft.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not RuleSet.objects.filter(pk=draft.pk).exists()
    assert not RoutingRule.objects.filter(rule_set_id=draft.pk).exists()
    assert RoutingRule.objects.live().count() == n_live == 3
