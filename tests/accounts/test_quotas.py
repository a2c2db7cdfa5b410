"""Quotas in the admin: a team's defaults and a rep's overrides, refused with a clear
message when a target is not positive or not whole, a rep is not the team's, or a quota
for the same rep (or the team), metric and period exists already."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Quota
from accounts.selectors import rep_quotas
from tests.factories import TeamFactory, UserFactory, make_rep

pytestmark = pytest.mark.django_db
M, P = Quota.Metric, Quota.Period


@pytest.fixture
def admin_client(client_for):
    return client_for(UserFactory(is_staff=True, is_superuser=True))


def team_form(team, rows):
    data = {
        "name": team.name,
        "number_format": "",
        "currency": "",
        "quotas-TOTAL_FORMS": len(rows),
        "quotas-INITIAL_FORMS": 0,
    }
    for i, row in enumerate(rows):
        data.update({f"quotas-{i}-{k}": v for k, v in row.items()})
    return data


def errors_of(response) -> str:
    return " ".join(str(e) for e in response.context["errors"])


def test_team_page_saves_defaults_and_a_reps_override(admin_client):
    team = TeamFactory(name="Inbound")
    ana = make_rep(team=team)
    url = f"/admin/accounts/team/{team.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Quotas (no rep: the team" in page
    response = admin_client.post(
        url,
        team_form(
            team,
            [
                {"rep": "", "metric": M.LEADS_WORKED, "period": P.WEEK, "target": "20"},
                {"rep": ana.pk, "metric": M.LEADS_WORKED, "period": P.WEEK, "target": "12"},
                {"rep": "", "metric": M.WON_VALUE, "period": P.MONTH, "target": "25000.50"},
            ],
        ),
    )
    assert response.status_code == 302
    got = {(q.rep_id, q.metric, q.period, q.target) for q in team.quotas.all()}
    assert got == {
        (None, M.LEADS_WORKED, P.WEEK, 20),
        (ana.pk, M.LEADS_WORKED, P.WEEK, 12),
        (None, M.WON_VALUE, P.MONTH, Decimal("25000.50")),
    }


@pytest.mark.parametrize(
    "row, says",
    [
        ({"metric": M.TOUCHES, "period": P.WEEK, "target": "0"}, "The target must be more than 0."),
        ({"metric": M.TOUCHES, "period": P.WEEK, "target": "-3"}, "more than 0"),
        ({"metric": M.TOUCHES, "period": P.WEEK, "target": "2.5"}, "Touches are counted: give"),
        ({"metric": M.TOUCHES, "period": "", "target": "5"}, "This field is required."),
    ],
)
def test_team_page_refuses_a_bad_target_with_a_message(admin_client, row, says):
    team = TeamFactory()
    response = admin_client.post(
        f"/admin/accounts/team/{team.pk}/change/", team_form(team, [{"rep": "", **row}])
    )
    assert response.status_code == 200
    assert says in errors_of(response)
    assert not Quota.objects.exists()


def test_two_team_defaults_for_the_same_metric_and_period_in_one_save_are_refused(admin_client):
    team = TeamFactory()
    row = {"rep": "", "metric": M.DEALS_WON, "period": P.MONTH, "target": "4"}
    response = admin_client.post(
        f"/admin/accounts/team/{team.pk}/change/", team_form(team, [row, {**row, "target": "5"}])
    )
    assert response.status_code == 200
    assert "The team default has two deals won quotas a month (rows 1 and 2); keep one." in (
        errors_of(response)
    )
    assert not Quota.objects.exists()


def test_quota_page_refuses_a_duplicate_and_another_teams_rep(admin_client):
    team, other = TeamFactory(name="Inbound"), TeamFactory(name="Enterprise")
    ana = make_rep(team=team, user__first_name="Ana", user__last_name="Lima")
    Quota.objects.create(team=team, rep=ana, metric=M.TOUCHES, period=P.WEEK, target=30)
    add = "/admin/accounts/quota/add/"
    row = {"team": team.pk, "rep": ana.pk, "metric": M.TOUCHES, "period": P.WEEK, "target": "9"}
    response = admin_client.post(add, row)
    assert "Ana Lima already has a touches quota a week; change that one instead." in (
        errors_of(response)
    )
    response = admin_client.post(add, {**row, "team": other.pk})
    assert "Ana Lima is not a rep of Enterprise" in errors_of(response)
    response = admin_client.post(add, {**row, "period": P.MONTH})
    assert response.status_code == 302
    assert Quota.objects.count() == 2
    # The list names the team's default rows as such.
    Quota.objects.create(team=team, metric=M.TOUCHES, period=P.WEEK, target=20)
    assert "Team default" in admin_client.get("/admin/accounts/quota/").content.decode()


def test_the_database_holds_the_same_rules(db):
    team = TeamFactory()
    Quota.objects.create(team=team, metric=M.TOUCHES, period=P.WEEK, target=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quota.objects.create(team=team, metric=M.TOUCHES, period=P.WEEK, target=11)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quota.objects.create(team=team, metric=M.TOUCHES, period=P.MONTH, target=0)
    with pytest.raises(ValidationError) as exc:
        Quota(team=team, metric=M.TOUCHES, period=P.WEEK, target=12).full_clean()
    assert "already has a touches quota a week" in str(exc.value)


def test_a_reps_override_replaces_the_team_default_only_for_its_metric_and_period(db, queries_of):
    team = TeamFactory()
    ana, bia = make_rep(team=team), make_rep(team=team)
    elsewhere = make_rep(team=TeamFactory())
    Quota.objects.create(team=team, metric=M.LEADS_WORKED, period=P.WEEK, target=20)
    Quota.objects.create(team=team, metric=M.LEADS_WORKED, period=P.MONTH, target=80)
    Quota.objects.create(team=team, rep=ana, metric=M.LEADS_WORKED, period=P.WEEK, target=12)
    got = []
    ids = [ana.pk, bia.pk, elsewhere.pk]
    assert queries_of(lambda: got.extend(rep_quotas(user_ids=ids))) == 1
    assert [(q.rep_id, q.period, q.target, q.overridden) for q in got] == [
        (ana.pk, P.WEEK, 12, True),
        (ana.pk, P.MONTH, 80, False),
        (bia.pk, P.WEEK, 20, False),
        (bia.pk, P.MONTH, 80, False),
    ]
    # Moved to another team, Ana takes that team's targets (none), not her old override.
    ana.rep_profile.team = elsewhere.rep_profile.team
    ana.rep_profile.save()
    assert [q.rep_id for q in rep_quotas(user_ids=[ana.pk])] == []
