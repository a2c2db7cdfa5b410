"""Quota attainment against a small hand-computed fixture: each metric, a week and a month,
in each rep's own time zone, a team default and a rep's override."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from accounts.models import Quota
from pools.lifecycle import LeadState
from pools.models import LeadEvent
from pools.work.quotas import period_bounds, quota_attainment
from tests.factories import LeadFactory, TeamFactory, make_rep

pytestmark = pytest.mark.django_db

# Thursday 3 December 2026, noon UTC. São Paulo is UTC−3 (no DST), Tokyo UTC+9: São Paulo's
# week began Mon 30 Nov 03:00 UTC and its December on 1 Dec 03:00 UTC; Tokyo's week on
# Sun 29 Nov 15:00 UTC and its December on 30 Nov 15:00 UTC.
AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
M, P = Quota.Metric, Quota.Period


def utc(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def took(lead, rep, when, kind=LeadEvent.Kind.ROUTED):
    LeadEvent.objects.create(
        lead=lead, kind=kind, to_state=LeadState.ASSIGNED, owner=rep, created_at=when
    )


def touched(rep, when, kind=LeadEvent.Kind.TOUCH):
    lead = LeadFactory(status=LeadState.CONTACTED, owner=rep)
    LeadEvent.objects.create(
        lead=lead, kind=kind, to_state="", actor=rep, owner=rep, created_at=when
    )


def won(rep, when, value, status=LeadState.WON):
    LeadFactory(status=status, owner=rep, closed_at=when, won_value=Decimal(value))


@pytest.fixture
def cast():
    team = TeamFactory(name="Inbound")
    ana = make_rep(team=team, time_zone="America/Sao_Paulo")
    kenji = make_rep(team=team, time_zone="Asia/Tokyo")
    outsider = make_rep(team=TeamFactory(name="Enterprise"))
    for metric, period, target in (
        (M.LEADS_WORKED, P.WEEK, 10),
        (M.LEADS_WORKED, P.MONTH, 40),
        (M.TOUCHES, P.WEEK, 20),
        (M.DEALS_WON, P.MONTH, 4),
        (M.WON_VALUE, P.MONTH, 10000),
    ):
        Quota.objects.create(team=team, metric=metric, period=period, target=target)
    Quota.objects.create(team=team, rep=kenji, metric=M.LEADS_WORKED, period=P.WEEK, target=5)

    # Ana (São Paulo). Leads taken: Sunday 23:00 her time (last week), Monday 01:00 her time
    # (this week, but still November), a claim, a re-claim of the same lead, an accepted offer.
    last_week, monday, claimed, offered = (LeadFactory() for _ in range(4))
    took(last_week, ana, utc(11, 30, 2))
    took(monday, ana, utc(11, 30, 4))
    took(claimed, ana, utc(12, 2, 10), LeadEvent.Kind.CLAIMED)
    took(claimed, ana, utc(12, 2, 11), LeadEvent.Kind.CLAIMED)
    took(offered, ana, utc(12, 3, 11), LeadEvent.Kind.ASSIGNED)
    # Not taking (but a touch): the call that moved her lead to contacted. Another rep's lead.
    LeadEvent.objects.create(
        lead=offered,
        kind=LeadEvent.Kind.TOUCH,
        to_state=LeadState.CONTACTED,
        owner=ana,
        actor=ana,
        created_at=utc(12, 3, 11, 30),
    )
    took(LeadFactory(), outsider, utc(12, 2, 10))
    touched(ana, utc(11, 30, 2, 30))  # Sunday night her time: last week
    touched(ana, utc(12, 1, 12))
    touched(ana, utc(12, 3, 10))
    touched(ana, utc(12, 3, 10), LeadEvent.Kind.NOTE)  # a note is no touch
    won(ana, utc(12, 1, 2), "500")  # 30 Nov 23:00 her time: November
    won(ana, utc(12, 2, 9), "1200.50")
    won(ana, utc(12, 3, 9), "300")
    won(ana, utc(12, 2, 9), "900", status=LeadState.LOST)

    # Kenji (Tokyo): Sunday 16:00 UTC is his Monday 01:00 (this week, November still).
    took(LeadFactory(), kenji, utc(11, 29, 16))
    took(LeadFactory(), kenji, utc(12, 2, 8))
    won(kenji, utc(11, 30, 16), "2000")  # 1 December 01:00 his time
    return ana, kenji, outsider


def figures(result, rep):
    return {(a.metric, a.period): (a.actual, a.target, a.percent) for a in result[rep.pk]}


def test_each_metric_counts_in_the_reps_own_week_and_month(cast):
    ana, kenji, outsider = cast
    result = quota_attainment(user_ids=[ana.pk, kenji.pk, outsider.pk], at=AT)
    assert outsider.pk not in result  # no quota on the Enterprise team
    assert figures(result, ana) == {
        (M.LEADS_WORKED, P.WEEK): (3, 10, 30),
        (M.LEADS_WORKED, P.MONTH): (2, 40, 5),
        (M.TOUCHES, P.WEEK): (3, 20, 15),
        (M.DEALS_WON, P.MONTH): (2, 4, 50),
        (M.WON_VALUE, P.MONTH): (Decimal("1500.50"), 10000, 15),
    }
    assert figures(result, kenji) == {
        (M.LEADS_WORKED, P.WEEK): (2, 5, 40),  # his own target, not the team's 10
        (M.LEADS_WORKED, P.MONTH): (1, 40, 2),
        (M.TOUCHES, P.WEEK): (0, 20, 0),
        (M.DEALS_WON, P.MONTH): (1, 4, 25),
        (M.WON_VALUE, P.MONTH): (Decimal("2000"), 10000, 20),
    }
    overridden = {(a.metric, a.period) for a in result[kenji.pk] if a.overridden}
    assert overridden == {(M.LEADS_WORKED, P.WEEK)}


def test_a_period_is_the_whole_local_week_or_month(cast):
    ana, _, _ = cast
    first, start, end = period_bounds(at=AT, zone="America/Sao_Paulo", period=P.WEEK)
    assert (first, start, end) == (date(2026, 11, 30), utc(11, 30, 3), utc(12, 7, 3))
    first, start, end = period_bounds(at=AT, zone="Asia/Tokyo", period=P.MONTH)
    assert (first, start, end) == (date(2026, 12, 1), utc(11, 30, 15), utc(12, 31, 15))
    # Read a week later, last week's figures are the same.
    later = quota_attainment(user_ids=[ana.pk], at=utc(12, 6, 23), metrics=[M.LEADS_WORKED])
    assert [(a.period, a.actual) for a in later[ana.pk]] == [(P.WEEK, 3), (P.MONTH, 2)]


def test_only_the_metrics_asked_for(cast):
    ana, _, _ = cast
    result = quota_attainment(user_ids=[ana.pk], at=AT, metrics=[M.TOUCHES])
    assert [(a.metric, a.actual) for a in result[ana.pk]] == [(M.TOUCHES, 3)]


def test_percent_rounds_down_and_the_bar_stops_at_full(cast):
    ana, _, _ = cast
    Quota.objects.filter(metric=M.DEALS_WON).update(target=3)
    Quota.objects.filter(metric=M.TOUCHES).update(target=1)
    result = {a.metric: a for a in quota_attainment(user_ids=[ana.pk], at=AT)[ana.pk]}
    assert (result[M.DEALS_WON].percent, result[M.DEALS_WON].met) == (66, False)
    assert (result[M.TOUCHES].percent, result[M.TOUCHES].shown_percent) == (300, 100)
    assert result[M.TOUCHES].met


def test_query_count_does_not_grow_with_the_reps(cast, queries_of):
    ana, kenji, _ = cast
    team = ana.rep_profile.team
    few = queries_of(lambda: quota_attainment(user_ids=[ana.pk, kenji.pk], at=AT))
    more = [make_rep(team=team, time_zone=z) for z in ("UTC", "Europe/Lisbon", "Asia/Kolkata")]
    for rep in more:
        took(LeadFactory(), rep, utc(12, 2, 10))
        touched(rep, utc(12, 2, 11))
        won(rep, utc(12, 2, 12), "10")
    ids = [ana.pk, kenji.pk, *(r.pk for r in more)]
    result = {}
    many = queries_of(lambda: result.update(quota_attainment(user_ids=ids, at=AT)))
    assert few == many == 2
    assert {(a.metric, a.actual) for a in result[more[0].pk] if a.period == P.WEEK} == {
        (M.LEADS_WORKED, 1),
        (M.TOUCHES, 1),
    }
