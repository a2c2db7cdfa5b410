"""Each eligibility filter, pure (RepRow facts) and as loaded from the database."""

from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import OutOfOffice, RepProfile
from pools.lifecycle import LeadState
from routing.engine.book import RepBook
from routing.engine.eligibility import RepRow, Requirements, lead_territories, rep_exclusion
from routing.engine.facts import lead_context
from routing.models import RepIntake, RoutingRule
from routing.strategies import LeadSnapshot
from tests.factories import LeadFactory, TerritoryFactory, make_rep
from tests.routing_factories import RuleFactory

LEAD = LeadSnapshot(
    id=1,
    fields={
        "language": "pt",
        "industry": "pet",
        "company_size": "11-50",
        "product_interest": "marketplace",
    },
    territories={7: 2},
)
NONE = Requirements()


def excluded(row, needs=NONE, previous=False):
    row.previous_owner = row.previous_owner or previous
    result = rep_exclusion(row, lead=LEAD, needs=needs)
    return result[0] if result else None


def test_an_ordinary_rep_is_eligible():
    assert excluded(RepRow(user_id=1, name="a")) is None


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        ({"is_active": False}, "inactive"),
        ({"availability": RepProfile.Availability.AWAY}, "availability"),
        ({"availability": RepProfile.Availability.BUSY}, "availability"),
        ({"out_of_office": True}, "out_of_office"),
        ({"at_work": False}, "off_hours"),
        ({"caps": {"max_per_day": 3}, "today": 3}, "cap_day"),
        ({"caps": {"max_per_week": 10}, "week": 10}, "cap_week"),
        ({"caps": {"max_per_month": 20}, "month": 25}, "cap_month"),
        ({"caps": {"max_open_untouched": 2}, "untouched": 2}, "untouched"),
    ],
)
def test_each_filter_excludes_with_its_reason(facts, code):
    assert excluded(RepRow(user_id=1, name="a", **facts)) == code


def test_under_the_cap_is_eligible():
    assert excluded(RepRow(user_id=1, name="a", caps={"max_per_day": 3}, today=2)) is None


def test_previous_owner_is_excluded():
    assert excluded(RepRow(user_id=1, name="a"), previous=True) == "previous_owner"


@pytest.mark.parametrize(
    ("need", "facts", "code"),
    [
        ({"territory": True}, {"territory_ids": frozenset({8})}, "territory"),
        ({"language": True}, {"languages": frozenset({"en"})}, "language"),
        ({"industry": True}, {"industries": frozenset({"toys"})}, "industry"),
        ({"company_size": True}, {"company_sizes": frozenset({"1-10"})}, "company_size"),
        ({"product": True}, {"products": frozenset({"ads"})}, "product_interest"),
        ({"min_seniority": 3}, {"seniority": 2}, "seniority"),
    ],
)
def test_rule_requirements_exclude_reps_without_the_skill(need, facts, code):
    assert excluded(RepRow(user_id=1, name="a", **facts), Requirements(**need)) == code


@pytest.mark.parametrize(
    ("need", "facts"),
    [
        ({"territory": True}, {"territory_ids": frozenset({7})}),
        ({"language": True}, {"languages": frozenset({"pt"})}),
        ({"industry": True}, {"industries": frozenset({"pet"})}),
        ({"company_size": True}, {"company_sizes": frozenset({"11-50"})}),
        ({"product": True}, {"products": frozenset({"marketplace"})}),
        ({"min_seniority": 3}, {"seniority": 3}),
    ],
)
def test_rule_requirements_pass_reps_with_the_skill(need, facts):
    assert excluded(RepRow(user_id=1, name="a", **facts), Requirements(**need)) is None


@pytest.mark.django_db
def test_lead_territories_rank_state_above_country():
    brazil = TerritoryFactory(name="Brazil", countries=["BR"])
    sp = TerritoryFactory(name="SP", countries=[], states=["SP"])
    TerritoryFactory(name="South", countries=[], states=["RS"])
    _, territories, _ = lead_context(source_ids=[])
    assert lead_territories({"country": "BR", "state": "SP"}, territories) == {
        brazil.pk: 1,
        sp.pk: 2,
    }


def rows_load(rule, now):
    return RepBook.load(rules=[rule], leads=[LEAD], now=now, lock=False).rows_for(rule, LEAD)


@pytest.mark.django_db
def test_loader_reads_facts_from_the_database(team):
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday
    on = make_rep(team=team)
    night = make_rep(
        team=team, time_zone="Asia/Tokyo", working_hours={"wed": [["09:00", "17:00"]]}
    )  # 00:00 in Tokyo
    ooo = make_rep(team=team)
    OutOfOffice.objects.create(
        profile=ooo.rep_profile, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )
    capped = make_rep(team=team, max_per_day=2)
    RepIntake.objects.create(user=capped, day=now.date(), count=2, last_at=now)
    LeadFactory(status=LeadState.ASSIGNED, owner=on)
    rule = RuleFactory(team=team, target=RoutingRule.Target.TEAM)
    rows = {r.user_id: r for r in rows_load(rule, now)}
    assert rows[on.pk].at_work and rows[on.pk].open_leads == 1 and rows[on.pk].untouched == 1
    assert not rows[night.pk].at_work
    assert rows[ooo.pk].out_of_office
    assert rows[capped.pk].today == 2 and rows[capped.pk].caps["max_per_day"] == 2
    assert excluded(rows[capped.pk]) == "cap_day"


@pytest.mark.django_db
def test_a_caps_day_week_and_month_are_the_reps_own(team):
    # 23:30 UTC on Tuesday 31 March: already Wednesday 1 April in Tokyo (and in London, on
    # summer time since the 29th), still Tuesday evening in São Paulo.
    now = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    tokyo = make_rep(team=team, time_zone="Asia/Tokyo", max_per_day=2)
    saopaulo = make_rep(team=team, time_zone="America/Sao_Paulo", max_per_day=2)
    for rep in (tokyo, saopaulo):
        RepIntake.objects.create(user=rep, day=date(2026, 3, 31), count=2, last_at=now)
        RepIntake.objects.create(user=rep, day=date(2026, 3, 29), count=5)  # last Sunday
    rows = {r.user_id: r for r in rows_load(RuleFactory(team=team), now)}
    assert (rows[tokyo.pk].today, rows[tokyo.pk].week, rows[tokyo.pk].month) == (0, 2, 0)
    assert (rows[saopaulo.pk].today, rows[saopaulo.pk].week, rows[saopaulo.pk].month) == (2, 2, 7)
    assert rows[tokyo.pk].day == date(2026, 4, 1) and rows[saopaulo.pk].day == date(2026, 3, 31)
    assert excluded(rows[tokyo.pk]) is None  # a new day in Tokyo
    assert excluded(rows[saopaulo.pk]) == "cap_day"
    assert rows[tokyo.pk].last_assigned_at == now


@pytest.mark.django_db
def test_team_cap_applies_when_the_rep_has_none(team):
    team.max_per_week = 1
    team.save()
    rep = make_rep(team=team)
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    RepIntake.objects.create(user=rep, day=now.date() - timedelta(days=1), count=1)
    rule = RuleFactory(team=team)
    (row,) = rows_load(rule, now)
    assert row.week == 1 and excluded(row) == "cap_week"
