"""The engine on PostgreSQL: rule order, actions, fallbacks, the decision record."""

import zoneinfo
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import RepProfile
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from routing.engine import lead_route, lead_route_preview, leads_route
from routing.models import RepIntake, RoutingDecision, RoutingRule, RuleRotation
from routing.tasks import lead_intake
from tests.factories import LeadFactory, LeadSourceFactory, PoolFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
A = RoutingRule.Action
M = RoutingRule.Method


def route(lead):
    lead_route(lead=lead)
    return Lead.objects.get(pk=lead.pk)


def test_a_lead_not_screened_is_left_alone(team, rep):
    RuleFactory(team=team)
    lead = LeadFactory(status=LeadState.NEW)
    assert route(lead).status == LeadState.NEW
    assert not RoutingDecision.objects.exists()


def test_no_rule_falls_back_to_the_team_default_pool(team):
    pool = PoolFactory(team=team, is_team_default=True)
    lead = route(screened_lead(team=team))
    assert lead.status == LeadState.POOLED and lead.pool == pool
    decision = RoutingDecision.objects.get(lead=lead)
    assert decision.outcome == "pooled" and "No rule matched" in decision.reason


def test_no_rule_and_no_pool_goes_to_the_skim_queue(team):
    lead = route(screened_lead(team=team))
    assert lead.status == LeadState.SKIMMING


def test_a_lead_held_for_review_goes_to_the_skim_queue_whatever_the_rules(team, rep):
    RuleFactory(team=team)  # would assign it to the rep
    lead = screened_lead(team=team)
    Lead.objects.filter(pk=lead.pk).update(review_reason="Looks automated: sent 0.4 s after")
    lead = route(Lead.objects.get(pk=lead.pk))
    assert lead.status == LeadState.SKIMMING and lead.owner is None
    assert "held in the manager's skim queue" in RoutingDecision.objects.get(lead=lead).reason


def test_first_matching_rule_by_priority_wins_and_inactive_rules_are_skipped(team, rep):
    source = LeadSourceFactory(slug="paid_search")
    pool = PoolFactory(team=team)
    RuleFactory(name="inactive", priority=1, is_active=False, action=A.SKIM, team=team)
    RuleFactory(
        name="paid",
        priority=5,
        team=team,
        conditions=[[{"field": "source", "op": "equals", "value": "paid_search"}]],
    )
    RuleFactory(name="all", priority=9, action=A.POOL, pool=pool)
    paid = route(screened_lead(source=source))
    other = route(screened_lead())
    assert paid.status == LeadState.ASSIGNED and paid.owner == rep and paid.team == team
    assert other.status == LeadState.POOLED and other.pool == pool
    decision = RoutingDecision.objects.get(lead=paid)
    assert [r["name"] for r in decision.details["rules"]] == ["paid"]
    assert decision.rule_name == "paid" and decision.winner == rep


def test_or_between_groups_and_between_conditions(team, rep):
    RuleFactory(
        team=team,
        action=A.SKIM,
        conditions=[
            [
                {"field": "country", "op": "equals", "value": "BR"},
                {"field": "estimated_value", "op": "range", "value": [1000, None]},
            ],
            [{"field": "state", "op": "in", "value": ["SP"]}],
        ],
    )
    assert route(screened_lead(country="BR", estimated_value=Decimal(5000))).status == "skimming"
    assert route(screened_lead(country="PT", state="SP")).status == "skimming"
    unmatched = route(screened_lead(country="BR", estimated_value=Decimal(5)))
    assert unmatched.routing_decisions.get().rule is None


def test_decision_records_every_candidate_and_why(team):
    winner = make_rep(team=team)
    away = make_rep(team=team, availability=RepProfile.Availability.AWAY)
    RuleFactory(team=team, method=M.LOAD_BALANCED)
    lead = route(screened_lead())
    decision = lead.routing_decisions.get()
    (step,) = decision.details["steps"]
    verdicts = {c["rep"]: c for c in step["candidates"]}
    assert verdicts[winner.pk]["eligible"] and verdicts[winner.pk].get("winner")
    assert verdicts[away.pk]["code"] == "availability"
    assert "Away" in verdicts[away.pk]["reason"]
    assert decision.duration_ms > 0
    event = lead.events.get(kind=LeadEvent.Kind.ROUTED)
    assert event.owner == winner and "Load balanced" in event.reason


