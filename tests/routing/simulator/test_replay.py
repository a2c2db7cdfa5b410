"""Replay: the live rules over a period give what routing really gave, in the same order,
and a replay writes nothing; a draft with another method distributes differently."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from routing.engine import lead_route
from routing.models import RepIntake, RoutingDecision, RoutingRule, RuleRotation, RuleSet
from routing.simulator.drafts import rule_set_copy_live
from routing.simulator.replay import rule_set_replay
from tests.factories import TerritoryFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
M = RoutingRule.Method
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday morning
SP = [[{"field": "state", "op": "equals", "value": "SP"}]]


@pytest.fixture
def routed(team):
    """18 leads routed for real, a few minutes apart over two days, by a territory rule
    (falling back to) a round robin in which one rep has a daily cap of 2."""
    a, b, c = make_rep(team=team), make_rep(team=team, max_per_day=2), make_rep(team=team)
    a.rep_profile.territories.add(TerritoryFactory(countries=[], states=["SP"]))
    round_robin = RuleFactory(priority=2, team=team, method=M.ROUND_ROBIN)
    RuleFactory(
        priority=1,
        team=team,
        conditions=SP,
        target=RoutingRule.Target.TERRITORY,
        method=M.TERRITORY,
        fallback=RoutingRule.Fallback.RULE,
        fallback_rule=round_robin,
    )
    leads = []
    for i in range(18):
        at = T0 + timedelta(days=i // 9, minutes=7 * (i % 9))
        lead = screened_lead(team=team, state="SP" if i % 4 == 0 else "RJ", created_at=at)
        lead_route(lead=lead, now=at)
        leads.append(lead)
    return {"reps": (a, b, c), "leads": leads, "round_robin": round_robin}


def footprint() -> dict:
    """Everything routing writes, to compare before and after a replay."""
    return {
        "leads": list(Lead.objects.order_by("pk").values_list("pk", "status", "owner_id")),
        "decisions": RoutingDecision.objects.count(),
        "events": LeadEvent.objects.count(),
        "intake": (RepIntake.objects.count(), RepIntake.objects.aggregate(n=Sum("count"))["n"]),
        "rotations": list(RuleRotation.objects.order_by("rule_id").values_list("rule_id", "state")),
        "rules": RoutingRule.objects.count(),
    }


def period():
    return {"start": T0 - timedelta(minutes=1), "end": T0 + timedelta(days=3)}


def test_replaying_the_live_rules_gives_the_recorded_winners_in_order(routed, team):
    recorded = [
        (d.lead_id, d.winner_id)
        for d in RoutingDecision.objects.order_by("lead__created_at", "lead_id", "id")
    ]
    live = RuleSet.objects.live().get()
    replay = rule_set_replay(rule_set=live, team_id=team.pk, **period())
    assert [(r.lead_id, r.rep_id) for r in replay.leads] == recorded
    assert replay.same_as_recorded == 18
    a, b, c = routed["reps"]
    # The cap held on both days: b got 2 a day and was left out of the rest.
    assert replay.per_rep[b.pk] == 4
    assert replay.cap_hits[b.pk] > 0
    assert replay.per_rep[a.pk] > replay.per_rep[c.pk]  # a also takes every SP lead
    assert replay.nobody == 0 and replay.outcomes == Counter({LeadState.ASSIGNED: 18})


def test_an_unchanged_draft_copy_replays_as_the_live_rules_did(team):
    """Day two only: the round robin starts where the live rule's turn stood after day one
    (not where it stands now, nor at the copy's own empty state)."""
    a, b, c = make_rep(team=team), make_rep(team=team), make_rep(team=team)
    RuleFactory(team=team, method=M.ROUND_ROBIN)
    for day, n in ((0, 2), (1, 4)):  # day one: a, b; day two: c, a, b, c
        for i in range(n):
            at = T0 + timedelta(days=day, minutes=i)
            lead_route(lead=screened_lead(team=team, created_at=at), now=at)
    draft = rule_set_copy_live(name="Unchanged")
    day_two = {"start": T0 + timedelta(days=1) - timedelta(minutes=1), "end": period()["end"]}
    for rule_set in (RuleSet.objects.live().get(), draft):
        replay = rule_set_replay(rule_set=rule_set, team_id=team.pk, **day_two)
        assert [r.rep_id for r in replay.leads] == [c.pk, a.pk, b.pk, c.pk]
        assert replay.same_as_recorded == 4


def test_a_replay_writes_nothing(routed, team):
    before = footprint()
    draft = rule_set_copy_live(name="Try load balancing")
    after_copy = footprint()
    draft.rules.filter(method=M.ROUND_ROBIN).update(method=M.LOAD_BALANCED)
    for rule_set in (RuleSet.objects.live().get(), draft):
        rule_set_replay(rule_set=rule_set, team_id=team.pk, **period())
    assert footprint() == after_copy
    # The copy itself added rules and their rotation rows, nothing routing writes.
    assert {k: v for k, v in after_copy.items() if k not in ("rules", "rotations")} == {
        k: v for k, v in before.items() if k not in ("rules", "rotations")
    }


def test_a_draft_with_another_method_gives_its_own_distribution(routed, team):
    a, b, c = routed["reps"]
    draft = rule_set_copy_live(name="Everything to the least busy")
    draft.rules.update(
        method=M.LOAD_BALANCED, target=RoutingRule.Target.TEAM, conditions=[], fallback="skim"
    )
    live = rule_set_replay(rule_set=RuleSet.objects.live().get(), team_id=team.pk, **period())
    replay = rule_set_replay(rule_set=draft, team_id=team.pk, **period())
    # Nobody touches a lead, so load balancing deals them out evenly, b within its cap:
    # b 2 a day (4), a and c share the rest (7 each).
    assert replay.per_rep == Counter({a.pk: 7, c.pk: 7, b.pk: 4})
    assert replay.per_rep != live.per_rep
    assert sum(r.rep_id != r.recorded_rep_id for r in replay.leads) > 0
    for lead in replay.leads:  # every winner had the fewest open leads at its moment
        assert "Load balanced: fewest open leads" in lead.reason


def test_replay_follows_leads_being_worked_and_closed(routed, team):
    """A lead really touched stops counting as untouched at that moment, whoever gets it
    in the replay: with an untouched limit of 1, reps take turns only as leads are worked."""
    a, b, c = routed["reps"]
    team.max_open_untouched = 1
    team.save()
    leads = routed["leads"]
    for lead in leads[:9]:  # day one: each worked 3 minutes after it arrived
        touched = lead.created_at + timedelta(minutes=3)
        Lead.objects.filter(pk=lead.pk).update(first_touch_at=touched)
    draft = rule_set_copy_live(name="Round robin only")
    draft.rules.filter(method=M.TERRITORY).update(is_active=False)
    replay = rule_set_replay(rule_set=draft, team_id=team.pk, **period())
    first_day, second_day = replay.leads[:9], replay.leads[9:]
    assert all(r.to == LeadState.ASSIGNED for r in first_day)
    # Day two: nobody works them, so after one lead each the reps are full.
    assert [r.to for r in second_day[:3]] == [LeadState.ASSIGNED] * 3
    assert all(r.nobody for r in second_day[3:]) and replay.nobody == 6


def test_replay_reads_absence_and_working_hours_at_each_leads_moment(team):
    from accounts.models import OutOfOffice

    away = make_rep(team=team)  # out of office on the first day only
    mornings = make_rep(team=team, working_hours={"mon": [["08:00", "12:00"]]})
    OutOfOffice.objects.create(
        profile=away.rep_profile, starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=5)
    )
    RuleFactory(team=team, method=M.LOAD_BALANCED)
    moments = [T0, T0 + timedelta(hours=4), T0 + timedelta(hours=6)]  # 9:00, 13:00, 15:00
    for at in moments:
        screened_lead(team=team, created_at=at)
        lead_route(lead=Lead.objects.get(created_at=at), now=at)
    replay = rule_set_replay(rule_set=RuleSet.objects.live().get(), team_id=team.pk, **period())
    # 9:00: only `mornings` works; 13:00: nobody (away is away, mornings is done);
    # 15:00: away is back.
    assert [r.rep_id for r in replay.leads] == [mornings.pk, None, away.pk]
    assert replay.leads[1].to == LeadState.SKIMMING
    assert replay.same_as_recorded == 3


