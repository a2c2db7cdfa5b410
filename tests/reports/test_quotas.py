"""The quota report against a small hand-computed fixture: team defaults and a rep's own
target, the period the report reads, team scope and a constant query count."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Quota, Team
from pools.lifecycle import LeadState
from pools.models import LeadEvent
from reports.filters import report_filters
from reports.quotas.selectors import quota_report
from tests.factories import LeadFactory, make_rep
from tests.reports.fixtures import world

pytestmark = pytest.mark.django_db
WORKED, MONTH = Quota.Metric.LEADS_WORKED, Quota.Period.MONTH


def took(rep, n):
    """`rep` took `n` leads just now (what "leads worked" counts)."""
    for _ in range(n):
        lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=rep.rep_profile.team)
        LeadEvent.objects.create(
            lead=lead, kind=LeadEvent.Kind.ASSIGNED, to_state=LeadState.ASSIGNED, owner=rep
        )


def quota_world():
    return quota_seed(world())


def quota_seed(w):
    """Team Alpha: leads worked this month, 4 by default, Ana's own target 2; Beta: 3.
    Ana took 1 (1/2 = 50%), Bo 3 (3/4 = 75%), Cy 3 (3/3 = 100%, met)."""
    Quota.objects.create(team=w.team_a, metric=WORKED, period=MONTH, target=4)
    Quota.objects.create(team=w.team_a, rep=w.ana, metric=WORKED, period=MONTH, target=2)
    Quota.objects.create(team=w.team_b, metric=WORKED, period=MONTH, target=3)
    took(w.ana, 1), took(w.bo, 3), took(w.cy, 3)
    return w


def _report(user, **query):
    form, filters = report_filters(user=user, data=query)
    assert filters is not None, form.errors
    return quota_report(filters)


def _figures(report):
    return {
        r["label"]: (r["actual"].value, r["target"].value, r["attained"], r["met"])
        for r in report["tables"]["by_rep"].rows
    }


def test_each_reps_attainment_with_the_teams_default_or_their_own_target():
    w = quota_world()
    assert _figures(_report(w.manager)) == {
        "Ana Alves": (1, 2, 0.5, "no"),
        "Bo Brito": (3, 4, 0.75, "no"),
    }
    assert _figures(_report(w.manager_b)) == {"Cy Costa": (3, 3, 1, "yes")}
    stats = {s.label: s.value for s in _report(w.manager)["stats"]}
    assert (stats["quotas"], stats["met"], stats["under half way"]) == (2, 0, 0)


def test_last_month_reads_last_months_quota_period():
    # Every lead was taken now: last month's attainment is nothing yet.
    w = quota_world()
    rows = _report(w.manager, period="last_month")["tables"]["by_rep"].rows
    assert {r["label"]: r["actual"].value for r in rows} == {"Ana Alves": 0, "Bo Brito": 0}
    now = timezone.localtime()
    assert f"{now:%B %Y}" not in {r["period"] for r in rows}


def test_the_page_and_its_csv_show_the_figures_in_constant_queries(client_for, queries_of):
    w = quota_world()
    client = client_for(w.manager)
    url = reverse("reports:quotas")
    body = client.get(url).content.decode()
    assert "Ana Alves" in body and "50.0%" in body and "Cy Costa" not in body
    csv_body = client.get(url, {"format": "csv", "table": "by_rep"}).content.decode("utf-8-sig")
    assert "Bo Brito,Alpha,Leads worked" in csv_body
    bo = next(csv.reader(io.StringIO(csv_body.split("Bo Brito,", 1)[1])))
    assert bo[3:5] == ["3", "4"]  # counts as whole numbers, not "3.00"
    few = queries_of(lambda: client.get(url))
    for _ in range(10):
        took(make_rep(team=w.team_a), 2)
    assert queries_of(lambda: client.get(url)) == few


def test_a_value_quota_reads_in_the_teams_currency_and_its_csv_keeps_the_number(client_for):
    w = quota_world()
    Team.objects.filter(pk=w.team_a.pk).update(currency="BRL")
    Quota.objects.create(team=w.team_a, metric=Quota.Metric.WON_VALUE, period=MONTH, target=25000)
    url = reverse("reports:quotas")
    body = client_for(w.manager).get(url).content.decode()
    assert "R$ 25\u202f000" in body  # as the team board writes it
    assert "R$ 4" not in body  # counted quotas carry no currency
    rows = csv.reader(
        io.StringIO(
            client_for(w.manager)
            .get(url, {"format": "csv", "table": "by_rep"})
            .content.decode("utf-8-sig")
        )
    )
    won = [row for row in rows if row[2] == "Won value"]
    assert won and all(row[5] == "25000.00" for row in won)


def test_the_chart_shows_the_furthest_behind_first_each_bar_naming_its_period():
    """The chart stopped at the first 20 rows (in rep order), and two bars of one rep and
    metric, a week's and a month's, read the same."""
    from reports.quotas.selectors import CHART_BARS

    w = quota_world()
    Quota.objects.create(team=w.team_a, metric=WORKED, period=Quota.Period.WEEK, target=50)
    for i in range(CHART_BARS):
        rep = make_rep(team=w.team_a, user__first_name=f"Extra{i:02d}", user__last_name="Rep")
        took(rep, 4)  # 4 of 4 this month (met), 4 of 50 this week (8%)
    report = _report(w.manager)
    rows = report["tables"]["by_rep"].rows
    assert len(rows) > CHART_BARS
    chart = str(report["tables"]["by_rep"].chart)
    assert f"the {CHART_BARS} furthest behind of {len(rows)}" in chart
    # Ana's week (1 of 50) is the furthest behind of all: the first bar.
    first_label = chart.split('class="chart-label">', 1)[1].split("<", 1)[0]
    assert first_label.startswith("Ana Alves · Leads worked · week of")
    assert chart.count('class="chart-label">') == CHART_BARS
