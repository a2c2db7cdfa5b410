"""Conversion report: figures against the hand-computed fixture in tests/reports/fixtures.py."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Team
from accounts.roles import Role
from pools.models import Lead
from reports.conversion.selectors import conversion_report
from reports.filters import report_filters
from tests.factories import UserFactory
from tests.reports.fixtures import world

pytestmark = pytest.mark.django_db


def _report(user, **query):
    form, filters = report_filters(user=user, data=query)
    assert filters is not None, form.errors
    return conversion_report(filters)


def _rows(table):
    return {row["label"]: row for row in table.rows}


def test_funnel_counts_each_stage_reached_in_the_managers_teams():
    """Team A in the last 30 days: 6 leads (the 40-day-old one is out, team B's is not
    the manager's). Contacted: won, qualified, contacted, lost = 4. Qualified: won,
    qualified = 2. Won 1, lost 1."""
    w = world()
    report = _report(w.manager)
    funnel = {r["stage"]: r for r in report["tables"]["funnel"].rows}
    assert [funnel[s]["count"] for s in ("New", "Contacted", "Qualified", "Won", "Lost")] == [
        6,
        4,
        2,
        1,
        1,
    ]
    assert funnel["Contacted"]["of_new"] == pytest.approx(4 / 6)
    assert funnel["Qualified"]["of_previous"] == pytest.approx(2 / 4)
    assert funnel["Won"]["of_previous"] == pytest.approx(1 / 2)
    assert report["totals"]["rejected"] == 1
    assert _stat(report, "won value") == "1,000.00"  # a team without a currency or a format


def _stat(report, label):
    return next(stat.shown for stat in report["stats"] if stat.label == label)


def test_won_value_is_given_per_currency_as_each_team_writes_amounts():
    w = world()
    Team.objects.filter(pk=w.team_a.pk).update(currency="BRL", number_format=",")
    Team.objects.filter(pk=w.team_b.pk).update(currency="USD", number_format=".")
    admin = UserFactory(roles=[Role.ADMIN])
    assert _stat(_report(admin), "won value") == "R$ 1.000,00 · $ 5,000.00"  # never summed
    assert _stat(_report(w.manager), "won value") == "R$ 1.000,00"
    Team.objects.filter(pk=w.team_b.pk).update(currency="BRL")  # one currency, two formats
    assert _stat(_report(admin), "won value") == "R$ 6,000.00"
    Lead.objects.filter(status="won").update(status="lost")
    assert _stat(_report(admin), "won value") == "0"


def test_rates_by_rep_source_country_and_score_band():
    """Ana: 4 leads, 3 contacted, 2 qualified, 1 won → win 25%, close 100%. Bo: 1 lead,
    lost → win 0%, close 0%. Unowned: the rejected lead. Sources: Web form 4 (won, qualified,
    lost, rejected) with 1 won; the other 2. Countries: BR 5, PT 1. Score bands: 75+ 1 (won),
    50–74 2 (60 qualified, 50 lost), 25–49 1, under 25 2 (10, 5)."""
    w = world()
    tables = _report(w.manager)["tables"]
    by_rep = _rows(tables["by_rep"])
    ana, bo = by_rep["Ana Alves"], by_rep["Bo Brito"]
    assert (ana["leads"], ana["contacted"], ana["qualified"], ana["won"], ana["lost"]) == (
        4,
        3,
        2,
        1,
        0,
    )
    assert ana["win_rate"] == 0.25 and ana["close_rate"] == 1.0
    assert (bo["leads"], bo["won"], bo["lost"], bo["win_rate"], bo["close_rate"]) == (
        1,
        0,
        1,
        0.0,
        0.0,
    )
    assert set(by_rep) == {"Ana Alves", "Bo Brito", "No owner"}
    by_source = _rows(tables["by_source"])
    assert by_source["Web form"]["leads"] == 4 and by_source["Web form"]["won"] == 1
    assert by_source[w.fair.name]["leads"] == 2
    assert {k: r["leads"] for k, r in _rows(tables["by_country"]).items()} == {"BR": 5, "PT": 1}
    assert [(r["label"], r["leads"]) for r in tables["by_score"].rows] == [
        ("75 and over", 1),
        ("50–74", 2),
        ("25–49", 1),
        ("Under 25", 2),
    ]


def test_rates_by_routing_method_and_rule():
    """Methods: push round robin 2 (won, untouched) → 1 won; live offer shotgun 1
    (qualified); pool claim 1 (contacted); manager desk 1 (lost); not assigned 1
    (rejected). Rules: round robin 2, hot leads 1, pool 1, none 2 (desk, rejected)."""
    w = world()
    tables = _report(w.manager)["tables"]
    methods = {
        k: (r["leads"], r["won"], r["qualified"]) for k, r in _rows(tables["by_method"]).items()
    }
    assert methods == {
        "Push · Round robin": (2, 1, 1),
        "Live offer · Shotgun": (1, 0, 1),
        "Pool claim": (1, 0, 0),
        "Manager desk": (1, 0, 0),
        "Not assigned (pool, offer, queue or rejected)": (1, 0, 0),
    }
    rules = {k: r["leads"] for k, r in _rows(tables["by_rule"]).items()}
    assert rules == {
        "Inbound round robin": 2,
        "Hot leads offered": 1,
        "Everything else to the pool": 1,
        "No rule": 2,
    }


def test_a_push_without_a_recorded_method_says_so():
    """The demo's history and leads assigned before methods were recorded: not 'no method'."""
    from reports.dimensions import method_name

    assert method_name("push:") == "Push · method not recorded"
    assert method_name("push:round_robin") == "Push · Round robin"


def test_admin_sees_every_team_and_a_team_filter_narrows():
    w = world()
    assert _report(w.manager_b)["totals"]["leads"] == 1
    assert _report(w.manager, team=str(w.team_a.pk))["totals"]["leads"] == 6
    admin = UserFactory(roles=[Role.ADMIN])
    assert _report(admin)["totals"]["leads"] == 7
    assert _report(admin, team=str(w.team_b.pk))["totals"]["leads"] == 1
    assert _report(admin, source=str(w.web.pk))["totals"]["leads"] == 5
    assert _report(admin, period="90d")["totals"]["leads"] == 8


def test_other_teams_manager_sees_none_of_this_teams_figures(client_for):
    w = world()
    client = client_for(w.manager_b)
    page = client.get(reverse("reports:conversion"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Ana Alves" not in body and "Bo Brito" not in body
    assert client.get(reverse("reports:conversion"), {"team": w.team_a.pk}).status_code == 404


def test_rep_is_refused(client_for):
    w = world()
    assert client_for(w.ana).get(reverse("reports:conversion")).status_code == 403


def test_filters_are_in_the_url_and_kept_by_csv_links(client_for):
    w = world()
    url = reverse("reports:conversion")
    page = client_for(w.manager).get(url, {"period": "90d", "team": w.team_a.pk})
    body = page.content.decode()
    assert f"period=90d&amp;team={w.team_a.pk}&amp;format=csv&amp;table=by_rep" in body
    assert 'value="90d" selected' in body


def test_csv_is_formula_safe_and_matches_the_table(client_for):
    w = world()
    response = client_for(w.manager).get(
        reverse("reports:conversion"), {"format": "csv", "table": "by_source"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="conversion-by_source')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Source", "Leads"]
    labels = {r[0]: r for r in rows[1:]}
    assert labels["Web form"][1] == "4"
    assert "'" + w.fair.name in labels  # =HYPERLINK… is text, never a formula
    assert labels["Web form"][rows[0].index("Win rate (%)")] == "25.0"


@pytest.mark.parametrize(
    "query, message",
    [
        ({"period": "forever"}, "not a period"),
        ({"period": "custom", "start": "2026-02-01"}, "need both"),
        ({"period": "custom", "start": "2026-02-10", "end": "2026-02-01"}, "before the from"),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-01-01"}, "at most 366"),
        ({"start": "not-a-date", "period": "custom"}, "valid date"),
        ({"source": "999999"}, "not a source"),
    ],
)
def test_bad_filters_get_a_clear_message_not_an_error(client_for, query, message):
    w = world()
    page = client_for(w.manager).get(reverse("reports:conversion"), query)
    assert page.status_code == 200
    assert message in page.content.decode()
    csv_response = client_for(w.manager).get(
        reverse("reports:conversion"), query | {"format": "csv"}
    )
    assert csv_response.status_code == 400


def test_unknown_csv_table_is_a_clear_400(client_for):
    w = world()
    response = client_for(w.manager).get(
        reverse("reports:conversion"), {"format": "csv", "table": "nope"}
    )
    assert response.status_code == 400
    assert "by_rep" in response.content.decode()
    echoed = client_for(w.manager).get(
        reverse("reports:conversion"), {"format": "csv", "table": "<script>x</script>"}
    )
    assert echoed["Content-Type"].startswith("text/plain")


def test_query_count_does_not_grow_with_the_data(client_for, queries_of):
    w = world()
    client = client_for(w.manager)
    url = reverse("reports:conversion")
    few = queries_of(lambda: client.get(url))
    from pools.lifecycle import LeadState as S
    from tests.reports.fixtures import lead

    for i in range(15):
        lead(
            team=w.team_a,
            status=S.CONTACTED,
            owner=w.bo,
            assigned=1,
            touched=5,
            country=f"C{i % 5}",
            score=i * 7,
        )
    assert queries_of(lambda: client.get(url)) == few
