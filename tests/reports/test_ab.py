"""A/B comparison page: the arms from the URL, both arms' counts, the tests, the scope."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pools.lifecycle import LeadState as S
from reports.abtest.selectors import CONVERSION, SPEED, ab_report
from reports.abtest.stats import compare
from reports.filters import report_filters
from routing.models import RoutingDecision
from tests.reports.fixtures import lead, world
from tests.routing_factories import RuleFactory

pytestmark = pytest.mark.django_db
URL = "reports:ab"


def _periods(w):
    """A: 45 to 35 days ago (the fixture's 40-day-old won lead); B: the last 7 days."""
    today = timezone.localdate()
    return {
        "compare": "periods",
        "a_start": (today - timedelta(days=45)).isoformat(),
        "a_end": (today - timedelta(days=35)).isoformat(),
        "b_start": (today - timedelta(days=6)).isoformat(),
        "b_end": today.isoformat(),
    }


def test_two_periods_side_by_side(client_for):
    """A: 1 lead, won, owned, touched 1 s after assignment → 1/1 and 1/1. B: team A's 6
    leads, 1 won; owned 5 (Ana 4, Bo 1), within 5 min: Ana's won (30 s), qualified (60 s),
    Bo's lost (240 s) — not the contacted one (500 s) nor the untouched one → 3/5."""
    w = world()
    page = client_for(w.manager).get(reverse(URL), _periods(w))
    assert page.status_code == 200
    a, b = page.context["tables"]["arms"].rows
    assert (a["leads"], a["won"], a["owned"], a["fast"]) == (1, 1, 1, 1)
    assert (b["leads"], b["won"], b["owned"], b["fast"]) == (6, 1, 5, 3)
    (_, conversion), (_, speed) = page.context["tests"]
    assert conversion == compare(metric=CONVERSION, hits_a=1, n_a=1, hits_b=1, n_b=6)
    assert speed == compare(metric=SPEED, hits_a=1, n_a=1, hits_b=3, n_b=5)
    body = page.content.decode()
    assert conversion.verdict in body
    # The arms ride along in the CSV links and the filter bar.
    assert "compare=periods" in body and 'name="a_start" value=' in body


def _rules_world():
    w = world()
    fast, slow = RuleFactory(name="Fast lane", team=w.team_a), RuleFactory(name="Slow lane")
    made = []
    for rule, status in [
        (fast, S.WON),
        (fast, S.WON),
        (fast, S.LOST),
        (slow, S.LOST),
        (slow, S.WON),
    ]:
        one = lead(team=w.team_a, status=status, owner=w.ana, assigned=10, touched=20)
        made.append(one)
        RoutingDecision.objects.create(
            lead=one,
            rule=rule,
            rule_name=rule.name,
            method="round_robin",
            outcome="assigned",
            reason="test",
            created_at=one.created_at,
        )
    # Later reassigned by the slow rule: the first decision keeps it in the fast arm.
    RoutingDecision.objects.create(
        lead=made[0],
        rule=slow,
        rule_name=slow.name,
        method="weighted",
        outcome="assigned",
        reason="later",
        created_at=made[0].created_at + timedelta(hours=1),
    )
    return w, fast, slow


def test_two_rules_count_the_leads_each_first_placed():
    """Fast lane first placed 3 (2 won), Slow lane 2 (1 won)."""
    w, fast, slow = _rules_world()
    _, filters = report_filters(user=w.manager, data={})
    report = ab_report(filters, {"compare": "rules", "rule_a": slow, "rule_b": fast})
    a, b = report["tables"]["arms"].rows
    assert (a["label"], a["leads"], a["won"]) == ("A: Slow lane", 2, 1)
    assert (b["label"], b["leads"], b["won"]) == ("B: Fast lane", 3, 2)
    methods = ab_report(
        filters, {"compare": "methods", "method_a": "weighted", "method_b": "round_robin"}
    )
    a, b = methods["tables"]["arms"].rows
    assert (a["leads"], b["leads"]) == (0, 5)
    assert methods["tests"][0][1].verdict.startswith("A has no leads to count")


def test_rules_from_the_url_and_the_tests_csv(client_for):
    w, fast, slow = _rules_world()
    query = {"compare": "rules", "rule_a": slow.pk, "rule_b": fast.pk}
    response = client_for(w.manager).get(reverse(URL), query | {"format": "csv", "table": "tests"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Metric", "A (%)", "B (%)", "B − A (points)"]
    assert rows[1][:4] == ["Conversion", "50.0", "66.7", "16.7"]


def test_a_tiny_p_value_reads_as_under_a_thousandth_not_zero():
    from reports.abtest.selectors import CONVERSION, _test_row
    from reports.abtest.stats import compare
    from reports.tables import Column, csv_value, display

    test = compare(metric=CONVERSION, hits_a=100, n_a=1000, hits_b=170, n_b=1000)
    row = _test_row(CONVERSION, test)
    column = Column("p_value", "p-value", "number")
    assert test.p_value < 0.001 and display(column, row["p_value"]) == "< 0.001"
    assert csv_value(column, row["p_value"]) == float(f"{test.p_value:.3g}") > 0
    assert display(Column("points", "B − A", "number"), row["points"]) == "7.0"  # as "7.0 points"


@pytest.mark.parametrize(
    "query, message",
    [
        ({"compare": "rules"}, "Choose rule A and rule B."),
        ({"compare": "methods", "method_a": "weighted", "method_b": "weighted"}, "are the same"),
        ({"compare": "periods", "a_start": "2026-01-01"}, "Period A needs a from and a to date."),
        (
            {
                "compare": "periods",
                "a_start": "2026-01-01",
                "a_end": "2026-01-31",
                "b_start": "2026-01-15",
                "b_end": "2026-02-15",
            },
            "The two periods overlap",
        ),
        ({"compare": "rules", "rule_a": "999999", "rule_b": "1"}, "not a rule of your teams"),
        ({"compare": "nonsense"}, "Select a valid choice"),
    ],
)
def test_wrong_arms_show_a_message_never_a_500(client_for, query, message):
    w = world()
    page = client_for(w.manager).get(reverse(URL), query)
    assert page.status_code == 200
    assert message in page.content.decode()
    csv_ = client_for(w.manager).get(reverse(URL), query | {"format": "csv", "table": "arms"})
    assert csv_.status_code == 400


def test_another_teams_rule_is_not_offered_and_scope_holds(client_for):
    w, fast, slow = _rules_world()
    other_rule = RuleFactory(name="Beta only", team=w.team_b)
    client = client_for(w.manager)
    page = client.get(
        reverse(URL), {"compare": "rules", "rule_a": other_rule.pk, "rule_b": fast.pk}
    )
    assert "not a rule of your teams" in page.content.decode()
    # Manager B comparing the rules sees none of team A's leads.
    b = client_for(w.manager_b).get(
        reverse(URL), {"compare": "rules", "rule_a": slow.pk, "rule_b": fast.pk}
    )
    assert "Fast lane" not in b.content.decode()  # a team A rule is not B's to choose
    assert client_for(w.ana).get(reverse(URL)).status_code == 403
    assert client.get(reverse(URL), {"team": w.team_b.pk}).status_code == 404


def test_page_without_arms_asks_for_them(client_for):
    w = world()
    body = client_for(w.manager).get(reverse(URL)).content.decode()
    assert "Choose what to compare" in body
