"""Promoting a draft to live, rolling back to a version, and what a switch carries over."""

import pytest
from django.contrib.auth.models import Permission

from pools.models import Lead
from routing.engine import lead_route
from routing.escalation.policies import Policies
from routing.models import (
    PoolAgingPolicy,
    RoutingDecision,
    RoutingRule,
    RuleRotation,
    RuleSet,
    RuleSetPromotion,
    SlaPolicy,
)
from routing.simulator.drafts import rule_set_copy_live
from routing.simulator.promote import (
    PromoteError,
    rule_set_promote,
    rule_set_rollback,
    rule_set_switch_preview,
)
from tests.factories import PoolFactory, UserFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
M = RoutingRule.Method


@pytest.fixture
def live_rules(team):
    listed, other = make_rep(team=team), make_rep(team=team)
    catch_all = RuleFactory(name="Everyone", priority=9, team=team, method=M.ROUND_ROBIN)
    vip = RuleFactory(
        name="VIP",
        priority=1,
        team=team,
        target=RoutingRule.Target.REPS,
        rep_list=[listed],
        conditions=[[{"field": "state", "op": "equals", "value": "SP"}]],
        fallback=RoutingRule.Fallback.RULE,
        fallback_rule=catch_all,
    )
    off = RuleFactory(
        name="Parked", priority=5, team=team, is_active=False, action="pool", pool=PoolFactory()
    )
    return {"vip": vip, "catch_all": catch_all, "off": off, "listed": listed, "other": other}


def _copy(draft, rule):
    return draft.rules.get(copied_from=rule)


def test_promoting_a_draft_makes_it_live_and_keeps_the_old_set_as_a_version(
    live_rules, admin_user, team
):
    old = RuleSet.objects.live().get()
    draft = rule_set_copy_live(name="Weighted VIP", user=admin_user)
    _copy(draft, live_rules["vip"]).reps.set([live_rules["other"]])
    _copy(draft, live_rules["off"]).delete()
    added = RuleFactory(rule_set=draft, name="Brand new", priority=50, team=team)

    promotion = rule_set_promote(rule_set=draft, user=admin_user)

    old.refresh_from_db()
    draft.refresh_from_db()
    assert draft.state == RuleSet.State.LIVE and draft.name == "Live rules"
    assert old.state == RuleSet.State.VERSION and old.name.startswith("Live rules until 20")
    assert set(RoutingRule.objects.live()) == set(draft.rules.all())
    assert promotion.replaced == old and promotion.promoted_by == admin_user
    assert promotion.was == RuleSet.State.DRAFT and not promotion.is_rollback
    diff = promotion.diff
    assert diff["names"] == {"replaced": "Live rules", "promoted": "Weighted VIP"}
    assert diff["added"] == [{"id": added.pk, "rule": "Brand new"}]
    assert diff["removed"] == [{"id": live_rules["off"].pk, "rule": "Parked"}]
    (vip,) = diff["changed"]
    assert vip["rule"] == "VIP"
    assert vip["fields"] == [
        {
            "field": "Reps",
            "before": str(live_rules["listed"]),
            "after": str(live_rules["other"]),
        }
    ]
    # The engine routes by the new set from the next lead: VIP now goes to `other`.
    lead = screened_lead(team=team, state="SP")
    lead_route(lead=lead)
    assert Lead.objects.get(pk=lead.pk).owner == live_rules["other"]
    assert RoutingDecision.objects.get(lead=lead).rule == _copy(draft, live_rules["vip"])


def test_the_diff_lists_changed_fields_in_words_and_follows_fallbacks_by_pairing(live_rules):
    draft = rule_set_copy_live(name="Draft")
    # An untouched copy differs from its original in nothing, its fallback included
    # (it names the copy of the original's fallback).
    diff = rule_set_switch_preview(rule_set=draft)["diff"]
    assert diff == {"added": [], "removed": [], "changed": []}
    vip = _copy(draft, live_rules["vip"])
    vip.method = M.WEIGHTED
    vip.fallback = RoutingRule.Fallback.SKIM
    vip.fallback_rule = None
    vip.conditions = [[{"field": "state", "op": "equals", "value": "RJ"}]]
    vip.save()
    (changed,) = rule_set_switch_preview(rule_set=draft)["diff"]["changed"]
    by_field = {f["field"]: (f["before"], f["after"]) for f in changed["fields"]}
    assert by_field["Method"] == ("Round robin", "Weighted round robin (rep weights)")
    assert by_field["Fallback rule"] == ("Everyone", "—")
    assert by_field["Fallback"][1] == "Team manager's skim queue"
    assert "RJ" in by_field["Conditions"][1] and "SP" in by_field["Conditions"][0]