def test_replay_queries_do_not_grow_with_the_leads(team, queries_of):
    make_rep(team=team), make_rep(team=team)
    RuleFactory(priority=2, team=team, method=M.ROUND_ROBIN)
    RuleFactory(priority=1, team=team, conditions=SP, method=M.LOAD_BALANCED)
    live = RuleSet.objects.live().get()

    def arrive(n, day):
        for i in range(n):
            at = T0 + timedelta(days=day, minutes=i)
            lead_route(
                lead=screened_lead(team=team, state="SP" if i % 2 else "RJ", created_at=at), now=at
            )

    arrive(3, 0)
    few = queries_of(lambda: rule_set_replay(rule_set=live, team_id=team.pk, **period()))
    arrive(20, 1)
    many = queries_of(lambda: rule_set_replay(rule_set=live, team_id=team.pk, **period()))
    assert many == few


def test_switching_the_live_set_switches_the_rules_the_engine_routes_by(routed, team):
    """What a promotion will do, in one transaction: the cache sees the live set change
    without a rule row changing."""
    from django.db import transaction

    a, b, c = routed["reps"]
    draft = rule_set_copy_live(name="Only c")
    draft.rules.update(method=M.DIRECT, direct_rep=c, conditions=[])
    lead_route(lead=screened_lead(team=team, state="RJ"))  # warms the cache: live rules
    live = RuleSet.objects.live().get()
    with transaction.atomic():
        RuleSet.objects.filter(pk=live.pk).update(state=RuleSet.State.VERSION)
        RuleSet.objects.filter(pk=draft.pk).update(state=RuleSet.State.LIVE)
    for _ in range(2):
        lead = screened_lead(team=team, state="RJ")
        lead_route(lead=lead)
        decision = RoutingDecision.objects.get(lead=lead)
        assert decision.winner == c and decision.rule.rule_set_id == draft.pk
