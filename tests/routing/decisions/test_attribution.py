"""What each writer of a decision leaves on the lead for reports (rule, method, channel),
qualified_at, and the backfill of leads routed before those columns existed."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.pull.claim import lead_claim
from pools.services import lead_transition
from pools.work.services import lead_dispose, lead_touch
from routing.desk.services import lead_hand_assign, lead_send_to_pool
from routing.engine import lead_route
from routing.models import Offer, RoutingDecision, RoutingRule
from routing.offers.services import offer_accept
from tests.factories import LeadFactory, PoolFactory, make_manager, make_rep
from tests.routing.offers.conftest import online
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db


def _attribution(lead):
    lead.refresh_from_db()
    return lead.routed_rule, lead.routed_method, lead.assigned_via


def test_a_pushed_lead_records_its_rule_method_and_push(team, rep):
    rule = RuleFactory(team=team, method=RoutingRule.Method.ROUND_ROBIN)
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    assert _attribution(lead) == (rule.pk, "round_robin", Lead.Via.PUSH)


def test_a_pooled_lead_then_claimed_keeps_the_pool_rule_and_says_pool(team, rep):
    pool = PoolFactory(team=team)
    rule = RuleFactory(team=team, action=RoutingRule.Action.POOL, pool=pool)
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    assert _attribution(lead) == (rule.pk, "", "")
    lead_claim(user=rep, lead_id=lead.pk, pool_id=pool.pk)
    assert _attribution(lead) == (rule.pk, "", Lead.Via.POOL)


def test_an_accepted_offer_says_offer_with_its_method(team):
    a, b = make_rep(team=team), make_rep(team=team)
    online(a, b)
    rule = RuleFactory(team=team, action=RoutingRule.Action.OFFER, offer_method="shotgun")
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    assert _attribution(lead) == (rule.pk, "shotgun", "")
    offer_accept(offer_id=Offer.objects.get(lead=lead).pk, user=a)
    assert _attribution(lead) == (rule.pk, "shotgun", Lead.Via.OFFER)


def test_a_managers_hand_says_desk_and_manual_and_a_pool_clears_the_channel(team, rep):
    manager = make_manager(teams=[team])
    lead = LeadFactory(status=LeadState.SKIMMING, team=team, routed_rule=99)
    lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=rep.pk)
    assert _attribution(lead) == (None, "manual", Lead.Via.DESK)
    pool = PoolFactory(team=team)
    lead_send_to_pool(manager=manager, lead_id=lead.pk, pool_id=pool.pk, reason="Too busy")
    assert _attribution(lead) == (None, "manual", "")


def test_an_assignment_without_its_channel_is_refused(rep):
    lead = LeadFactory(status=LeadState.SKIMMING)
    with pytest.raises(ValueError, match="assigned_via"):
        lead_transition(lead=lead, to=LeadState.ASSIGNED, owner=rep)


def test_qualified_at_is_set_once_and_kept_after_the_deal_closes(team, rep):
    lead = LeadFactory(status=LeadState.SKIMMING, team=team)
    lead_hand_assign(manager=make_manager(teams=[team]), lead_id=lead.pk, rep_id=rep.pk)
    lead_touch(user=rep, lead_id=lead.pk, kind="call")
    lead_dispose(user=rep, lead_id=lead.pk, disposition=LeadState.QUALIFIED)
    lead.refresh_from_db()
    qualified_at = lead.qualified_at
    assert qualified_at is not None
    assert qualified_at == lead.events.get(to_state=LeadState.QUALIFIED).created_at
    lead_dispose(user=rep, lead_id=lead.pk, disposition=LeadState.WON, won_value="10")
    lead.refresh_from_db()
    assert (lead.status, lead.qualified_at) == (LeadState.WON, qualified_at)


def test_the_backfill_reads_the_latest_decision_and_the_first_qualification(team, rep):
    """Leads routed before the columns: push, desk, offer and claimed ones, and one
    qualified with no event (its closing time stands in)."""
    rule = RuleFactory(team=team)
    pool = PoolFactory(team=team)

    def owned(method, outcome, status=LeadState.ASSIGNED, **more):
        lead = LeadFactory(status=status, owner=rep, team=team, **more)
        RoutingDecision.objects.create(lead=lead, rule=rule, method="", outcome="pooled",
                                       pool=pool, reason="older")  # fmt: skip
        RoutingDecision.objects.create(lead=lead, rule=rule if method != "manual" else None,
                                       method=method, outcome=outcome, reason="latest")  # fmt: skip
        return lead

    pushed = owned("weighted", "assigned", status=LeadState.QUALIFIED)
    LeadEvent.objects.create(lead=pushed, kind="disposition", to_state="qualified")
    desk = owned("manual", "assigned")
    offered = owned("cascade", "assigned")
    claimed = owned("", "pooled")
    closed = LeadFactory(status=LeadState.WON, owner=rep, team=team)
    Lead.objects.update(qualified_at=None, assigned_via="", routed_method="", routed_rule=None)

    migration = importlib.import_module("routing.migrations.0008_backfill_lead_attribution")
    migration.backfill(apps, SimpleNamespace(connection=connection))

    assert _attribution(pushed) == (rule.pk, "weighted", Lead.Via.PUSH)
    assert _attribution(desk) == (None, "manual", Lead.Via.DESK)
    assert _attribution(offered) == (rule.pk, "cascade", Lead.Via.OFFER)
    assert _attribution(claimed) == (rule.pk, "", Lead.Via.POOL)
    first = pushed.events.filter(to_state="qualified").order_by("created_at").first()
    assert pushed.qualified_at == first.created_at
    closed.refresh_from_db()
    assert closed.closed_at is None and closed.qualified_at == closed.updated_at
    assert desk.qualified_at is None
