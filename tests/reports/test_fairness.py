"""Distribution fairness against the hand-computed fixture (tests/reports/fixtures.py)."""

import pytest

from reports.fairness.selectors import fairness_report, gini
from reports.filters import report_filters
from tests.factories import make_rep
from tests.reports.fixtures import world

pytestmark = pytest.mark.django_db


def _report(user, **query):
    form, filters = report_filters(user=user, data=query)
    assert filters is not None, form.errors
    return fairness_report(filters)


def test_leads_per_rep_against_weight_and_gini():
    """Team A, last 30 days: Ana (weight 3) owns 4, Bo (weight 1) owns 1; 5 leads, weight 4.
    By weight: Ana 3.75 (got 4/3.75 ≈ 1.067×), Bo 1.25 (0.8×). Gini of [1, 4]:
    (−1·1 + 1·4) / (2·5) = 0.3. Per unit of weight [1, 4/3]: (−1 + 4/3) / (2·7/3) = 1/14."""
    w = world()
    report = _report(w.manager)
    rows = {r["label"]: r for r in report["tables"]["by_rep"].rows}
    assert set(rows) == {"Ana Alves", "Bo Brito"}
    ana, bo = rows["Ana Alves"], rows["Bo Brito"]
    assert (ana["leads"], ana["weight"], ana["expected"]) == (4, 3, 3.75)
    assert ana["ratio"] == pytest.approx(4 / 3.75) and ana["share"] == 0.8
    assert (bo["leads"], bo["expected"], bo["ratio"]) == (1, 1.25, 0.8)
    assert report["gini"] == pytest.approx(0.3)
    assert report["gini_weighted"] == pytest.approx(1 / 14)


def test_a_rep_with_no_lead_counts_as_zero():
    """A third rep of team A with weight 1 and no lead: leads [0, 1, 4], total 5, n 3:
    Gini = (−2·0 + 0·1 + 2·4) / (3·5) = 8/15."""
    w = world()
    make_rep(team=w.team_a, weight=1)
    report = _report(w.manager)
    assert [r["leads"] for r in report["tables"]["by_rep"].rows].count(0) == 1
    assert report["gini"] == pytest.approx(8 / 15)


def test_gini_of_equal_shares_is_zero_and_of_nothing_is_none():
    assert gini([3, 3, 3]) == 0
    assert gini([0, 0]) is None and gini([]) is None
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)
