"""The escalation sweep, step by step, with the clock moved by time-machine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.work.services import lead_touch
from routing.engine import lead_route
from routing.escalation.sweep import escalation_sweep_run
from routing.models import (
    EmailMute,
    Notification,
    PoolAgingPolicy,
    RoutingDecision,
    RoutingRule,
    SlaPolicy,
    SlaStep,
)
from tests.factories import PoolFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
A = SlaStep.Action
T0 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # a Tuesday


def policy(team, *steps, **fields) -> SlaPolicy:
    p = SlaPolicy.objects.create(name="Speed", team=team, **fields)
    for minutes, action, *pool in steps:
        SlaStep.objects.create(
            policy=p, after_minutes=minutes, action=action, pool=(pool or [None])[0]
        )
    return p


def assigned_lead(team, **fields) -> Lead:
    lead = screened_lead(team=team, **fields)
    lead_route(lead=lead)
    lead.refresh_from_db()
    assert lead.status == LeadState.ASSIGNED
    return lead


def sweep(at: datetime, captured) -> dict:
    with time_machine.travel(at, tick=False), captured(execute=True):
        return escalation_sweep_run()


def fresh(lead) -> Lead:
    return Lead.objects.get(pk=lead.pk)


@pytest.fixture
def captured(django_capture_on_commit_callbacks, eager_celery):
    return django_capture_on_commit_callbacks


@pytest.fixture
def ana(team):
    return make_rep(team=team, time_zone="UTC")


@pytest.fixture
def team_rule(team, ana):
    return RuleFactory(team=team, name="Inbound", method=RoutingRule.Method.ROUND_ROBIN)


def route_at(at, team, **fields):
    with time_machine.travel(at, tick=False):
        return assigned_lead(team, **fields)


def test_a_new_owner_gets_a_reminder_once_the_first_step_is_due(team, ana, team_rule, captured):
    policy(team, (15, A.REMIND))
    lead = route_at(T0, team)
    assert fresh(lead).escalation_due_at == T0  # pools: "look at it at the next sweep"
    assert sweep(T0 + timedelta(seconds=20), captured) == {"scheduled": 1}
    assert fresh(lead).escalation_due_at == T0 + timedelta(minutes=15)
    assert sweep(T0 + timedelta(minutes=14), captured) == {}
    assert sweep(T0 + timedelta(minutes=15, seconds=10), captured) == {"remind": 1}
    event = lead.events.get(kind=LeadEvent.Kind.ESCALATED)
    assert event.reason == f"Reminder to {ana.display_name}: no touch in 15 min"
    note = Notification.objects.get(user=ana)
    assert note.kind == Notification.Kind.REMINDER and note.lead_id == lead.pk
    assert [m.to for m in mail.outbox] == [[ana.email]]
    assert fresh(lead).escalation_due_at is None  # no step left
    assert sweep(T0 + timedelta(hours=1), captured) == {}


def test_reassignment_goes_to_the_next_eligible_rep_by_the_original_rule(
    team, ana, team_rule, captured, client_for
):
    bea = make_rep(team=team)
    policy(team, (15, A.REASSIGN))
    lead = route_at(T0, team)
    first = fresh(lead).owner
    second = bea if first == ana else ana
    sweep(T0, captured)
    assert sweep(T0 + timedelta(minutes=16), captured) == {"reassign": 1}
    lead = fresh(lead)
    assert lead.status == LeadState.ASSIGNED and lead.owner == second
    assert lead.reassignments == 1 and lead.escalation_due_at is not None
    why = f"Reassigned from {first.display_name}: no touch in 15 min"
    decision = RoutingDecision.objects.filter(lead=lead).first()  # newest first
    assert decision.rule == team_rule and decision.winner == second
    assert decision.reason.startswith(why)
    assert lead.events.filter(kind=LeadEvent.Kind.ROUTED, reason__startswith=why).exists()
    kinds = dict(Notification.objects.values_list("user_id", "kind"))
    assert kinds == {first.pk: "reassigned_away", second.pk: "reassigned_to"}
    why_page = client_for(second).get(reverse("routing:decision", args=[lead.pk]))
    assert why in why_page.content.decode()
    # The new owner's clock starts at the reassignment; nobody is left to take it next.
    sweep(T0 + timedelta(minutes=17), captured)
    assert fresh(lead).escalation_due_at == T0 + timedelta(minutes=16 + 15)
    sweep(T0 + timedelta(minutes=32), captured)
    lead = fresh(lead)
    assert lead.status == LeadState.SKIMMING  # both reps owned it: the rule's fallback


def test_after_k_reassignments_the_lead_parks_in_the_skim_queue(team, ana, team_rule, captured):
    make_rep(team=team)
    make_rep(team=team)
    policy(team, (10, A.REASSIGN), max_reassignments=1)
    lead = route_at(T0, team)
    sweep(T0, captured)
    sweep(T0 + timedelta(minutes=11), captured)
    assert fresh(lead).reassignments == 1 and fresh(lead).status == LeadState.ASSIGNED
    sweep(T0 + timedelta(minutes=12), captured)  # schedules the new owner's step
    assert sweep(T0 + timedelta(minutes=22), captured) == {"reassign": 1}
    lead = fresh(lead)
    assert lead.status == LeadState.SKIMMING and lead.owner is None
    event = lead.events.get(kind=LeadEvent.Kind.ESCALATED)
    assert event.reason.startswith("Parked in the manager's skim queue after 1 reassignments")


def test_steps_run_in_order_remind_then_pool_then_nothing(team, ana, team_rule, captured):
    pool = PoolFactory(team=team)
    policy(team, (5, A.REMIND), (20, A.POOL, pool))
    lead = route_at(T0, team)
    sweep(T0, captured)
    assert sweep(T0 + timedelta(minutes=6), captured) == {"remind": 1}
    assert fresh(lead).escalation_due_at == T0 + timedelta(minutes=20)
    assert sweep(T0 + timedelta(minutes=21), captured) == {"pool": 1}
    lead = fresh(lead)
    assert lead.status == LeadState.POOLED and lead.pool == pool and lead.owner is None
    assert lead.events.filter(reason__startswith=f"Back to pool {pool} from").exists()
    # Pooled now, with no aging policy: nothing more to do.
    sweep(T0 + timedelta(minutes=22), captured)
    assert fresh(lead).escalation_due_at is None


def test_skim_and_manager_alert_steps(team, ana, team_rule, manager, captured):
    team.managers.add(manager)
    policy(team, (5, A.NOTIFY_MANAGER), (10, A.SKIM))
    lead = route_at(T0, team)
    sweep(T0, captured)
    assert sweep(T0 + timedelta(minutes=5), captured) == {"notify_manager": 1}
    note = Notification.objects.get(user=manager)
    assert note.kind == "manager_alert" and ana.display_name in note.text
    assert sweep(T0 + timedelta(minutes=10), captured) == {"skim": 1}
    assert fresh(lead).status == LeadState.SKIMMING
    assert Notification.objects.get(user=ana).kind == "reassigned_away"


def test_a_touch_clears_pending_steps(team, ana, team_rule, captured):
    policy(team, (15, A.REASSIGN))
    lead = route_at(T0, team)
    sweep(T0, captured)
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        lead_touch(user=fresh(lead).owner, lead_id=lead.pk, kind="call")
    assert fresh(lead).escalation_due_at is None
    assert sweep(T0 + timedelta(hours=2), captured) == {}
    assert fresh(lead).status == LeadState.CONTACTED and fresh(lead).reassignments == 0


def test_a_policy_edited_applies_to_the_next_due_step(team, ana, team_rule, captured):
    p = policy(team, (15, A.REMIND))
    lead = route_at(T0, team)
    sweep(T0, captured)
    p.steps.update(after_minutes=60)
    assert sweep(T0 + timedelta(minutes=16), captured) == {"scheduled": 1}
    assert fresh(lead).escalation_due_at == T0 + timedelta(minutes=60)


def test_the_narrowest_policy_wins(team, ana, team_rule, captured):
    policy(team, (15, A.REMIND))
    policy(team, (5, A.REMIND), min_score=50)
    hot = route_at(T0, team, score=80)
    cold = route_at(T0, team, score=10)
    sweep(T0, captured)
    assert fresh(hot).escalation_due_at == T0 + timedelta(minutes=5)
    assert fresh(cold).escalation_due_at == T0 + timedelta(minutes=15)


def test_working_minutes_count_across_a_night_and_a_weekend_in_the_reps_zone(team, captured):
    # São Paulo is UTC−3; the rep works 09:00–18:00 on weekdays.
    hours = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    rep = make_rep(team=team, time_zone="America/Sao_Paulo", working_hours=hours)
    RuleFactory(team=team)
    policy(team, (30, A.REMIND), working_hours_only=True)
    friday = datetime(2026, 3, 6, 20, 50, tzinfo=UTC)  # 17:50 in São Paulo
    lead = route_at(friday, team)
    assert lead.owner == rep
    sweep(friday, captured)
    monday = datetime(2026, 3, 9, 12, 20, tzinfo=UTC)  # 09:20 in São Paulo: 10 + 20 min
    assert fresh(lead).escalation_due_at == monday
    assert sweep(datetime(2026, 3, 7, 15, 0, tzinfo=UTC), captured) == {}  # Saturday
    assert sweep(monday + timedelta(seconds=1), captured) == {"remind": 1}
    # Across a night: Tuesday 17:50 → Wednesday 09:20.
    profile = rep.rep_profile
    tuesday = datetime(2026, 3, 10, 20, 50, tzinfo=UTC)
    assert profile.working_deadline(tuesday, 30) == datetime(2026, 3, 11, 12, 20, tzinfo=UTC)
    # Started at night: the clock starts at 09:00.
    assert profile.working_deadline(tuesday + timedelta(hours=3), 30) == datetime(
        2026, 3, 11, 12, 30, tzinfo=UTC
    )


def test_pool_aging_sends_an_unclaimed_lead_to_the_skim_queue(team, captured):
    pool = PoolFactory(team=team)
    PoolAgingPolicy.objects.create(pool=pool, after_minutes=30)
    RuleFactory(team=team, action=RoutingRule.Action.POOL, pool=pool)
    with time_machine.travel(T0, tick=False):
        lead = screened_lead(team=team)
        lead_route(lead=lead)
    assert fresh(lead).status == LeadState.POOLED
    assert sweep(T0, captured) == {"scheduled": 1}
    assert sweep(T0 + timedelta(minutes=29), captured) == {}
    assert sweep(T0 + timedelta(minutes=31), captured) == {"pool_aged": 1}
    lead = fresh(lead)
    assert lead.status == LeadState.SKIMMING
    assert lead.events.get(kind=LeadEvent.Kind.ESCALATED).reason == (
        f"Unclaimed in pool {pool} for 30 min: manager's skim queue"
    )


def test_a_policy_saved_applies_to_the_leads_already_waiting(team, ana, team_rule, captured):
    """Leads that met no policy have no due time, so the sweep never looked at them again:
    a pool aging or SLA policy added later left every lead already waiting alone."""
    pool = PoolFactory(team=team)
    pool_rule = RuleFactory(team=team, action=RoutingRule.Action.POOL, pool=pool, priority=1)
    with time_machine.travel(T0, tick=False):
        pooled = screened_lead(team=team)
        lead_route(lead=pooled)
    pool_rule.delete()
    owned = route_at(T0, team)
    assert sweep(T0 + timedelta(seconds=20), captured) == {}  # no policy yet: nothing due
    assert fresh(pooled).escalation_due_at is None and fresh(owned).escalation_due_at is None
    with time_machine.travel(T0 + timedelta(days=6), tick=False):
        PoolAgingPolicy.objects.create(pool=pool, after_minutes=6 * 60)
        policy(team, (15, A.REMIND), (24 * 60, A.NOTIFY_MANAGER))
    # Past both steps: the latest one due, once (not a reminder, then the managers a sweep
    # later, for every lead of the backlog).
    assert sweep(T0 + timedelta(days=6, seconds=20), captured) == {
        "pool_aged": 1,
        "notify_manager": 1,
    }
    assert fresh(pooled).status == LeadState.SKIMMING
    assert not Notification.objects.filter(kind=Notification.Kind.REMINDER).exists()
    assert sweep(T0 + timedelta(days=6, seconds=50), captured) == {}
    # A step added later reaches a lead that had finished the policy.
    SlaStep.objects.create(
        policy=SlaPolicy.objects.get(), after_minutes=7 * 24 * 60, action=A.REMIND
    )
    with time_machine.travel(T0 + timedelta(days=7, hours=1), tick=False):
        SlaPolicy.objects.get().save()  # the admin saves the policy with its steps
    assert sweep(T0 + timedelta(days=7, hours=1, seconds=20), captured) == {"remind": 1}
    # An inactive policy touches nothing.
    SlaPolicy.objects.update(is_active=False)
    later = route_at(T0 + timedelta(days=7), team)
    assert sweep(T0 + timedelta(days=7, seconds=20), captured) == {}
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        policy(team, (15, A.REMIND), is_active=False)
    assert fresh(later).escalation_due_at is None


def test_a_sweep_places_its_aged_and_untouched_leads_in_one_engine_call(
    team, ana, captured, monkeypatch
):
    """The engine locks reps' profiles in id order within one call; two calls in one
    transaction took them out of order and deadlocked with an intake router (found in
    review, with two pools aging into rules of different reps). Each lead still goes by
    its own rule."""
    from routing.escalation import sweep as sweep_module

    bia = make_rep(team=team)
    to_ana, to_bia = (
        RuleFactory(team=team, priority=50 + i, target=RoutingRule.Target.REPS, rep_list=[rep])
        for i, rep in enumerate((ana, bia))
    )
    pools = [PoolFactory(team=team), PoolFactory(team=team)]
    for pool, rule in zip(pools, (to_bia, to_ana), strict=True):
        PoolAgingPolicy.objects.create(
            pool=pool, after_minutes=30, action=PoolAgingPolicy.Action.ROUTE, rule=rule
        )
    leads = []
    with time_machine.travel(T0, tick=False):
        for pool in pools:
            lead = screened_lead(team=team)
            Lead.objects.filter(pk=lead.pk).update(
                status=LeadState.POOLED, pool=pool, pooled_at=T0, escalation_due_at=T0
            )
            leads.append(fresh(lead))
    sweep(T0, captured)
    calls = []
    real = sweep_module.leads_reroute
    monkeypatch.setattr(
        sweep_module, "leads_reroute", lambda **kw: calls.append(len(kw["reroutes"])) or real(**kw)
    )
    assert sweep(T0 + timedelta(minutes=31), captured)["pool_aged"] == 2
    assert calls == [2]
    assert [fresh(lead).owner for lead in leads] == [bia, ana]


def test_pool_aging_can_push_the_lead_to_a_rep_by_a_rule(team, ana, captured):
    pool = PoolFactory(team=team)
    push = RuleFactory(team=team, name="Push", priority=50, is_active=True)
    RuleFactory(team=team, action=RoutingRule.Action.POOL, pool=pool, priority=1)
    PoolAgingPolicy.objects.create(
        pool=pool, after_minutes=30, action=PoolAgingPolicy.Action.ROUTE, rule=push
    )
    with time_machine.travel(T0, tick=False):
        lead = screened_lead(team=team)
        lead_route(lead=lead)
    sweep(T0, captured)
    assert sweep(T0 + timedelta(minutes=31), captured)["pool_aged"] == 1
    lead = fresh(lead)
    assert lead.status == LeadState.ASSIGNED and lead.owner == ana
    assert (
        RoutingDecision.objects.filter(lead=lead)
        .first()
        .reason.startswith(f"Unclaimed in pool {pool} for 30 min; Rule “Push”")
    )


def test_e_mail_respects_mutes_and_is_sent_once(team, ana, team_rule, captured):
    from routing.escalation.mail import notifications_email_send

    EmailMute.objects.create(user=ana, kind=Notification.Kind.REMINDER)
    policy(team, (15, A.REMIND))
    lead = route_at(T0, team)
    sweep(T0, captured)
    sweep(T0 + timedelta(minutes=15), captured)
    assert Notification.objects.filter(user=ana, lead=lead).exists() and mail.outbox == []
    EmailMute.objects.all().delete()
    note = Notification.objects.create(user=ana, kind="reminder", text="Again")
    assert notifications_email_send(notification_ids=[note.pk])["sent"] == 1
    assert notifications_email_send(notification_ids=[note.pk])["sent"] == 0
    assert len(mail.outbox) == 1


def test_a_claim_from_a_pool_starts_the_new_owners_clock(team, ana, captured):
    from pools.pull.claim import pool_claim_next
    from tests.pool_helpers import pooled

    pool = PoolFactory(team=team, claim_cooldown_hours=0)
    policy(team, (15, A.REMIND))
    with time_machine.travel(T0, tick=False):
        lead = pooled(pool, company="Claimed Ltda")
        pool_claim_next(user=ana, pool_id=pool.pk)
    lead = fresh(lead)
    assert lead.owner == ana and lead.escalation_due_at == T0 and lead.escalation_step == 0
    assert sweep(T0 + timedelta(seconds=5), captured) == {"scheduled": 1}
    assert fresh(lead).escalation_due_at == T0 + timedelta(minutes=15)


def test_a_touch_on_a_lead_already_contacted_leaves_nothing_pending(team, ana, team_rule, captured):
    policy(team, (15, A.REMIND))
    lead = route_at(T0, team)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        lead_touch(user=ana, lead_id=lead.pk, kind="call")
        # A manager hands it back untouched-looking: pending again, then touched again.
        Lead.objects.filter(pk=lead.pk).update(escalation_due_at=T0)
        lead_touch(user=ana, lead_id=lead.pk, kind="email")
    assert fresh(lead).escalation_due_at is None


def test_pool_aging_can_offer_the_lead_live_by_an_offer_rule(team, ana, captured):
    from leadroute.shared.redis_client import redis_client
    from routing.live.presence import presence_key
    from routing.models import Offer
    from tests.routing.offers.conftest import online

    pool = PoolFactory(team=team)
    offer = RuleFactory(
        team=team, name="Offer", priority=50, action=RoutingRule.Action.OFFER, offer_seconds=60
    )
    RuleFactory(team=team, action=RoutingRule.Action.POOL, pool=pool, priority=1)
    PoolAgingPolicy.objects.create(
        pool=pool, after_minutes=30, action=PoolAgingPolicy.Action.ROUTE, rule=offer
    )
    with time_machine.travel(T0, tick=False):
        lead = screened_lead(team=team)
        lead_route(lead=lead)
    sweep(T0, captured)
    redis_client().delete(presence_key())
    try:
        with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
            online(ana)
        assert sweep(T0 + timedelta(minutes=31), captured)["pool_aged"] == 1
    finally:
        redis_client().delete(presence_key())
    lead = fresh(lead)
    assert lead.status == LeadState.OFFERED and lead.pool is None
    assert Offer.objects.get(lead=lead, state="open").recipient_ids == [ana.pk]


def test_reassignment_never_hands_the_lead_back_to_its_owner_whatever_its_timeline(
    team, ana, team_rule, captured
):
    from tests.factories import LeadFactory

    bea = make_rep(team=team)
    policy(team, (15, A.REASSIGN))
    # Imported as owned (no "assigned" event names its owner): the engine still knows.
    lead = LeadFactory(
        team=team,
        status=LeadState.ASSIGNED,
        owner=ana,
        assigned_at=T0,
        escalation_due_at=T0 + timedelta(minutes=15),
    )
    assert sweep(T0 + timedelta(minutes=16), captured) == {"reassign": 1}
    assert fresh(lead).owner == bea
