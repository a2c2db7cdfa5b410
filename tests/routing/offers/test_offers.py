"""Live offers on PostgreSQL, by time travel: each service takes `now`, so a test walks an
offer through its steps without waiting."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from routing.engine import lead_route, lead_route_preview
from routing.models import Offer, OfferResponse, RepIntake, RoutingDecision, RoutingRule
from routing.offers.services import (
    OfferError,
    OfferExpired,
    OfferNotYours,
    OfferRefused,
    OfferTaken,
    offer_accept,
    offer_decline,
    offer_expire,
    offers_expire_due,
)
from routing.services import sweep_run
from tests.factories import PoolFactory, make_rep
from tests.routing_factories import RuleFactory, screened_lead

from .conftest import online

pytestmark = pytest.mark.django_db
M = RoutingRule.OfferMethod
F = RoutingRule.Fallback


def only(country):
    return [[{"field": "country", "op": "equals", "value": country}]]


def route(lead, now=None):
    lead_route(lead=lead, now=now)
    return Lead.objects.get(pk=lead.pk)


def open_offer(lead) -> Offer:
    return Offer.objects.get(lead=lead, state=Offer.State.OPEN)


def walk(lead, start, *, until=10):
    """Let every step run out, one after the other: the recipients of each step, in
    order, and the time after the last one."""
    seen, now = [], start
    for _ in range(until):
        offer = Offer.objects.filter(lead=lead, state=Offer.State.OPEN).first()
        if offer is None:
            break
        seen.append(tuple(offer.recipient_ids))
        now = offer.expires_at + timedelta(seconds=1)
        assert offer_expire(offer_id=offer.pk, now=now).outcome.startswith("expired")
    return seen, now


@pytest.fixture
def three(team):
    reps = [make_rep(team=team) for _ in range(3)]
    online(*reps)
    return reps


@pytest.fixture
def fallback_pool(team):
    return PoolFactory(team=team, claim_cooldown_hours=0)


# -- sending ---------------------------------------------------------------------------


def test_a_shotgun_rule_offers_the_lead_to_every_online_eligible_rep(team, three, offer_rule):
    away = make_rep(team=team, availability="away")
    offline = make_rep(team=team)
    online(away)
    rule = offer_rule(M.SHOTGUN, offer_seconds=45)
    now = timezone.now()
    lead = route(screened_lead(team=team), now=now)

    assert lead.status == LeadState.OFFERED and lead.owner is None
    offer = open_offer(lead)
    assert sorted(offer.recipient_ids) == sorted(r.pk for r in three)
    assert offer.rule == rule and offer.method == "shotgun" and offer.step == 0
    assert offer.expires_at == now + timedelta(seconds=45)
    decision = RoutingDecision.objects.get(lead=lead)
    assert decision.outcome == "offered" and decision.method == "shotgun"
    verdicts = {c["rep"]: c for c in decision.details["steps"][0]["candidates"]}
    assert verdicts[offline.pk]["code"] == "offline"
    assert verdicts[away.pk]["code"] == "availability"  # the engine's own exclusion
    assert lead.events.filter(kind=LeadEvent.Kind.ROUTED, to_state=LeadState.OFFERED).exists()


def test_nobody_online_sends_the_lead_to_the_fallback_at_once(team, offer_rule, fallback_pool):
    make_rep(team=team)  # eligible, but no page open
    offer_rule(fallback=F.POOL, fallback_pool=fallback_pool)
    lead = route(screened_lead(team=team))
    assert lead.status == LeadState.POOLED and lead.pool == fallback_pool
    assert not Offer.objects.exists()
    assert (
        "Nobody online and eligible"
        in RoutingDecision.objects.get(lead=lead).details["steps"][0]["result"]
    )


def test_test_a_lead_shows_the_offer_plan_and_writes_nothing(team, three, offer_rule):
    offer_rule(M.SEQUENTIAL, offer_seconds=20, offer_passes=2)
    decision = lead_route_preview(lead=screened_lead(team=team))
    plan = decision.details["steps"][0]["plan"]
    assert [s["reps"] for s in plan] == [[three[0].pk], [three[1].pk], [three[2].pk]] + [
        [three[2].pk],
        [three[1].pk],
        [three[0].pk],
    ]
    assert {s["seconds"] for s in plan} == {20}
    assert not Offer.objects.exists()


# -- accepting -------------------------------------------------------------------------


def test_the_first_accept_wins_the_lead_and_the_next_hears_someone_else_took_it(
    team, three, offer_rule
):
    rule = offer_rule(M.SHOTGUN)
    lead = route(screened_lead(team=team))
    offer = open_offer(lead)
    a, b, _ = three

    won = offer_accept(offer_id=offer.pk, user=a)

    assert won.status == LeadState.ASSIGNED and won.owner == a
    offer.refresh_from_db()
    assert offer.state == "accepted" and offer.winner == a
    assert OfferResponse.objects.get(offer=offer).rep == a
    assert RepIntake.objects.get(user=a).count == 1  # routing's caps count it
    decision = RoutingDecision.objects.filter(lead=lead).first()  # the latest
    assert decision.outcome == "assigned" and decision.winner == a and decision.rule == rule
    assert lead.events.filter(kind=LeadEvent.Kind.ASSIGNED, actor=a).count() == 1
    with pytest.raises(OfferTaken, match="Someone else took it"):
        offer_accept(offer_id=offer.pk, user=b)


def test_a_late_accept_hears_the_offer_has_expired(team, three, offer_rule):
    offer_rule(M.SHOTGUN, offer_seconds=30)
    lead = route(screened_lead(team=team))
    offer = open_offer(lead)
    with pytest.raises(OfferExpired, match="This offer has expired"):
        offer_accept(offer_id=offer.pk, user=three[0], now=offer.expires_at)
    assert Lead.objects.get(pk=lead.pk).status == LeadState.OFFERED  # the timer moves it


def test_only_a_recipient_may_accept(team, three, offer_rule, other_rep):
    offer_rule(M.SHOTGUN)
    offer = open_offer(route(screened_lead(team=team)))
    with pytest.raises(OfferNotYours):
        offer_accept(offer_id=offer.pk, user=other_rep)
    with pytest.raises(OfferNotYours):
        offer_accept(offer_id=10**9, user=three[0])


def test_accept_rechecks_the_caps_and_a_capped_rep_leaves_the_offer_to_the_others(team, offer_rule):
    capped, free = make_rep(team=team, max_per_day=1), make_rep(team=team)
    online(capped, free)
    offer_rule(M.SHOTGUN)
    offer = open_offer(route(screened_lead(team=team)))
    # Meanwhile push routing gives the capped rep their one lead of the day.
    RuleFactory(team=team, priority=0, conditions=only("US"), method="direct", direct_rep=capped)
    route(screened_lead(team=team, country="US"))
    assert Lead.objects.filter(owner=capped).count() == 1

    with pytest.raises(OfferRefused, match="Cap reached: 1 of 1 leads this day"):
        offer_accept(offer_id=offer.pk, user=capped)

    offer.refresh_from_db()
    assert offer.state == "open" and not offer.responses.exists()
    assert offer_accept(offer_id=offer.pk, user=free).owner == free


def test_accept_rechecks_availability(team, three, offer_rule):
    offer_rule(M.SHOTGUN)
    offer = open_offer(route(screened_lead(team=team)))
    three[0].rep_profile.availability = "away"
    three[0].rep_profile.save()
    with pytest.raises(OfferRefused, match="Status is"):
        offer_accept(offer_id=offer.pk, user=three[0])


# -- sequential, declines ----------------------------------------------------------------


def test_sequential_walks_each_rep_then_reverses_then_falls_back(
    team, three, offer_rule, fallback_pool
):
    offer_rule(
        M.SEQUENTIAL, offer_seconds=20, offer_passes=2, fallback=F.POOL, fallback_pool=fallback_pool
    )
    a, b, c = (r.pk for r in three)
    start = timezone.now()
    lead = route(screened_lead(team=team), now=start)

    seen, end = walk(lead, start)

    assert seen == [(a,), (b,), (c,), (c,), (b,), (a,)]
    lead.refresh_from_db()
    assert lead.status == LeadState.POOLED and lead.pool == fallback_pool
    assert Offer.objects.filter(lead=lead, state="expired").count() == 6
    assert not Offer.objects.filter(lead=lead, state="open").exists()
    last = RoutingDecision.objects.filter(lead=lead).first()
    assert last.outcome == "pooled" and "without an accept" in last.reason
    # The next lead starts one rep later.
    second = route(screened_lead(team=team), now=end)
    assert open_offer(second).recipient_ids == [b]


def test_a_decline_moves_a_sequential_offer_on_at_once_and_skips_the_decliner_later(
    team, three, offer_rule, fallback_pool
):
    offer_rule(
        M.SEQUENTIAL, offer_seconds=60, offer_passes=2, fallback=F.POOL, fallback_pool=fallback_pool
    )
    a, b, c = three
    now = timezone.now()
    lead = route(screened_lead(team=team), now=now)
    first = open_offer(lead)

    assert offer_decline(offer_id=first.pk, user=a, reason="On a call", now=now).startswith(
        "offered"
    )

    first.refresh_from_db()
    assert first.state == "declined"
    assert first.responses.get().reason == "On a call"
    assert open_offer(lead).recipient_ids == [b.pk]
    seen, _ = walk(lead, now)
    assert seen == [(b.pk,), (c.pk,), (c.pk,), (b.pk,)]  # a is not asked again
    assert Lead.objects.get(pk=lead.pk).status == LeadState.POOLED


def test_a_shotgun_decline_leaves_the_offer_open_for_the_others_until_all_decline(
    team, three, offer_rule, fallback_pool
):
    offer_rule(M.SHOTGUN, fallback=F.POOL, fallback_pool=fallback_pool)
    lead = route(screened_lead(team=team))
    offer = open_offer(lead)
    assert offer_decline(offer_id=offer.pk, user=three[0]) == "open"
    with pytest.raises(Exception, match="answered this offer already"):
        offer_accept(offer_id=offer.pk, user=three[0])
    offer_decline(offer_id=offer.pk, user=three[1])
    assert offer_decline(offer_id=offer.pk, user=three[2]).startswith("fallback")
    assert Lead.objects.get(pk=lead.pk).status == LeadState.POOLED


def test_a_rep_offline_by_their_turn_is_skipped(team, three, offer_rule, fallback_pool):
    from routing.live.presence import presence_gone

    offer_rule(M.SEQUENTIAL, offer_passes=1, fallback=F.POOL, fallback_pool=fallback_pool)
    start = timezone.now()
    lead = route(screened_lead(team=team), now=start)
    presence_gone(user_id=three[1].pk, connection=f"test-{three[1].pk}")
    seen, _ = walk(lead, start)
    assert seen == [(three[0].pk,), (three[2].pk,)]


# -- cascade, waves, shark tank ----------------------------------------------------------


def _history(rep, won, lost):
    from tests.factories import LeadFactory

    now = timezone.now()
    for status, n in ((LeadState.WON, won), (LeadState.LOST, lost)):
        for _ in range(n):
            LeadFactory(status=status, owner=rep, closed_at=now - timedelta(days=1))


def test_cascade_offers_top_producers_first_one_at_a_time_then_falls_back(
    team, three, offer_rule, fallback_pool
):
    a, b, c = three
    _history(a, 1, 9)
    _history(b, 9, 1)
    _history(c, 5, 5)
    offer_rule(M.CASCADE, performance_min_sample=1, fallback=F.POOL, fallback_pool=fallback_pool)
    start = timezone.now()
    lead = route(screened_lead(team=team), now=start)
    seen, _ = walk(lead, start)
    assert seen == [(b.pk,), (c.pk,), (a.pk,)]
    assert Lead.objects.get(pk=lead.pk).status == LeadState.POOLED


def test_waves_widen_from_the_top_tier_and_the_wider_wave_can_win(team, offer_rule):
    reps = [make_rep(team=team) for _ in range(4)]
    online(*reps)
    for rep, won in zip(reps, (9, 7, 3, 1), strict=True):
        _history(rep, won, 10 - won)
    offer_rule(M.WAVES, offer_waves=2, performance_min_sample=1)
    start = timezone.now()
    lead = route(screened_lead(team=team), now=start)
    first = open_offer(lead)
    assert sorted(first.recipient_ids) == sorted(r.pk for r in reps[:2])
    offer_expire(offer_id=first.pk, now=first.expires_at)
    second = open_offer(lead)
    assert sorted(second.recipient_ids) == sorted(r.pk for r in reps)
    assert offer_accept(offer_id=second.pk, user=reps[3], now=second.sent_at).owner == reps[3]


def test_shark_tank_offers_the_fastest_responders(team, offer_rule):
    fast, slow, new = (make_rep(team=team) for _ in range(3))
    online(fast, slow, new)
    start = timezone.now() - timedelta(days=1)
    # History: accepted shotgun offers, fast in 3 s, slow in 50 s.
    shotgun = offer_rule(M.SHOTGUN, name="history", priority=1000, conditions=only("XX"))
    for rep, seconds in ((fast, 3), (slow, 50)) * 5:
        lead = route(screened_lead(team=team, country="XX"), now=start)
        offer_accept(offer_id=open_offer(lead).pk, user=rep, now=start + timedelta(seconds=seconds))
    assert shotgun.pk
    offer_rule(M.SHARK_TANK, offer_shark_size=2, performance_min_sample=1)
    lead = route(screened_lead(team=team))
    assert sorted(open_offer(lead).recipient_ids) == sorted([fast.pk, new.pk])


# -- fallback ----------------------------------------------------------------------------


def test_the_fallback_can_be_another_rule_and_never_loops_back(team, three, offer_rule):
    other = offer_rule(M.SHOTGUN, name="second", priority=500, conditions=only("XX"))
    first = offer_rule(M.SHOTGUN, name="first", priority=1, fallback=F.RULE, fallback_rule=other)
    other.fallback, other.fallback_rule = F.RULE, first
    other.save()
    start = timezone.now()
    lead = route(screened_lead(team=team), now=start)
    assert open_offer(lead).rule == first
    seen, _ = walk(lead, start)
    assert len(seen) == 2  # the first rule's offer, then the second's
    lead.refresh_from_db()
    assert lead.status == LeadState.SKIMMING  # the second's fallback skips the first
    rules = [o.rule_id for o in Offer.objects.filter(lead=lead).order_by("id")]
    assert rules == [first.pk, other.pk]


def test_an_assigning_fallback_rule_gets_the_lead_after_the_offer(team, three, offer_rule):
    assign = RuleFactory(team=team, priority=900, conditions=only("XX"))
    offer_rule(M.SHOTGUN, priority=1, fallback=F.RULE, fallback_rule=assign)
    start = timezone.now()
    lead = route(screened_lead(team=team), now=start)
    walk(lead, start)
    lead.refresh_from_db()
    assert lead.status == LeadState.ASSIGNED and lead.owner in three


# -- expiry ------------------------------------------------------------------------------


def test_an_expiry_fired_twice_moves_the_lead_once(team, three, offer_rule, fallback_pool):
    offer_rule(M.SHOTGUN, fallback=F.POOL, fallback_pool=fallback_pool)
    lead = route(screened_lead(team=team))
    offer = open_offer(lead)
    due = offer.expires_at
    assert offer_expire(offer_id=offer.pk, now=due).outcome == "expired: fallback: pooled"
    assert offer_expire(offer_id=offer.pk, now=due).outcome == "closed"
    assert lead.events.filter(from_state=LeadState.OFFERED).count() == 1


def test_an_expiry_before_its_time_does_nothing_and_says_how_long_is_left(team, three, offer_rule):
    offer_rule(M.SHOTGUN, offer_seconds=30)
    offer = open_offer(route(screened_lead(team=team)))
    expiry = offer_expire(offer_id=offer.pk, now=offer.sent_at + timedelta(seconds=10))
    assert expiry.outcome == "not due" and expiry.due_in == 20
    assert open_offer(offer.lead) == offer


def test_the_sweep_expires_every_due_offer_and_moves_the_leads_on(
    team, three, offer_rule, fallback_pool
):
    offer_rule(M.SHOTGUN, offer_seconds=5, fallback=F.POOL, fallback_pool=fallback_pool)
    past = timezone.now() - timedelta(minutes=1)
    leads = [route(screened_lead(team=team), now=past) for _ in range(3)]
    fresh = route(screened_lead(team=team))

    assert sweep_run()["offers_expired"] == 3

    assert all(Lead.objects.get(pk=x.pk).status == LeadState.POOLED for x in leads)
    assert Lead.objects.get(pk=fresh.pk).status == LeadState.OFFERED
    assert offers_expire_due() == (0, True)


def test_a_lead_moved_elsewhere_meanwhile_is_left_where_it_is(team, three, offer_rule):
    from pools.services import lead_transition

    offer_rule(M.SHOTGUN)
    lead = route(screened_lead(team=team))
    offer = open_offer(lead)
    lead_transition(lead=lead, to=LeadState.SKIMMING, reason="A manager took it back")
    # The move withdrew the offer (test_withdraw.py); its timer finds it closed.
    assert offer_expire(offer_id=offer.pk, now=offer.expires_at).outcome == "closed"
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.WITHDRAWN
    assert Lead.objects.get(pk=lead.pk).status == LeadState.SKIMMING


def test_an_offer_whose_rule_was_deleted_ends_in_the_teams_default_place(team, three, offer_rule):
    pool = PoolFactory(team=team, is_team_default=True)
    rule = offer_rule(M.SHOTGUN)
    lead = route(screened_lead(team=team))
    offer = open_offer(lead)
    rule.delete()
    # Nobody may take it meanwhile: there is no rule to re-check a rep's caps against.
    with pytest.raises(OfferError, match="its routing rule is gone"):
        offer_accept(offer_id=offer.pk, user=three[0])
    assert offer_expire(offer_id=offer.pk, now=offer.expires_at).outcome == (
        "expired: fallback: pooled"
    )
    lead.refresh_from_db()
    assert lead.status == LeadState.POOLED and lead.pool == pool
    reason = RoutingDecision.objects.filter(lead=lead).first().reason
    assert reason.startswith("The offer's rule is gone; the live offer ended without an accept")


def test_an_offer_rule_ignores_the_assigning_method_left_from_before(team, three, offer_rule):
    rule = offer_rule(M.SHOTGUN)
    rule.method, rule.direct_rep = RoutingRule.Method.DIRECT, three[0]
    rule.save()
    offer = open_offer(route(screened_lead(team=team)))
    assert sorted(offer.recipient_ids) == sorted(r.pk for r in three)


def test_an_accept_announces_offer_accepted_and_assigned_to_webhooks(team, three, offer_rule):
    # The accept writes its event in the same statement as the lead's move (a raw insert):
    # it must still reach the webhooks' outbox, in the accept's transaction.
    from routing.webhooks.events import WebhookType
    from routing.webhooks.models import WebhookDelivery, WebhookSubscription

    offer_rule(M.SHOTGUN)
    lead = route(screened_lead(team=team))
    WebhookSubscription.objects.create(
        name="CRM",
        url="http://127.0.0.1:9/unused",
        events=[WebhookType.OFFER_ACCEPTED, WebhookType.ASSIGNED],
    )
    offer_accept(offer_id=open_offer(lead).pk, user=three[0])
    deliveries = WebhookDelivery.objects.filter(lead=lead).order_by("id")
    assert sorted(d.type for d in deliveries) == ["lead.assigned", "lead.offer_accepted"]
    assert {d.lead_snapshot["owner"]["id"] for d in deliveries} == {three[0].pk}