def test_round_robin_state_is_stored_between_leads(team):
    reps = [make_rep(team=team) for _ in range(3)]
    rule = RuleFactory(team=team, method=M.ROUND_ROBIN)
    owners = [route(screened_lead()).owner for _ in range(6)]
    assert owners == reps + reps
    assert RuleRotation.objects.get(rule=rule).state["last"] == reps[-1].pk
    step = RoutingDecision.objects.order_by("id").last().details["steps"][0]
    assert step["state_before"]["last"] == reps[1].pk and step["state_after"]["last"] == reps[2].pk


def test_nobody_eligible_follows_the_fallback_chain(team, other_team):
    make_rep(team=team, availability=RepProfile.Availability.OFFLINE)
    pool = PoolFactory(team=team)
    last = RuleFactory(
        name="pool",
        priority=50,
        team=other_team,
        conditions=[[{"field": "score", "op": "range", "value": [999, None]}]],
        fallback=RoutingRule.Fallback.POOL,
        fallback_pool=pool,
    )
    RuleFactory(
        name="first", priority=1, team=team, fallback=RoutingRule.Fallback.RULE, fallback_rule=last
    )
    lead = route(screened_lead())
    assert lead.status == LeadState.POOLED and lead.pool == pool
    steps = lead.routing_decisions.get().details["steps"]
    assert [s["name"] for s in steps] == ["first", "pool"]


def test_nobody_eligible_and_no_fallback_goes_to_the_rules_team_skim_queue(team):
    RuleFactory(team=team)  # a team without reps
    lead = route(screened_lead())
    assert lead.status == LeadState.SKIMMING and lead.team == team


def test_fallback_rule_cycles_end_in_the_skim_queue(team):
    a = RuleFactory(team=team, fallback=RoutingRule.Fallback.RULE)
    b = RuleFactory(team=team, fallback=RoutingRule.Fallback.RULE, fallback_rule=a)
    a.fallback_rule = b
    a.save()
    lead = route(screened_lead())
    assert lead.status == LeadState.SKIMMING
    # The decision says why the configured fallback was not followed.
    decision = lead.routing_decisions.get()
    assert decision.reason.endswith(
        f"fallback to the manager's skim queue (its fallback “{a.name}” was tried already: "
        "the fallbacks loop)"
    )
    assert decision.details["steps"][-1]["fallback"].startswith("skim queue (its fallback")
    b.delete()  # a's fallback rule gone (SET_NULL): said too
    lead = route(screened_lead())
    assert lead.routing_decisions.get().reason.endswith("(its fallback rule was deleted)")


def test_direct_rule_assigns_the_named_rep(team, rep):
    other = make_rep(team=team)
    RuleFactory(team=team, method=M.DIRECT, direct_rep=other)
    assert route(screened_lead()).owner == other


def test_the_decision_lists_every_roster_rep_exactly_once(team, other_team):
    from tests.factories import TerritoryFactory

    brazil = TerritoryFactory(countries=["BR"], states=[])
    sao_paulo = TerritoryFactory(countries=[], states=["SP"])
    both = make_rep(team=team)  # covers the lead twice over: country and state
    both.rep_profile.territories.add(brazil, sao_paulo)
    state_only, country_only = make_rep(team=team), make_rep(team=team)
    state_only.rep_profile.territories.add(sao_paulo)
    country_only.rep_profile.territories.add(brazil)
    away = make_rep(team=team, availability=RepProfile.Availability.AWAY)
    away.rep_profile.territories.add(brazil)
    make_rep(team=team)  # covers nothing: not on this rule's roster
    make_rep(team=other_team).rep_profile.territories.add(brazil)  # another team's
    RuleFactory(team=team, target=RoutingRule.Target.TERRITORY, method=M.TERRITORY)
    lead = route(screened_lead(country="BR", state="SP"))
    (step,) = lead.routing_decisions.get().details["steps"]
    listed = [c["rep"] for c in step["candidates"]]
    assert sorted(listed) == sorted([both.pk, state_only.pk, country_only.pk, away.pk])
    assert sum(1 for c in step["candidates"] if c.get("winner")) == 1


def test_rep_list_target_and_territory_target(team):
    from tests.factories import TerritoryFactory

    listed, _ = make_rep(team=team), make_rep(team=team)
    RuleFactory(
        priority=1,
        target=RoutingRule.Target.REPS,
        rep_list=[listed],
        conditions=[[{"field": "state", "op": "equals", "value": "RJ"}]],
    )
    sp = TerritoryFactory(countries=[], states=["SP"])
    owner = make_rep(team=team)
    owner.rep_profile.territories.add(sp)
    RuleFactory(priority=2, target=RoutingRule.Target.TERRITORY, method=M.TERRITORY)
    assert route(screened_lead(state="RJ")).owner == listed
    assert route(screened_lead(state="SP")).owner == owner


