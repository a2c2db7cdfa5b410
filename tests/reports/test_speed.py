"""Speed-to-lead against the hand-computed fixture (tests/reports/fixtures.py)."""

import pytest

from reports.filters import report_filters
from reports.speed.selectors import speed_report
from tests.reports.fixtures import world

pytestmark = pytest.mark.django_db


def _report(user, **query):
    form, filters = report_filters(user=user, data=query)
    assert filters is not None, form.errors
    return speed_report(filters)


def test_medians_p90s_and_the_five_minute_share_over_the_managers_teams():
    """Team A's owned leads: 5, touched 4. Seconds from assignment to first touch: 30, 60,
    240, 500 → median (60+240)/2 = 150; p90 at rank 0.9·3 = 2.7 → 240 + 0.7·260 = 422.
    From arrival: 60, 120, 240, 600 → median 180; p90 240 + 0.7·360 = 492. Within 5 min
    of assignment: 30, 60, 240 → 3 of 5 owned = 60% (the untouched lead counts as not)."""
    totals = _report(world().manager)["totals"]
    assert (totals["owned"], totals["touched"], totals["untouched"]) == (5, 4, 1)
    assert totals["assigned_p50"] == pytest.approx(150)
    assert totals["assigned_p90"] == pytest.approx(422)
    assert totals["created_p50"] == pytest.approx(180)
    assert totals["created_p90"] == pytest.approx(492)
    assert totals["fast_share"] == pytest.approx(0.6)


def test_by_rep_and_by_method():
    """Ana: owned 4, touched 3 at 30, 60, 500 s → median 60, p90 60 + 0.8·440 = 412;
    within 5 min 2 of 4. Bo: 240 s, 1 of 1. Methods: push round robin owned 2 (one
    untouched), 30 s; live offer 60 s; pool claim 500 s (not within 5 min); desk 240 s."""
    tables = _report(world().manager)["tables"]
    reps = {r["label"]: r for r in tables["by_rep"].rows}
    assert set(reps) == {"Ana Alves", "Bo Brito"}  # no "No owner" row: nobody to be fast
    ana, bo = reps["Ana Alves"], reps["Bo Brito"]
    assert (ana["owned"], ana["touched"], ana["assigned_p50"]) == (4, 3, pytest.approx(60))
    assert ana["assigned_p90"] == pytest.approx(412) and ana["fast_share"] == 0.5
    assert (bo["assigned_p50"], bo["assigned_p90"], bo["fast_share"]) == (240, 240, 1.0)
    methods = {
        r["label"]: (r["owned"], r["assigned_p50"], r["fast_share"])
        for r in tables["by_method"].rows
    }
    assert methods == {
        "Push · Round robin": (2, 30, 0.5),
        "Live offer · Shotgun": (1, 60, 1.0),
        "Pool claim": (1, 500, 0.0),
        "Manager desk": (1, 240, 1.0),
    }


def test_the_other_manager_sees_only_their_own_team():
    """Team B: Cy's one lead, touched 5 s after assignment."""
    totals = _report(world().manager_b)["totals"]
    assert (totals["owned"], totals["assigned_p50"]) == (1, 5)