def test_rolling_back_makes_the_version_live_again_by_the_same_switch(live_rules, admin_user):
    first = RuleSet.objects.live().get()
    draft = rule_set_copy_live(name="Draft")
    vip_copy = _copy(draft, live_rules["vip"])
    vip_copy.priority = 2
    vip_copy.save()
    rule_set_promote(rule_set=draft, user=admin_user)
    first.refresh_from_db()

    back = rule_set_rollback(version=first, user=admin_user)

    first.refresh_from_db()
    draft.refresh_from_db()
    assert first.state == RuleSet.State.LIVE and first.name == "Live rules"
    assert draft.state == RuleSet.State.VERSION and draft.name.startswith("Live rules until")
    assert back.is_rollback and back.replaced == draft
    (vip,) = back.diff["changed"]  # the version's VIP paired with the live copy of it
    assert vip["id"] == live_rules["vip"].pk
    assert vip["fields"] == [{"field": "Priority", "before": "2", "after": "1"}]
    assert set(RoutingRule.objects.live()) == {
        live_rules["vip"],
        live_rules["catch_all"],
        live_rules["off"],
    }
    # Each is one switch only: a draft is promoted, a version rolled back to.
    with pytest.raises(PromoteError, match="is former live version now, not draft"):
        rule_set_promote(rule_set=draft, user=admin_user)
    with pytest.raises(PromoteError, match="is live now"):
        rule_set_rollback(version=first, user=admin_user)
    assert RuleSetPromotion.objects.count() == 2


def test_policies_naming_a_live_rule_follow_it_into_the_new_set_and_back(
    live_rules, admin_user, team
):
    pool = PoolFactory(team=team)
    sla = SlaPolicy.objects.create(name="VIP speed", team=team, rule=live_rules["vip"])
    aging = PoolAgingPolicy.objects.create(
        pool=pool, after_minutes=30, action="route", rule=live_rules["catch_all"]
    )
    first = RuleSet.objects.live().get()
    draft = rule_set_copy_live(name="Draft")
    preview = rule_set_switch_preview(rule_set=draft)
    assert preview["refusals"] == [] and len(preview["policies"]) == 2

    promotion = rule_set_promote(rule_set=draft, user=admin_user)

    sla.refresh_from_db()
    aging.refresh_from_db()
    assert sla.rule == _copy(draft, live_rules["vip"])
    assert aging.rule == _copy(draft, live_rules["catch_all"])
    assert len(promotion.diff["policies"]) == 2
    # Leads the old VIP placed are still the policy's (it covers the rule's earlier selves).
    policies = Policies.load()
    assert policies.for_lead(team_id=team.pk, rule_id=live_rules["vip"].pk, source_id=None, score=0)
    assert policies.for_lead(team_id=team.pk, rule_id=sla.rule_id, source_id=None, score=0)
    assert not policies.for_lead(
        team_id=team.pk, rule_id=live_rules["catch_all"].pk, source_id=None, score=0
    )

    first.refresh_from_db()
    rule_set_rollback(version=first, user=admin_user)
    sla.refresh_from_db()
    aging.refresh_from_db()
    assert (sla.rule, aging.rule) == (live_rules["vip"], live_rules["catch_all"])
    # Back on the original, the policy still covers the leads its copy placed while live.
    policies = Policies.load()
    copy = _copy(draft, live_rules["vip"])
    assert policies.for_lead(team_id=team.pk, rule_id=copy.pk, source_id=None, score=0)
    assert policies.for_lead(team_id=team.pk, rule_id=live_rules["vip"].pk, source_id=None, score=0)
    assert not policies.for_lead(
        team_id=team.pk, rule_id=_copy(draft, live_rules["catch_all"]).pk, source_id=None, score=0
    )