def test_previous_owner_does_not_get_the_lead_back(team):
    first, second = make_rep(team=team), make_rep(team=team)
    RuleFactory(team=team, method=M.LOAD_BALANCED)
    lead = screened_lead()
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.ASSIGNED, owner=first)
    assert route(lead).owner == second


def test_assignment_counts_against_the_daily_cap(team):
    rep = make_rep(team=team, max_per_day=2)
    RuleFactory(team=team)
    results = [route(screened_lead()) for _ in range(3)]
    assert [r.owner for r in results[:2]] == [rep, rep]
    assert results[2].status == LeadState.SKIMMING
    assert RepIntake.objects.get(user=rep).count == 2


def test_a_routed_lead_counts_on_the_reps_own_today(team):
    # 25 hours apart: at any moment these two reps' dates differ.
    early = make_rep(team=team, time_zone="Pacific/Kiritimati")  # UTC+14
    late = make_rep(team=team, time_zone="Pacific/Pago_Pago")  # UTC-11
    RuleFactory(team=team)
    owners = {route(screened_lead()).owner for _ in range(2)}
    assert owners == {early, late}
    for rep in (early, late):
        local = timezone.now().astimezone(zoneinfo.ZoneInfo(rep.rep_profile.time_zone))
        assert RepIntake.objects.get(user=rep).day in (
            local.date(),
            (local - timedelta(minutes=1)).date(),  # the day turned during the test
        )


def test_routing_task_run_twice_routes_the_lead_once(team, rep):
    RuleFactory(team=team)
    lead = LeadFactory(status=LeadState.NEW)
    assert lead_intake.run(lead.pk) == LeadState.ASSIGNED
    assert lead_intake.run(lead.pk) == LeadState.ASSIGNED
    assert RoutingDecision.objects.filter(lead=lead).count() == 1
    assert RepIntake.objects.get(user=rep).count == 1


def test_editing_a_rule_applies_to_the_next_lead(team, rep):
    rule = RuleFactory(team=team, action=A.SKIM)
    assert route(screened_lead()).status == LeadState.SKIMMING
    rule.action = A.ASSIGN
    rule.save()
    assert route(screened_lead()).owner == rep


def test_preview_writes_nothing(team, rep):
    rule = RuleFactory(team=team)
    lead = screened_lead()
    decision = lead_route_preview(lead=lead)
    assert decision.pk is None and decision.winner_id == rep.pk and decision.rule == rule
    lead.refresh_from_db()
    assert lead.status == LeadState.SCREENED
    assert not RepIntake.objects.exists() and not RoutingDecision.objects.exists()
    assert RuleRotation.objects.get(rule=rule).state == {}


def test_preview_works_for_unsaved_pasted_fields(team, rep):
    RuleFactory(team=team, conditions=[[{"field": "industry", "op": "equals", "value": "pet"}]])
    decision = lead_route_preview(lead=Lead(industry="pet", country="BR"))
    assert decision.winner_id == rep.pk


