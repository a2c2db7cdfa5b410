"""Quota fill on the database: the engine reads each rep's lead quota standing (the same
figures as the quota bars), keeps it current across a batch, and records why; "Test a
lead" and the desk's suggestions show the same choice."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Quota
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.work.quotas import quota_attainment
from routing.desk.suggestions import lead_suggestions
from routing.engine import lead_route_preview, leads_route
from routing.models import RoutingDecision, RoutingRule
from tests.factories import LeadFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
W = Quota.Metric.LEADS_WORKED


def took(rep, n):
    """`n` leads the rep took a minute ago (this week, in any zone)."""
    for _ in range(n):
        LeadEvent.objects.create(
            lead=LeadFactory(),
            kind=LeadEvent.Kind.CLAIMED,
            to_state=LeadState.ASSIGNED,
            owner=rep,
            actor=rep,
            created_at=timezone.now() - timedelta(minutes=1),
        )


@pytest.fixture
def cast(team):
    ana = make_rep(team=team, user__first_name="Ana", user__last_name="A")
    bia = make_rep(team=team, user__first_name="Bia", user__last_name="B")
    caio = make_rep(team=team, user__first_name="Caio", user__last_name="C")  # no lead quota
    Quota.objects.create(team=team, rep=ana, metric=W, period="week", target=10)
    Quota.objects.create(team=team, rep=bia, metric=W, period="week", target=4)
    # A touches quota is no lead quota: Caio still has none.
    Quota.objects.create(team=team, metric=Quota.Metric.TOUCHES, period="week", target=50)
    took(ana, 3)  # 30%
    took(bia, 2)  # 50%
    RuleFactory(team=team, method=RoutingRule.Method.QUOTA_FILL)
    return ana, bia, caio


def test_a_batch_fills_the_quotas_furthest_behind_first_and_says_why(cast):
    ana, bia, caio = cast
    leads = [screened_lead() for _ in range(6)]
    with transaction.atomic():
        leads_route(leads=leads)
    owners = [Lead.objects.get(pk=lead.pk).owner for lead in leads]
    # Ana 3/10 → 4/10 → 5/10; tied with Bia at 50%, Bia has had none today: 3/4; Ana 6/10,
    # 7/10; then Bia 75% against Ana 70%: Ana 8/10. Caio (no quota: on target) waits.
    assert owners == [ana, ana, bia, ana, ana, ana]
    reasons = [RoutingDecision.objects.get(lead=lead).reason for lead in leads]
    assert "Quota fill: furthest behind lead quota: 3 of 10 this week (30%)" in reasons[0]
    assert "2 of 4 this week (50%), tied with 1 other(s); fewest leads today (0)" in reasons[2]
    assert "; 1 eligible rep(s) without a lead quota count as on target" in reasons[0]
    candidates = RoutingDecision.objects.get(lead=leads[0]).details["steps"][0]["candidates"]
    assert {c["name"]: c["reason"] for c in candidates} == {
        "Ana A": "Eligible · lead quota 3 of 10 this week (30%)",
        "Bia B": "Eligible · lead quota 2 of 4 this week (50%)",
        "Caio C": "Eligible · no lead quota (counts as on target)",
    }
    # The engine counted what the quota bars count.
    standing = quota_attainment(user_ids=[ana.pk, bia.pk, caio.pk], at=timezone.now())
    assert [(a.actual, a.target) for a in standing[ana.pk] if a.metric == W] == [(8, 10)]
    assert [(a.actual, a.target) for a in standing[bia.pk] if a.metric == W] == [(3, 4)]
    assert [a.metric for a in standing[caio.pk]] == [Quota.Metric.TOUCHES]


def test_once_everyone_is_past_their_quota_the_rep_without_one_goes_first(cast):
    ana, bia, caio = cast
    took(ana, 8)  # 110%
    took(bia, 3)  # 125%
    lead = screened_lead()
    with transaction.atomic():
        leads_route(leads=[lead])
    decision = RoutingDecision.objects.get(lead=lead)
    assert decision.winner == caio
    assert "no lead quota (counted as on target) and no eligible rep is behind" in decision.reason


def test_test_a_lead_and_the_desk_show_the_engines_choice(cast):
    ana, bia, caio = cast
    preview = lead_route_preview(lead=Lead(country="BR"))
    assert preview.winner_id == ana.pk
    assert "3 of 10 this week (30%)" in preview.reason
    suggested = lead_suggestions(lead=screened_lead())
    assert [s.rep_id for s in suggested.reps] == [ana.pk, bia.pk, caio.pk]
    assert suggested.method == "Quota fill (furthest behind their lead quota)"
    assert "2 of 4 this week (50%)" in suggested.reps[1].reason


def test_quota_fill_reads_the_same_queries_for_3_and_15_reps(cast, team, queries_of):
    def preview():
        lead_route_preview(lead=Lead(country="BR"))

    preview()  # the first reads the rules too (cached afterwards)
    few = queries_of(preview)
    for _ in range(12):
        rep = make_rep(team=team)
        Quota.objects.create(team=team, rep=rep, metric=W, period="month", target=30)
        took(rep, 2)
    assert queries_of(preview) == few


def test_the_rule_admin_saves_quota_fill_and_test_a_lead_shows_the_standing(
    cast, admin_user, client_for, team
):
    from tests.routing.rules.test_admin import _rule_post

    RoutingRule.objects.all().delete()
    client = client_for(admin_user)
    form = client.get("/admin/routing/routingrule/add/").content.decode()
    assert 'value="quota_fill"' in form and "furthest behind their lead quota" in form
    response = client.post(
        "/admin/routing/routingrule/add/",
        _rule_post(name="Fill quotas", team=team.pk, method="quota_fill"),
    )
    assert response.status_code == 302
    assert RoutingRule.objects.get().method == RoutingRule.Method.QUOTA_FILL
    body = client.get(
        "/admin/routing/routingrule/test/", {"fields_text": "country: BR"}
    ).content.decode()
    assert "Ana A" in body and "furthest behind lead quota: 3 of 10 this week (30%)" in body
    assert "Eligible · no lead quota (counts as on target)" in body