def test_a_policy_naming_a_rule_the_draft_removed_refuses_the_switch_whole(
    live_rules, admin_user, team
):
    SlaPolicy.objects.create(name="VIP speed", team=team, rule=live_rules["vip"])
    draft = rule_set_copy_live(name="No VIP")
    _copy(draft, live_rules["vip"]).delete()
    assert "“VIP speed" in rule_set_switch_preview(rule_set=draft)["refusals"][0]
    with pytest.raises(PromoteError, match="names the rule “VIP”, which this set does not have"):
        rule_set_promote(rule_set=draft, user=admin_user)
    draft.refresh_from_db()
    assert draft.state == RuleSet.State.DRAFT
    assert RuleSet.objects.live().get().name == "Live rules"
    assert not RuleSetPromotion.objects.exists()


def test_round_robin_goes_on_after_the_rep_who_got_the_last_lead(team, admin_user):
    reps = [make_rep(team=team) for _ in range(3)]
    rule = RuleFactory(name="All", team=team, method=M.ROUND_ROBIN)
    weighted = RuleFactory(
        name="Weighted",
        team=team,
        method=M.WEIGHTED,
        conditions=[[{"field": "state", "op": "equals", "value": "XX"}]],
        priority=0,
    )
    draft = rule_set_copy_live(name="Same rules")  # copied before any lead: pointer empty
    # A changed method keeps its own (empty) state: the shapes differ.
    draft.rules.filter(copied_from=weighted).update(method=M.ROUND_ROBIN)
    RuleRotation.objects.filter(rule=weighted).update(state={"current": {"1": 3}})
    owners = []
    for _ in range(2):
        lead = screened_lead(team=team)
        lead_route(lead=lead)
        owners.append(Lead.objects.get(pk=lead.pk).owner)
    live_state = RuleRotation.objects.get(rule=rule).state
    assert live_state["last"] == owners[-1].pk

    promotion = rule_set_promote(rule_set=draft, user=admin_user)

    assert RuleRotation.objects.get(rule=_copy(draft, rule)).state == live_state
    assert RuleRotation.objects.get(rule=_copy(draft, weighted)).state == {}
    assert promotion.diff["rotations"] == ["All: round robin"]
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    owners.append(Lead.objects.get(pk=lead.pk).owner)
    assert sorted(o.pk for o in owners) == sorted(r.pk for r in reps)  # each once, in turn


def test_the_preview_reads_a_fixed_number_of_queries(live_rules, team, queries_of):
    draft = rule_set_copy_live(name="Draft")
    few = queries_of(lambda: rule_set_switch_preview(rule_set=draft))
    for i in range(10):
        RuleFactory(name=f"More {i}", team=team, rep_list=[live_rules["listed"]])
    draft = rule_set_copy_live(name="Bigger draft")
    assert queries_of(lambda: rule_set_switch_preview(rule_set=draft)) == few


# -- admin ----------------------------------------------------------------------------


def test_admin_promotes_a_draft_from_its_confirm_page_and_sees_the_history(
    live_rules, admin_user, client_for
):
    client = client_for(admin_user)
    draft = rule_set_copy_live(name="Try weighted", user=admin_user)
    copy = _copy(draft, live_rules["catch_all"])
    client.post(
        f"/admin/routing/ruleset/{draft.pk}/change/",
        {"name": "Try weighted", "description": "Weighted instead of round robin"},
    )
    page = client.get(f"/admin/routing/ruleset/{draft.pk}/change/").content.decode()
    assert f"/admin/routing/ruleset/{draft.pk}/make-live/" in page and "Promote to live" in page
    copy.method = M.WEIGHTED
    copy.save()
    url = f"/admin/routing/ruleset/{draft.pk}/make-live/"
    confirm = client.get(url).content.decode()
    assert "What changes against “Live rules”" in confirm
    assert "Round robin" in confirm and "Weighted round robin" in confirm

    response = client.post(url)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == RuleSet.State.LIVE
    history = client.get(response.url).content.decode()
    assert "promoted from the draft “Try weighted”" in history
    assert "Weighted round robin" in history and str(admin_user) in history
    assert "(draft)" in history  # the rename while it was a draft, from the admin's log
    old = RuleSet.objects.get(state=RuleSet.State.VERSION)
    version_page = client.get(f"/admin/routing/ruleset/{old.pk}/change/").content.decode()
    assert "Roll back to this version" in version_page and "Replaced" in version_page
    assert client.post(f"/admin/routing/ruleset/{old.pk}/make-live/").status_code == 302
    old.refresh_from_db()
    assert old.state == RuleSet.State.LIVE