def test_queries_per_routed_lead_are_the_same_for_10_and_500_reps(
    team, other_team, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    all_day = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    for t, n in ((team, 10), (other_team, 500)):
        RepProfile.objects.bulk_create(
            [
                RepProfile(user=u, team=t, working_hours=all_day, max_per_day=1000)
                for u in _users(n, prefix=t.name)
            ]
        )
    RuleFactory(
        priority=1, team=team, conditions=[[{"field": "state", "op": "equals", "value": "SP"}]]
    )
    RuleFactory(priority=2, team=other_team)
    for state in ("SP", "RJ"):  # warm-up: the first intake row per rep is an insert
        route(screened_lead(state=state))
    counts = {}
    for state in ("SP", "RJ"):
        lead = screened_lead(state=state)
        # 5, and the webhook outbox's one call (routing.webhooks) for the routed events.
        with django_assert_max_num_queries(6), CaptureQueriesContext(connection) as ctx:
            lead_route(lead=lead)
        counts[state] = len(ctx.captured_queries)
        assert Lead.objects.get(pk=lead.pk).status == LeadState.ASSIGNED
    assert counts["SP"] == counts["RJ"], counts


def test_a_batch_costs_the_same_queries_for_2_leads_as_for_40(team, other_team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for t in (team, other_team):
        for _ in range(3):
            make_rep(team=t, max_per_day=100)
    RuleFactory(
        priority=1,
        team=team,
        method=M.ROUND_ROBIN,
        conditions=[[{"field": "state", "op": "equals", "value": "SP"}]],
    )
    RuleFactory(priority=2, team=other_team, method=M.LOAD_BALANCED)
    counts = {}
    for n in (1, 2, 40):  # the first batch also reads the rules (cached afterwards)
        leads = [screened_lead(state=("SP", "RJ")[i % 2]) for i in range(n)]
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            leads_route(leads=leads)
        counts[n] = len(ctx.captured_queries)
        assert not Lead.objects.filter(
            pk__in=[x.pk for x in leads], status=LeadState.SCREENED
        ).exists()
    assert counts[2] == counts[40] <= 6, counts  # 5 + the webhook outbox's call


def test_top_performer_on_the_database_prefers_the_proven_closer(team):
    from django.utils import timezone

    lucky, proven, average = make_rep(team=team), make_rep(team=team), make_rep(team=team)
    now = timezone.now()
    LeadFactory(status=LeadState.WON, owner=lucky, closed_at=now)  # 1 of 1: not "100%"
    for i in range(20):
        LeadFactory(status=LeadState.WON if i < 12 else LeadState.LOST, owner=proven, closed_at=now)
    for i in range(50):
        LeadFactory(status=LeadState.WON if i < 5 else LeadState.LOST, owner=average, closed_at=now)
    for _ in range(20):  # closed long ago: outside the window
        LeadFactory(status=LeadState.WON, owner=lucky, closed_at=now - timedelta(days=400))
    RuleFactory(team=team, method=M.TOP_PERFORMER, performance_min_sample=10)
    lead = route(screened_lead())
    assert lead.owner == proven
    assert "12 won of 20" in lead.routing_decisions.get().reason


def test_weighted_on_the_database_follows_rep_weights(team):
    heavy, light = make_rep(team=team, weight=3), make_rep(team=team, weight=1)
    RuleFactory(team=team, method=M.WEIGHTED)
    owners = [route(screened_lead()).owner for _ in range(8)]
    assert owners.count(heavy) == 6 and owners.count(light) == 2


def test_skills_and_required_language_on_the_database(team):
    make_rep(team=team, languages=["en"], industries=["pet"])
    match = make_rep(team=team, languages=["pt"], industries=["pet"])
    make_rep(team=team, languages=["pt"], industries=["toys"])
    RuleFactory(team=team, method=M.SKILLS, require_language=True)
    lead = route(screened_lead(language="pt", industry="pet"))
    assert lead.owner == match
    candidates = lead.routing_decisions.get().details["steps"][0]["candidates"]
    assert sorted(c["code"] for c in candidates) == ["", "", "language"]


def test_min_seniority_on_the_database(team):
    make_rep(team=team, seniority=RepProfile.Seniority.JUNIOR)
    senior = make_rep(team=team, seniority=RepProfile.Seniority.SENIOR)
    RuleFactory(team=team, method=M.LOAD_BALANCED, min_seniority=RepProfile.Seniority.SENIOR)
    assert route(screened_lead()).owner == senior


def _users(n, prefix="bulk"):
    from accounts.models import User

    return User.objects.bulk_create([User(username=f"{prefix}{i}") for i in range(n)])


def test_round_robin_keep_turn_on_the_database(team):
    a, b, c = (make_rep(team=team) for _ in range(3))
    RuleFactory(team=team, keep_turn=True)
    assert route(screened_lead()).owner == a
    b.rep_profile.availability = RepProfile.Availability.AWAY
    b.rep_profile.save()
    assert route(screened_lead()).owner == c  # b's turn, but away: owed
    b.rep_profile.availability = RepProfile.Availability.AVAILABLE
    b.rep_profile.save()
    assert [route(screened_lead()).owner for _ in range(3)] == [b, a, b]


def test_deleting_or_deactivating_a_rule_applies_to_the_next_lead(team, rep):
    rule = RuleFactory(team=team)
    assert route(screened_lead()).owner == rep
    rule.is_active = False
    rule.save()
    assert route(screened_lead()).status == LeadState.SKIMMING
    rule.is_active = True
    rule.save()
    assert route(screened_lead()).owner == rep
    rule.delete()
    assert route(screened_lead()).status == LeadState.SKIMMING


def test_an_inactive_pool_placement_falls_back_and_never_leaves_the_lead_unrouted(team):
    closed = PoolFactory(team=team, is_active=False)
    spare = PoolFactory(team=team)
    RuleFactory(
        team=team,
        action=A.POOL,
        pool=closed,
        fallback=RoutingRule.Fallback.POOL,
        fallback_pool=spare,
    )
    lead = route(screened_lead())
    assert lead.status == LeadState.POOLED and lead.pool == spare
    spare.is_active = False
    spare.save()
    assert route(screened_lead()).status == LeadState.SKIMMING


def _route_batch(n):
    leads = [screened_lead() for _ in range(n)]
    with transaction.atomic():
        locked = list(
            Lead.objects.select_for_update()
            .filter(pk__in=[lead.pk for lead in leads])
            .order_by("id")
        )
        leads_route(leads=locked)
    return list(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).order_by("id"))


def test_a_batch_counts_its_own_leads_against_the_caps(team):
    """Counts are read once per batch; each lead placed is counted in memory, so the
    batch's later leads see the caps its earlier leads used up."""
    three, two = make_rep(team=team, max_per_day=3), make_rep(team=team, max_per_day=2)
    RuleFactory(team=team, method=M.LOAD_BALANCED)
    leads = _route_batch(7)
    owners = Counter(lead.owner_id for lead in leads if lead.owner_id)
    assert owners == {three.pk: 3, two.pk: 2}
    assert [lead.status for lead in leads[5:]] == [LeadState.SKIMMING] * 2
    assert RepIntake.objects.get(user=three).count == 3
    assert RepIntake.objects.get(user=two).count == 2
    last = RoutingDecision.objects.get(lead=leads[-1]).details["steps"][0]["candidates"]
    assert {c["code"] for c in last} == {"cap_day"}


def test_a_batch_continues_the_rotation_lead_by_lead(team):
    reps = [make_rep(team=team) for _ in range(3)]
    rule = RuleFactory(team=team, method=M.ROUND_ROBIN)
    leads = _route_batch(7)
    assert [lead.owner_id for lead in leads] == [r.pk for r in reps * 3][:7]
    assert RuleRotation.objects.get(rule=rule).state["last"] == reps[0].pk
    # Each decision keeps its own before/after, as if routed alone.
    steps = [RoutingDecision.objects.get(lead=lead).details["steps"][0] for lead in leads]
    assert steps[1]["state_before"]["last"] == reps[0].pk
    assert steps[1]["state_after"]["last"] == reps[1].pk


def test_a_batch_sends_each_lead_its_own_way(team, other_team):
    """Different rules, a pool placement and a previous owner, all in one batch."""
    rep, other = make_rep(team=team), make_rep(team=other_team)
    pool = PoolFactory(team=other_team)
    RuleFactory(
        team=team, priority=1, conditions=[[{"field": "country", "op": "equals", "value": "BR"}]]
    )
    RuleFactory(
        team=other_team,
        priority=2,
        action=A.POOL,
        pool=pool,
        conditions=[[{"field": "country", "op": "equals", "value": "PT"}]],
    )
    RuleFactory(team=other_team, priority=3, method=M.LOAD_BALANCED)
    br, pt, de = (screened_lead(country=c) for c in ("BR", "PT", "DE"))
    LeadEvent.objects.create(lead=de, kind=LeadEvent.Kind.ROUTED, owner=other)
    with transaction.atomic():
        leads_route(
            leads=list(
                Lead.objects.select_for_update().filter(pk__in=[br.pk, pt.pk, de.pk]).order_by("id")
            )
        )
    br, pt, de = (Lead.objects.get(pk=lead.pk) for lead in (br, pt, de))
    assert br.owner == rep and br.team == team
    assert pt.status == LeadState.POOLED and pt.pool == pool
    assert de.status == LeadState.SKIMMING  # its only candidate owned it before
    (step,) = de.routing_decisions.get().details["steps"]
    assert step["candidates"][0]["code"] == "previous_owner"


def test_the_placement_decides_the_leads_team(team, other_team, other_rep):
    """A lead whose source suggested one team, routed by a rule to another team's rep,
    becomes that team's lead (its manager sees it, not the first team's)."""
    RuleFactory(team=other_team, action=A.ASSIGN, method=M.ROUND_ROBIN)
    lead = route(screened_lead(team=team))
    assert lead.owner == other_rep
    assert lead.team == other_team