def test_admin_shows_the_refusal_and_promotes_nothing(live_rules, admin_user, client_for, team):
    SlaPolicy.objects.create(name="VIP speed", team=team, rule=live_rules["vip"])
    draft = rule_set_copy_live(name="No VIP")
    _copy(draft, live_rules["vip"]).delete()
    client = client_for(admin_user)
    url = f"/admin/routing/ruleset/{draft.pk}/make-live/"
    page = client.get(url).content.decode()
    assert "cannot be promoted yet" in page and "disabled" in page
    response = client.post(url)
    assert response.status_code == 200 and "VIP speed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == RuleSet.State.DRAFT
    live = RuleSet.objects.live().get()
    assert "already" in client.get(f"/admin/routing/ruleset/{live.pk}/make-live/").content.decode()
    assert client.get("/admin/routing/ruleset/999999/make-live/").status_code == 302


def test_only_staff_who_may_change_rules_promote(live_rules, client_for, rep):
    draft = rule_set_copy_live(name="Draft")
    url = f"/admin/routing/ruleset/{draft.pk}/make-live/"
    assert client_for(rep).get(url).status_code == 302  # to the admin's login
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_ruleset", "view_routingrule"])
    )
    client = client_for(viewer)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert (
        "make-live" not in client.get(f"/admin/routing/ruleset/{draft.pk}/change/").content.decode()
    )
    draft.refresh_from_db()
    assert draft.state == RuleSet.State.DRAFT


def test_a_versions_rules_are_read_only_in_the_admin(live_rules, admin_user, client_for):
    first = RuleSet.objects.live().get()
    rule_set_promote(rule_set=rule_set_copy_live(name="Draft"), user=admin_user)
    client = client_for(admin_user)
    vip = live_rules["vip"]
    page = client.get(f"/admin/routing/routingrule/{vip.pk}/change/").content.decode()
    assert 'name="_save"' not in page  # shown, not editable
    assert client.post(f"/admin/routing/routingrule/{vip.pk}/change/", {}).status_code == 403
    assert (
        client.post(f"/admin/routing/routingrule/{vip.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    listing = client.get(f"/admin/routing/routingrule/?rule_set__id__exact={first.pk}")
    assert 'name="form-0-priority"' not in listing.content.decode()
    # The list's editable columns of another set cannot reach a version's rule either.
    live = RuleSet.objects.live().get()
    refused = client.post(
        f"/admin/routing/routingrule/?rule_set__id__exact={live.pk}",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(vip.pk),
            "form-0-priority": "77",
            "_save": "Save",
        },
    )
    assert refused.status_code in (200, 403)
    vip.refresh_from_db()
    assert vip.priority == 1
    # Nor can a version be renamed.
    assert (
        client.post(f"/admin/routing/ruleset/{first.pk}/change/", {"name": "x"}).status_code == 403
    )


def test_a_sets_page_reads_a_fixed_number_of_queries_however_long_its_history(
    live_rules, admin_user, client_for, team, queries_of
):
    client = client_for(admin_user)
    first = RuleSet.objects.live().get()
    rule_set_promote(rule_set=rule_set_copy_live(name="One"), user=admin_user)
    url = f"/admin/routing/ruleset/{first.pk}/change/"
    client.get(url)
    few = queries_of(lambda: client.get(url))
    for n in range(3):  # more switches, more rules, more logged edits
        first.refresh_from_db()
        rule_set_rollback(version=first, user=admin_user)
        rule = RuleFactory(name=f"Extra {n}", team=team)
        client.post(f"/admin/routing/ruleset/{first.pk}/change/", {"name": "Live rules"})
        client.post(f"/admin/routing/routingrule/{rule.pk}/delete/", {"post": "yes"})
        rule_set_promote(rule_set=rule_set_copy_live(name=f"Draft {n}"), user=admin_user)
    assert RuleSetPromotion.objects.filter(rule_set=first).count() == 3
    assert queries_of(lambda: client.get(url)) == few
